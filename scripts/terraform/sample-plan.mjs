// A plan of the whole module with sample values, offline: `validate` checks types and references,
// this evaluates the expressions and validations with real values (both ways of every optional
// part: refresher and KMS key set, or not) and compares what would be created with the design.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckFailure, run, say, timed } from './terraform-cli.mjs';

const ACCOUNT = '123456789012';
const SAMPLE = `# Written by scripts/terraform/check.mjs: never applied, no AWS call is made.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "local"
  secret_key                  = "local"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true
}

module "full" {
  source                 = "../src"
  prefix                 = "acme"
  env                    = "prod"
  layer_zip_path         = "\${path.module}/layer.zip"
  token_types            = ["salesforce", "salesforce#tenant-42"]
  secret_arns            = ["arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:/prod/orders/oauth/salesforce-AbCdEf"]
  kms_key_arn            = "arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  table_kms_key_arn      = "arn:aws:kms:us-east-1:${ACCOUNT}:key/abcd1234-12ab-34cd-56ef-1234567890ab"
  refresher_function_arn = "arn:aws:lambda:us-east-1:${ACCOUNT}:function:acme-prod-token-refresher"
}

module "minimal" {
  source          = "../src"
  prefix          = "acme"
  env             = "dev"
  layer_zip_path  = "\${path.module}/layer.zip"
  token_types     = ["webex"]
  secret_arns     = ["arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:/dev/reports/oauth/webex-??????"]
  alarm_topic_arn = "arn:aws:sns:us-east-1:${ACCOUNT}:ops-alarms"
}

output "full_environment" {
  value = module.full.lambda_environment_variables
}

output "minimal_alarm_topic" {
  value = module.minimal.alarm_topic_arn
}
`;

const EXPECTED = {
  full: [
    'module.table.aws_dynamodb_table.access_tokens',
    'aws_lambda_layer_version.shared_token',
    'aws_iam_policy.shared_token_access',
    'aws_cloudwatch_event_rule.refresher[0]',
    'aws_cloudwatch_event_target.refresher[0]',
    'aws_lambda_permission.refresher[0]',
    'aws_sns_topic.alarms[0]',
    'aws_cloudwatch_metric_alarm.token_refresh_failed["salesforce"]',
    'aws_cloudwatch_metric_alarm.token_refresh_failed["salesforce#tenant-42"]',
    'aws_cloudwatch_metric_alarm.refresh_token_expired["salesforce"]',
    'aws_cloudwatch_metric_alarm.refresh_token_expired["salesforce#tenant-42"]',
    'aws_cloudwatch_metric_alarm.refresher_errors[0]',
  ],
  minimal: [
    'module.table.aws_dynamodb_table.access_tokens',
    'aws_lambda_layer_version.shared_token',
    'aws_iam_policy.shared_token_access',
    'aws_cloudwatch_metric_alarm.token_refresh_failed["webex"]',
    'aws_cloudwatch_metric_alarm.refresh_token_expired["webex"]',
  ],
};

/** The sample's directory, beside the module's copy in `workDir/src`. */
export function writeSample(workDir) {
  const dir = join(workDir, 'sample');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf'), SAMPLE);
  // Only hashed at plan time (source_code_hash); never uploaded.
  writeFileSync(join(dir, 'layer.zip'), 'not a zip: the plan only hashes it');
  return dir;
}

/** `runIn`: label => run options of the sample's directory. */
export async function checkSamplePlan({ terraform, runIn }) {
  const { result: plan, seconds } = await timed(async () => {
    await run(terraform, ['plan', '-out=sample.tfplan', '-no-color'], runIn('plan (sample values)'));
    return JSON.parse(await run(terraform, ['show', '-json', 'sample.tfplan'], runIn('show (sample plan)')));
  });
  const problems = [];
  const managed = plan.resource_changes.filter((change) => change.mode === 'managed');
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const prefix = `module.${name}.`;
    const addresses = managed
      .filter((c) => c.address.startsWith(prefix))
      .map((c) => c.address.slice(prefix.length));
    const missing = expected.filter((address) => !addresses.includes(address));
    const extra = addresses.filter((address) => !expected.includes(address));
    if (missing.length + extra.length > 0)
      problems.push(`${name}: missing [${missing}], unexpected [${extra}]`);
  }
  const after = (address) => managed.find((c) => c.address === address)?.change.after ?? {};
  const errorsAlarm = after('module.full.aws_cloudwatch_metric_alarm.refresher_errors[0]');
  if (errorsAlarm.dimensions?.FunctionName !== 'acme-prod-token-refresher') {
    problems.push(`refresher errors alarm on ${JSON.stringify(errorsAlarm.dimensions)}`);
  }
  const statements = (name) =>
    plan.resource_changes
      .find((c) => c.address === `module.${name}.data.aws_iam_policy_document.shared_token_access`)
      ?.change.after?.statement?.map((s) => s.sid) ?? [];
  // The KMS statement exists only with kms_key_arn.
  if (statements('full').join() !== 'AccessTokenItems,ProviderSecrets,TokenEnvelopeKey') {
    problems.push(`full policy statements ${statements('full')}`);
  }
  if (statements('minimal').join() !== 'AccessTokenItems,ProviderSecrets') {
    problems.push(`minimal policy statements ${statements('minimal')}`);
  }
  const outputs = plan.planned_values.outputs;
  if (
    JSON.stringify(outputs.full_environment?.value) !==
    '{"DYNAMODB_TABLE_ACCESS_TOKENS":"acme-prod-access-tokens"}'
  ) {
    problems.push(`environment output ${JSON.stringify(outputs.full_environment?.value)}`);
  }
  if (outputs.minimal_alarm_topic?.value !== `arn:aws:sns:us-east-1:${ACCOUNT}:ops-alarms`) {
    problems.push(`alarm topic output ${outputs.minimal_alarm_topic?.value}`);
  }
  if (problems.length > 0) throw new CheckFailure(`plan with sample values: ${problems.join('; ')}`);
  say(
    `plan with sample values (all options, and none): ${managed.length} resources as designed (${seconds} s)`,
  );
}

// A plan of the whole module with sample values, offline: `validate` checks types and references,
// this evaluates the expressions and validations with real values (both ways of every optional
// part: refresher, key rotation, KMS key and dashboard set, or not) and compares what would be
// created with the design, and the dashboard's metrics with the ones the layer publishes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckFailure, run, say, timed } from './terraform-cli.mjs';

const TELEMETRY = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'layer',
  'telemetry',
  'telemetry.ts',
);

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
  rotation_function_arn  = "arn:aws:lambda:us-east-1:${ACCOUNT}:function:acme-prod-key-rotation"
}

module "minimal" {
  source          = "../src"
  prefix          = "acme"
  env             = "dev"
  layer_zip_path  = "\${path.module}/layer.zip"
  token_types     = ["webex"]
  secret_arns     = ["arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:/dev/reports/oauth/webex-??????"]
  alarm_topic_arn = "arn:aws:sns:us-east-1:${ACCOUNT}:ops-alarms"

  dashboard_enabled = false
}

output "full_environment" {
  value = module.full.lambda_environment_variables
}

output "minimal_alarm_topic" {
  value = module.minimal.alarm_topic_arn
}

output "full_dashboard_url" {
  value = module.full.dashboard_url
}

output "minimal_dashboard_url" {
  value = module.minimal.dashboard_url
}
`;

const EXPECTED = {
  full: [
    'module.table.aws_dynamodb_table.access_tokens',
    'aws_lambda_layer_version.shared_token',
    'aws_iam_policy.shared_token_access',
    'aws_iam_policy.operator',
    'aws_cloudwatch_event_rule.refresher[0]',
    'aws_cloudwatch_event_target.refresher[0]',
    'aws_lambda_permission.refresher[0]',
    'aws_secretsmanager_secret_rotation.key[0]',
    'aws_lambda_permission.key_rotation[0]',
    'aws_iam_policy.key_rotation[0]',
    'aws_cloudwatch_dashboard.shared_token[0]',
    'aws_sns_topic.alarms[0]',
    'aws_cloudwatch_metric_alarm.token_refresh_failed["salesforce"]',
    'aws_cloudwatch_metric_alarm.token_refresh_failed["salesforce#tenant-42"]',
    'aws_cloudwatch_metric_alarm.refresh_token_expired["salesforce"]',
    'aws_cloudwatch_metric_alarm.refresh_token_expired["salesforce#tenant-42"]',
    'aws_cloudwatch_metric_alarm.refresher_errors[0]',
    'aws_cloudwatch_metric_alarm.key_rotation_errors[0]',
  ],
  minimal: [
    'module.table.aws_dynamodb_table.access_tokens',
    'aws_lambda_layer_version.shared_token',
    'aws_iam_policy.shared_token_access',
    'aws_iam_policy.operator',
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
  const rotationAlarm = after('module.full.aws_cloudwatch_metric_alarm.key_rotation_errors[0]');
  if (rotationAlarm.dimensions?.FunctionName !== 'acme-prod-key-rotation') {
    problems.push(`key rotation errors alarm on ${JSON.stringify(rotationAlarm.dimensions)}`);
  }
  const rotation = after('module.full.aws_secretsmanager_secret_rotation.key[0]');
  const rotationPermission = after('module.full.aws_lambda_permission.key_rotation[0]');
  if (
    rotation.rotation_rules?.[0]?.schedule_expression !== 'rate(30 days)' ||
    rotationPermission.principal !== 'secretsmanager.amazonaws.com' ||
    rotationPermission.source_arn !== rotation.secret_id
  ) {
    problems.push(`key rotation ${JSON.stringify({ rotation, rotationPermission })}`);
  }
  const statements = (name, document = 'shared_token_access') =>
    plan.resource_changes
      .find((c) => c.address === `module.${name}.data.aws_iam_policy_document.${document}`)
      ?.change.after?.statement?.map((s) => s.sid) ?? [];
  // The KMS statements exist only with kms_key_arn.
  const expectedStatements = [
    ['full', 'shared_token_access', 'AccessTokenItems,ProviderSecrets,TokenEnvelopeKey'],
    ['minimal', 'shared_token_access', 'AccessTokenItems,ProviderSecrets'],
    ['full', 'operator', 'TokenTable,ProviderSecrets,TokenEnvelopeKey'],
    ['minimal', 'operator', 'TokenTable,ProviderSecrets'],
    ['full', 'key_rotation[0]', 'RotatedSecrets,StoredTokens'],
  ];
  for (const [name, document, expected] of expectedStatements) {
    const sids = statements(name, document).join();
    if (sids !== expected) problems.push(`${name} ${document} policy statements ${sids}`);
  }
  problems.push(...dashboardProblems(after('module.full.aws_cloudwatch_dashboard.shared_token[0]')));
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
  const dashboardUrl =
    'https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/acme-prod-shared-token';
  if (outputs.full_dashboard_url?.value !== dashboardUrl || outputs.minimal_dashboard_url?.value != null) {
    problems.push(
      `dashboard URLs ${outputs.full_dashboard_url?.value}, ${outputs.minimal_dashboard_url?.value}`,
    );
  }
  if (problems.length > 0) throw new CheckFailure(`plan with sample values: ${problems.join('; ')}`);
  say(
    `plan with sample values (all options, and none): ${managed.length} resources as designed (${seconds} s)`,
  );
}

/**
 * The full sample's dashboard, with the real provider: its region, its two scheduled functions,
 * and in its tokenTypes' widgets exactly the metrics layer/telemetry/telemetry.ts names (a metric
 * the layer adds must get a line; a name the layer never publishes would show an empty graph),
 * each with the one dimension tokenType.
 */
function dashboardProblems(dashboard) {
  if (dashboard.dashboard_name !== 'acme-prod-shared-token' || typeof dashboard.dashboard_body !== 'string')
    return [`dashboard ${dashboard.dashboard_name}: no body known at plan time`];
  const widgets = JSON.parse(dashboard.dashboard_body).widgets;
  const lines = widgets.flatMap((widget) => widget.properties.metrics);
  const layerLines = lines.filter((line) => line[0] === 'SharedToken');
  const shown = new Set(layerLines.map((line) => line[1]));
  const published = new Set(
    [
      ...(
        /export const MetricName = \{([\s\S]*?)\} as const/.exec(readFileSync(TELEMETRY, 'utf8'))?.[1] ?? ''
      ).matchAll(/^\s*(\w+): '(\w+)',/gm),
    ].map((match) => match[2]),
  );
  const problems = [];
  const notPublished = [...shown].filter((name) => !published.has(name));
  const notShown = [...published].filter((name) => !shown.has(name));
  if (published.size === 0 || notPublished.length + notShown.length > 0)
    problems.push(`dashboard metrics not published by the layer [${notPublished}], not shown [${notShown}]`);
  const badLines = layerLines.filter(
    (line) =>
      line.length !== 5 ||
      line[2] !== 'tokenType' ||
      !['salesforce', 'salesforce#tenant-42'].includes(line[3]),
  );
  if (badLines.length > 0) problems.push(`dashboard lines not on one tokenType: ${JSON.stringify(badLines)}`);
  const functions = lines
    .filter((line) => line[0] === 'AWS/Lambda' && line[1] === 'Errors')
    .map((line) => line[3]);
  if (functions.join() !== 'acme-prod-token-refresher,acme-prod-key-rotation')
    problems.push(`dashboard Lambda errors of [${functions}]`);
  if (widgets.some((widget) => widget.properties.region !== 'us-east-1'))
    problems.push('dashboard widgets outside the provider region us-east-1');
  return problems;
}

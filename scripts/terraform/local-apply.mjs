// examples/terraform/local (the table part of the module) applied to DynamoDB Local, the table
// it made compared with table.tf, the simulator run against it, then `terraform destroy`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckFailure, run, say, timed } from './terraform-cli.mjs';

// Small on purpose: this runs on every `make test`. 2-second tokens outlived by each container's
// ~3 s of invocations give a few generations, and the local data API's 403 to a superseded token
// gives rejections, so "one provider call per generation" (I1) is checked across refreshes. No
// random revocations: a revoked retry fails by design, and this check must not be flaky.
const SIMULATOR_ARGS = '--containers 4 --invocations 20 --think-ms 150 --token-ttl 4 --reject-rate 0'.split(
  ' ',
);

/**
 * Starts DynamoDB Local through the repository's launcher (TypeScript, bundled here so plain Node
 * runs it; it binds 127.0.0.1 only, telemetry off). Resolves `{ dynamo }`, or `{ reason }` when
 * it cannot start (no Java): never dynalite, which has no UpdateTimeToLive for the provider.
 */
export async function startDynamoDbLocal(root, workDir) {
  try {
    const { build } = await import('esbuild');
    const outfile = join(workDir, 'dynamodb-local.js');
    await build({
      entryPoints: [join(root, 'scripts', 'local-stack', 'dynamodb-local-process.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    const { startDynamoDbLocal: start } = await import(outfile);
    return { dynamo: await start() };
  } catch (error) {
    return { reason: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

/** `options`: { terraform, root, runIn (label => run options of the local config), dynamoStarting }. */
export async function checkLocalApply({ terraform, root, runIn, dynamoStarting }) {
  const { dynamo, reason } = await dynamoStarting;
  if (!dynamo) {
    say(`apply on DynamoDB Local: skipped (DynamoDB Local did not start: ${reason})`);
    return;
  }
  const vars = ['-var', `dynamodb_endpoint=${dynamo.endpoint}`];
  let applied = false;
  try {
    const apply = await timed(() =>
      run(terraform, ['apply', '-auto-approve', '-no-color', ...vars], runIn('apply (local)')),
    );
    applied = true;
    const outputs = JSON.parse(
      await run(terraform, ['output', '-json', '-no-color'], runIn('output (local)')),
    );
    const tableName = outputs.table_name?.value;
    if (typeof tableName !== 'string')
      throw new CheckFailure('examples/terraform/local has no table_name output');
    const table = await describeTable(dynamo.endpoint, tableName);
    say(`apply examples/terraform/local on DynamoDB Local: ${table} (${apply.seconds} s)`);
    await simulate(root, dynamo.endpoint, tableName);
  } finally {
    // The table lives in DynamoDB Local's memory only; destroy still proves the module lets go of it.
    // No refresh: the state is what apply has just written.
    if (applied) {
      const destroy = await timed(() =>
        run(
          terraform,
          ['destroy', '-auto-approve', '-refresh=false', '-no-color', ...vars],
          runIn('destroy (local)'),
        ),
      );
      say(`destroy: ok (${destroy.seconds} s)`);
    }
    await dynamo.stop();
  }
}

/** The table is the module's (not one the simulator would create): key, billing mode and TTL as table.tf says. */
async function describeTable(endpoint, tableName) {
  const { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } = await import(
    '@aws-sdk/client-dynamodb'
  );
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const { TimeToLiveDescription: ttl } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    const key = table?.KeySchema?.map((part) => `${part.AttributeName}:${part.KeyType}`).join(',');
    const keyType = table?.AttributeDefinitions?.find((a) => a.AttributeName === 'tokenType')?.AttributeType;
    const billing = table?.BillingModeSummary?.BillingMode;
    const problems = [];
    if (key !== 'tokenType:HASH' || keyType !== 'S') problems.push(`key schema ${key} (${keyType})`);
    if (billing !== 'PAY_PER_REQUEST') problems.push(`billing mode ${billing}`);
    if (ttl?.TimeToLiveStatus !== 'ENABLED' || ttl.AttributeName !== 'expiresAt') {
      problems.push(`TTL ${ttl?.TimeToLiveStatus} on ${ttl?.AttributeName}`);
    }
    if (problems.length > 0)
      throw new CheckFailure(`table ${tableName} is not as table.tf says: ${problems.join('; ')}`);
    return `table ${tableName} (tokenType S, PAY_PER_REQUEST, TTL on expiresAt)`;
  } finally {
    client.destroy();
  }
}

/** The simulator's containers against the table Terraform made: no failure, and I1. */
async function simulate(root, endpoint, tableName) {
  const demo = join(root, '.build', 'scripts', 'simulator', 'demo.js');
  if (!existsSync(demo))
    await run(process.execPath, ['scripts/build.mjs'], { cwd: root, env: process.env, label: 'build' });
  const { result: output, seconds } = await timed(() =>
    run(process.execPath, [demo, '--endpoint', endpoint, '--table', tableName, '--json', ...SIMULATOR_ARGS], {
      cwd: root,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      label: 'simulator',
    }),
  );
  const report = JSON.parse(output.trimEnd().split('\n').at(-1) ?? '{}');
  const summary =
    `${report.containers} containers, ${report.invocations} invocations, ${report.failed} failed, ` +
    `${report.apiRejected} rejected by the data API; provider token calls ${report.providerTokenCalls}, ` +
    `token generations ${report.tokenGenerations}`;
  if (report.engine !== 'external')
    throw new CheckFailure(`simulator used ${report.engine}, not the given table`);
  if (report.failed !== 0 || report.succeeded !== report.invocations) {
    throw new CheckFailure(`simulator: ${summary}; errors ${JSON.stringify(report.errors)}`);
  }
  if (!(report.tokenGenerations > 0) || report.providerTokenCalls !== report.tokenGenerations) {
    throw new CheckFailure(`simulator: ${summary}: expected one provider token call per generation (I1)`);
  }
  if (report.secretsInOutput !== 0)
    throw new CheckFailure(`simulator: ${report.secretsInOutput} secrets in its output (I4)`);
  say(`simulator on that table: ${summary} (${seconds} s)`);
}

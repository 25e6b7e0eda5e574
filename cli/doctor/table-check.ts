/**
 * The token table as the layer needs it (examples/terraform/modules/access-token-table): it exists
 * and is ACTIVE, its key is exactly the partition key `tokenType` (S) with no sort key, and its TTL
 * is on `expiresAt` (epoch seconds). DescribeTable and DescribeTimeToLive, nothing else.
 */
import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { regionOf } from '../aws/aws-clients.js';
import { classifyAwsFailure, describeAwsFailure } from '../aws/aws-failure.js';
import { type CheckResult, fail, ok, skip } from './check.js';

const PARTITION_KEY = 'tokenType';
const TTL_ATTRIBUTE = 'expiresAt';
const MODULE = 'examples/terraform/modules/access-token-table';

/** The three table checks, and whether the table was found (the stored-token check reads it). */
export async function checkTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ results: CheckResult[]; found: boolean }> {
  const region = await regionOf(client);
  const resource = `table "${tableName}"`;
  let table: NonNullable<DescribeTableCommandOutput['Table']>;
  try {
    table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table ?? {};
  } catch (error) {
    const failure = classifyAwsFailure(error);
    const described = describeAwsFailure({ action: 'dynamodb:DescribeTable', resource, region }, failure);
    const exists =
      failure.kind === 'not-found'
        ? fail(
            'table.exists',
            'table',
            `table "${tableName}" not found${region === undefined ? '' : ` in ${region}`}`,
            'DescribeTable answered ResourceNotFoundException: no table of that name in this account and region, so every function fails with TableNotFoundError',
            `check the name (--table, or DYNAMODB_TABLE_ACCESS_TOKENS as the functions have it: {prefix}-{env}-access-tokens) and the region; create the table with ${MODULE}`,
          )
        : fail(
            'table.exists',
            'table',
            described.message,
            causeOf(failure.kind, 'DescribeTable'),
            described.fix,
          );
    const why = failure.kind === 'not-found' ? 'the table was not found' : 'DescribeTable failed';
    return {
      results: [exists, skip('table.keySchema', 'key schema', why), skip('table.ttl', 'TTL', why)],
      found: failure.kind !== 'not-found',
    };
  }
  return {
    results: [existence(tableName, table), keySchema(table), await ttl(client, tableName, region)],
    found: true,
  };
}

function existence(tableName: string, table: NonNullable<DescribeTableCommandOutput['Table']>): CheckResult {
  const status = table.TableStatus ?? 'UNKNOWN';
  if (status === 'ACTIVE' || status === 'UPDATING') {
    return ok('table.exists', 'table', `table "${tableName}" exists (${status})`);
  }
  if (status === 'CREATING') {
    return fail(
      'table.exists',
      'table',
      `table "${tableName}" is still CREATING`,
      'a table answers reads and writes only once it is ACTIVE',
      'wait a minute and run doctor again',
    );
  }
  if (status === 'INACCESSIBLE_ENCRYPTION_CREDENTIALS') {
    return fail(
      'table.exists',
      'table',
      `table "${tableName}" is INACCESSIBLE_ENCRYPTION_CREDENTIALS`,
      "DynamoDB cannot use the table's KMS key (disabled, deleted, or its grant revoked): every read and write fails",
      "re-enable the table's KMS key or restore its key policy (server_side_encryption kms_key_arn in the module)",
    );
  }
  return fail(
    'table.exists',
    'table',
    `table "${tableName}" is ${status}`,
    'only an ACTIVE table serves the functions',
    `recreate it with ${MODULE}, or point DYNAMODB_TABLE_ACCESS_TOKENS at the right table`,
  );
}

function keySchema(table: NonNullable<DescribeTableCommandOutput['Table']>): CheckResult {
  const keys = table.KeySchema ?? [];
  const typeOf = (name: string | undefined) =>
    table.AttributeDefinitions?.find((definition) => definition.AttributeName === name)?.AttributeType ?? '?';
  const hash = keys.find((key) => key.KeyType === 'HASH');
  const range = keys.find((key) => key.KeyType === 'RANGE');
  const shown = `partition key ${hash?.AttributeName ?? '(none)'} (${typeOf(hash?.AttributeName)})${
    range === undefined
      ? ', no sort key'
      : `, sort key ${range.AttributeName} (${typeOf(range.AttributeName)})`
  }`;
  if (hash?.AttributeName === PARTITION_KEY && typeOf(PARTITION_KEY) === 'S' && range === undefined) {
    return ok('table.keySchema', 'key schema', shown);
  }
  const problems: string[] = [];
  if (hash?.AttributeName !== PARTITION_KEY) {
    problems.push(
      `the layer reads and writes items by the partition key "${PARTITION_KEY}", not "${hash?.AttributeName}"`,
    );
  } else if (typeOf(PARTITION_KEY) !== 'S') {
    problems.push(`"${PARTITION_KEY}" must be a string (S), not ${typeOf(PARTITION_KEY)}`);
  }
  if (range !== undefined) {
    problems.push(
      `the sort key "${range.AttributeName}" makes every GetItem and UpdateItem by tokenType alone a ValidationException`,
    );
  }
  return fail(
    'table.keySchema',
    'key schema',
    shown,
    `${problems.join('; ')}: every function fails on its first read`,
    `a key schema cannot be changed: create a table with partition key ${PARTITION_KEY} (S) and no sort key (${MODULE}), point DYNAMODB_TABLE_ACCESS_TOKENS at it, delete this one; the tokens refresh themselves there (one provider call per tokenType)`,
  );
}

async function ttl(
  client: DynamoDBClient,
  tableName: string,
  region: string | undefined,
): Promise<CheckResult> {
  let description: { TimeToLiveStatus?: string; AttributeName?: string } | undefined;
  try {
    description = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName })))
      .TimeToLiveDescription;
  } catch (error) {
    const failure = classifyAwsFailure(error);
    const described = describeAwsFailure(
      { action: 'dynamodb:DescribeTimeToLive', resource: `table "${tableName}"`, region },
      failure,
    );
    return fail(
      'table.ttl',
      'TTL',
      described.message,
      causeOf(failure.kind, 'DescribeTimeToLive'),
      described.fix,
    );
  }
  const status = description?.TimeToLiveStatus ?? 'DISABLED';
  const attribute = description?.AttributeName;
  const enable = `aws dynamodb update-time-to-live --table-name ${tableName} --time-to-live-specification "Enabled=true, AttributeName=${TTL_ATTRIBUTE}"`;
  if ((status === 'ENABLED' || status === 'ENABLING') && attribute === TTL_ATTRIBUTE) {
    return ok(
      'table.ttl',
      'TTL',
      `TTL ${status === 'ENABLED' ? 'enabled' : 'being enabled'} on ${TTL_ATTRIBUTE} (epoch seconds)`,
    );
  }
  if (status === 'ENABLED' || status === 'ENABLING') {
    return fail(
      'table.ttl',
      'TTL',
      `TTL is on "${attribute}", not on ${TTL_ATTRIBUTE}`,
      `the layer never writes "${attribute}", so TTL deletes nothing: the items of tokenTypes no longer used, with their encrypted tokens and refresh tokens, stay for ever; ${TTL_ATTRIBUTE} is the epoch-seconds attribute the layer keeps for TTL`,
      `disable TTL on "${attribute}", then (DynamoDB allows one TTL change per hour) ${enable}; in Terraform: ttl { attribute_name = "${TTL_ATTRIBUTE}" } (${MODULE})`,
    );
  }
  return fail(
    'table.ttl',
    'TTL',
    `TTL is ${status.toLowerCase()}`,
    `nothing deletes the items of tokenTypes no longer used: their encrypted tokens and refresh tokens stay in the table for ever (the layer keeps ${TTL_ATTRIBUTE} in epoch seconds for TTL)`,
    `${enable}; in Terraform: ttl { attribute_name = "${TTL_ATTRIBUTE}", enabled = true } (${MODULE})`,
  );
}

/** The cause line of a failed call, by its kind. */
export function causeOf(kind: ReturnType<typeof classifyAwsFailure>['kind'], operation: string): string {
  switch (kind) {
    case 'access-denied':
      return `AWS refused ${operation} to the caller (IAM): doctor cannot tell whether the rest is right`;
    case 'network':
      return `${operation} never got an answer`;
    case 'no-region':
    case 'no-credentials':
      return `the SDK could not send ${operation}`;
    default:
      return `${operation} failed`;
  }
}

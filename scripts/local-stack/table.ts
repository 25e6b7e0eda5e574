import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

const TTL_ATTRIBUTE = 'expiresAt';
const ACTIVE_TIMEOUT_MS = 15_000;
const ACTIVE_POLL_MS = 50;

/**
 * A client for a local engine. The credentials are fake on purpose: the engines accept anything,
 * and a real key from the environment must never be sent, even to 127.0.0.1.
 */
export function localDynamoClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...config,
    endpoint,
  });
}

/** The token table (docs/how-it-works.md): `tokenType` partition key, pay per request, TTL on `expiresAt`. */
export async function createTokenTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'tokenType', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'tokenType', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  await waitUntilActive(client, tableName);
  await enableTtl(client, tableName);
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  // The SDK's waitUntilTableExists polls every 20 s at the least: far too slow for a local engine.
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} is still ${Table?.TableStatus} after ${ACTIVE_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  // Enabling it twice is a ValidationException on DynamoDB and DynamoDB Local.
  const enabled = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
  if (enabled && ttl?.AttributeName === TTL_ATTRIBUTE) return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite does not implement UpdateTimeToLive at all; nothing may depend on TTL there.
    if (errorName(error) !== 'UnknownOperationException') throw error;
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from '@jest/globals';
import type { DynamoEngine } from '../../scripts/local-stack/dynamodb-local.js';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack/stack.js';

export interface LocalTable {
  dynamo: LocalStack['dynamo'];
  /** Straight to the engine: a test that wants a proxy starts its own in front of `dynamo.endpoint`. */
  client: DynamoDBClient;
}

/**
 * Starts `engine` with the token table before the enclosing describe block's tests and
 * stops it after them. The fields are filled in by `beforeAll`: read them inside tests.
 */
export function useLocalTable(engine: DynamoEngine, tableName: string, timeoutMs = 60_000): LocalTable {
  const table = {} as LocalTable;
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await startLocalStack({ engine, tableName });
    table.dynamo = stack.dynamo;
    table.client = stack.directClient;
  }, timeoutMs);
  afterAll(async () => {
    await stack?.stop();
  });
  return table;
}

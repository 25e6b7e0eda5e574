import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from '@jest/globals';
import {
  type DynamoEngine,
  type RunningDynamo,
  startDynamo,
} from '../../scripts/local-stack/dynamodb-local.js';
import { createTokenTable, localDynamoClient } from '../../scripts/local-stack/table.js';

export interface LocalTable {
  dynamo: RunningDynamo;
  client: DynamoDBClient;
}

/**
 * Starts `engine` with the token table before the enclosing describe block's tests and
 * stops it after them. The fields are filled in by `beforeAll`: read them inside tests.
 */
export function useLocalTable(engine: DynamoEngine, tableName: string, timeoutMs = 60_000): LocalTable {
  const table = {} as LocalTable;
  beforeAll(async () => {
    table.dynamo = await startDynamo({ engine });
    table.client = localDynamoClient(table.dynamo.endpoint);
    await createTokenTable(table.client, tableName);
  }, timeoutMs);
  afterAll(async () => {
    table.client?.destroy();
    await table.dynamo?.stop();
  });
  return table;
}

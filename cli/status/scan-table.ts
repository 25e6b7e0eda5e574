/** Every item of the token table: a paginated, strongly consistent Scan (one item per tokenType). */
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { RawItem } from './item-attributes.js';

/**
 * All items, page after page. Consistent: a token committed a moment ago is shown. The table
 * holds one small item per tokenType, so reading it whole is cheap (a few read units).
 */
export async function scanItems(client: DynamoDBClient, tableName: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let startKey: RawItem | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** The tokenType of the first item the table returns, or `undefined` when it is empty (one small Scan page). */
export async function firstTokenType(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  const page = await client.send(
    new ScanCommand({ TableName: tableName, Limit: 1, ProjectionExpression: 'tokenType' }),
  );
  return page.Items?.[0]?.tokenType?.S;
}

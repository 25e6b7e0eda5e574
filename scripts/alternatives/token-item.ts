/**
 * The token item as the lock-free alternatives use it: the same shape as this project's
 * (tokenType key, SaltCipher envelope in `accessToken`, `expiresAt` and `updatedAt` in epoch
 * SECONDS, `version`), read with GetItem and written with an unconditional PutItem.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { fromEpochSeconds, type SaltCipher, toEpochSeconds } from '../../layer/advanced.js';
import { AccessToken, type ProviderToken } from '../../layer/index.js';

export interface TokenItemOptions {
  client: DynamoDBClient;
  tableName: string;
  tokenType: string;
  cipher: SaltCipher;
}

/** What a read found: the token when it decrypts, and the version to write over. */
export interface StoredToken {
  token: AccessToken | undefined;
  version: number;
}

export class TokenItem {
  constructor(private readonly options: TokenItemOptions) {}

  /** Consistent read; an item that does not decrypt counts as holding no token. */
  async read(): Promise<StoredToken> {
    const { client, tableName, tokenType, cipher } = this.options;
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: marshall({ tokenType }), ConsistentRead: true }),
    );
    if (Item === undefined) return { token: undefined, version: 0 };
    const item = unmarshall(Item) as { accessToken?: unknown; expiresAt?: unknown; version?: unknown };
    const version = typeof item.version === 'number' ? item.version : 0;
    if (typeof item.accessToken !== 'string' || typeof item.expiresAt !== 'number') {
      return { token: undefined, version };
    }
    try {
      const value = await cipher.decrypt(item.accessToken, tokenType);
      return { token: new AccessToken(tokenType, value, fromEpochSeconds(item.expiresAt), version), version };
    } catch {
      return { token: undefined, version };
    }
  }

  /** Unconditional PutItem: the last writer wins, whoever refreshed in between. */
  async put(fresh: ProviderToken, seenVersion: number): Promise<AccessToken> {
    const { client, tableName, tokenType, cipher } = this.options;
    const expiresAt = toEpochSeconds(fresh.expiresAt);
    const version = seenVersion + 1;
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({
          tokenType,
          accessToken: await cipher.encrypt(fresh.accessToken, tokenType),
          expiresAt,
          updatedAt: toEpochSeconds(Date.now()),
          version,
        }),
      }),
    );
    return new AccessToken(tokenType, fresh.accessToken, fromEpochSeconds(expiresAt), version);
  }
}

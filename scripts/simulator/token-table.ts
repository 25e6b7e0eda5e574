/**
 * What the simulator itself writes into and reads from the token table, around the proxy: a seeded
 * item before the containers start, and the item's version (generations committed, the monitor's samples).
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { SaltCipher } from '../../layer/advanced.js';
import { registerSecret } from '../local-stack/secret-registry.js';
import type { SeedKind } from './simulation-options.js';

/** Where the item is, and how its token is sealed. */
export interface TokenTableItem {
  client: DynamoDBClient;
  tableName: string;
  tokenType: string;
}

/** Writes an item that must never be served (it has to count as missing, I5), or a good one that expired. */
export async function seedItem(
  { client, tableName, tokenType }: TokenTableItem,
  kind: SeedKind,
  salt: string,
  skewMs: number,
): Promise<void> {
  const inOneHour = Math.floor(Date.now() / 1000) + 3600;
  const secret = `seeded-${randomBytes(16).toString('hex')}`;
  registerSecret(secret, 'simulator:seeded-token');
  let expiresAt = inOneHour;
  if (kind === 'expired') {
    // A good token every container must replace at once: inside the skew, so expired for the
    // protocol, but not yet past expiresAt, or DynamoDB Local's TTL would delete the item first.
    const skewSeconds = Math.floor(skewMs / 1000);
    expiresAt = skewSeconds >= 2 ? inOneHour - 3600 + skewSeconds - 1 : inOneHour - 3660;
  }
  const accessToken = await seededCiphertext(kind, secret, salt, tokenType);
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall({
        tokenType,
        accessToken,
        expiresAt,
        updatedAt: inOneHour - 3600,
        updating: false,
        version: 7,
      }),
    }),
  );
}

/** The seeded item's `accessToken`: sealed well (expired), under another salt or token type, or damaged. */
async function seededCiphertext(kind: SeedKind, secret: string, salt: string, tokenType: string) {
  if (kind === 'expired') return new SaltCipher({ salts: [salt] }).encrypt(secret, tokenType);
  if (kind === 'wrong-salt') {
    return new SaltCipher({ salts: [randomBytes(24).toString('base64url')] }).encrypt(secret, tokenType);
  }
  if (kind === 'swapped') return new SaltCipher({ salts: [salt] }).encrypt(secret, `${tokenType}-other`);
  const envelope = Buffer.from(await new SaltCipher({ salts: [salt] }).encrypt(secret, tokenType), 'base64');
  if (kind === 'truncated') return envelope.subarray(0, envelope.length - 7).toString('base64'); // cut inside the tag
  envelope[envelope.length - 20]! ^= 0x01; // a bit of the ciphertext
  return envelope.toString('base64');
}

/** The item's `version` (consistent read); 0 while there is no item. */
export async function readVersion({ client, tableName, tokenType }: TokenTableItem): Promise<number> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: marshall({ tokenType }), ConsistentRead: true }),
  );
  const version = Item ? unmarshall(Item).version : undefined;
  return typeof version === 'number' ? version : 0;
}

/**
 * testSecret's look at the table: would every stored token still open once the pending version is
 * AWSCURRENT? Only key ids are compared, and envelopes under a kept key are opened to prove it;
 * nothing read is ever logged or put in an error.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SaltCipher } from 'lambda-shared-token/advanced';

/** What the rotation does to one tokenType's item. */
export type StoredTokenVerdict =
  /** No item, or an item with no sealed field (never refreshed, or TTL-deleted). */
  | 'absent'
  /** Every sealed field is under a key the pending version keeps, and opens under it. */
  | 'kept'
  /** Not under this secret's keys: a KMS envelope, or another secret's key. The rotation changes nothing for it. */
  | 'not-this-secret'
  /** An expired access token under the dropped key, no refresh token: its next use refreshes it anyway. */
  | 'expired-under-dropped-key'
  /** A live access token, or a stored refresh token, under the key the rotation drops: it would be lost. */
  | 'would-be-lost';

export interface StoredTokenCheck {
  tokenType: string;
  verdict: StoredTokenVerdict;
  /** The sealed fields found (`accessToken`, `refreshToken`) and the key id each names: not secret. */
  keyIds: Record<string, string | undefined>;
}

export interface StoredTokenCheckOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  tokenTypes: readonly string[];
  /** The keys of AWSCURRENT, current first. */
  currentKeys: readonly string[];
  /** The keys of AWSPENDING, new first. */
  pendingKeys: readonly string[];
  /** Epoch milliseconds. */
  nowMs: number;
}

const SEALED_FIELDS = ['accessToken', 'refreshToken'] as const;

export async function checkStoredTokens(options: StoredTokenCheckOptions): Promise<StoredTokenCheck[]> {
  const current = new SaltCipher({ keys: options.currentKeys });
  const pending = new SaltCipher({ keys: options.pendingKeys });
  const checks: StoredTokenCheck[] = [];
  for (const tokenType of options.tokenTypes) {
    // Consistent: a token committed a moment ago must be seen.
    const { Item: item } = await options.dynamo.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: { tokenType: { S: tokenType } },
        ConsistentRead: true,
        ProjectionExpression: 'accessToken, refreshToken, expiresAt',
      }),
    );
    checks.push(await checkItem(tokenType, item, { current, pending, nowMs: options.nowMs }));
  }
  return checks;
}

type Item = Record<string, { S?: string; N?: string }> | undefined;

async function checkItem(
  tokenType: string,
  item: Item,
  { current, pending, nowMs }: { current: SaltCipher; pending: SaltCipher; nowMs: number },
): Promise<StoredTokenCheck> {
  const keyIds: Record<string, string | undefined> = {};
  const verdicts: StoredTokenVerdict[] = [];
  for (const field of SEALED_FIELDS) {
    const envelope = item?.[field]?.S;
    if (envelope === undefined) continue;
    const keyId = pending.keyIdOf(envelope);
    keyIds[field] = keyId;
    if (keyId !== undefined && pending.keyIds().includes(keyId)) {
      // Opened to prove it; a DecryptError here (a tampered item) fails the step.
      await pending.decrypt(envelope, tokenType);
      verdicts.push('kept');
    } else if (keyId !== undefined && current.keyIds().includes(keyId)) {
      // `expiresAt` is epoch seconds (the table's TTL attribute).
      const expiresAtMs = Number(item?.expiresAt?.N ?? 0) * 1000;
      const expired = field === 'accessToken' && expiresAtMs <= nowMs;
      verdicts.push(expired ? 'expired-under-dropped-key' : 'would-be-lost');
    } else {
      verdicts.push('not-this-secret');
    }
  }
  return { tokenType, verdict: worst(verdicts), keyIds };
}

const SEVERITY: readonly StoredTokenVerdict[] = [
  'absent',
  'not-this-secret',
  'kept',
  'expired-under-dropped-key',
  'would-be-lost',
];

function worst(verdicts: StoredTokenVerdict[]): StoredTokenVerdict {
  return verdicts.reduce<StoredTokenVerdict>(
    (worse, verdict) => (SEVERITY.indexOf(verdict) > SEVERITY.indexOf(worse) ? verdict : worse),
    'absent',
  );
}

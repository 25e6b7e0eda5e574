/**
 * Alternative 2, "claim or fail": the shape of Powertools idempotency's DynamoDB persistence
 * layer applied to the token item. A conditional PutItem writes an INPROGRESS record with an
 * in-progress expiry; the winner refreshes and completes the record; a loser that finds the
 * lock held and no valid token fails the invocation, as Powertools raises
 * IdempotencyAlreadyInProgressError. Nobody waits.
 *
 *   A: put INPROGRESS ✓ ── provider ── update COMPLETED (token, expiresAt)
 *   B:     put INPROGRESS ✗ (ALL_OLD: INPROGRESS, lock live) → LockHeldError, invocation fails
 *   C:                                          read → COMPLETED, fresh → uses A's token
 *
 * Attributes besides this project's shape: `status` (INPROGRESS | COMPLETED; absent = completed)
 * and `inProgressExpiresAt` (epoch MILLISECONDS, like Powertools' in_progress_expiration), with
 * `lockOwner` so only the claimant completes (a check Powertools' update does not make).
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { fromEpochSeconds, type SaltCipher, toEpochSeconds } from '../../layer/advanced.js';
import { AccessToken } from '../../layer/index.js';
import { type FetchProviderToken, isFresh, type TokenSource } from './token-source.js';

const IN_PROGRESS = 'INPROGRESS';
const COMPLETED = 'COMPLETED';

/** A loser found the lock held and no valid token: Powertools' IdempotencyAlreadyInProgressError. */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly tokenType: string,
    /** Epoch ms when the holder's lock runs out, when known. */
    readonly lockExpiresAt: number | undefined,
  ) {
    super(`another container is refreshing the ${tokenType} token (lock held); failing this invocation`);
  }
}

export interface ClaimOrFailOptions {
  client: DynamoDBClient;
  tableName: string;
  tokenType: string;
  cipher: SaltCipher;
  fetchToken: FetchProviderToken;
  skewMs: number;
  /** How long the INPROGRESS lock lives, ms (Powertools uses the remaining Lambda time). */
  lockMs: number;
}

interface ItemView {
  status: string;
  ciphertext: string | undefined;
  /** Epoch seconds. */
  expiresAt: number | undefined;
  /** Epoch ms. */
  inProgressExpiresAt: number | undefined;
  version: number;
}

export class ClaimOrFail implements TokenSource {
  private cached: AccessToken | undefined;
  private readonly owner = randomUUID();

  constructor(private readonly options: ClaimOrFailOptions) {}

  async get(): Promise<AccessToken> {
    if (this.cached !== undefined && this.fresh(this.cached)) return this.cached;
    const item = await this.read();
    const token = await this.usable(item, undefined);
    if (token !== undefined) return this.keep(token);
    return this.claimAndRefresh(item, undefined);
  }

  async replaceRejected(rejected: AccessToken): Promise<AccessToken> {
    this.cached = undefined;
    const item = await this.read();
    const token = await this.usable(item, rejected.value);
    if (token !== undefined) return this.keep(token);
    return this.claimAndRefresh(item, rejected.value);
  }

  /**
   * Powertools' putRecord: the claim succeeds on an absent item, an expired token, an in-progress
   * lock that ran out, and (added for rejections) the very ciphertext this caller saw and could not use.
   */
  private async claimAndRefresh(
    seen: ItemView | undefined,
    rejectedValue: string | undefined,
  ): Promise<AccessToken> {
    const { client, tableName, tokenType, lockMs, skewMs } = this.options;
    const seenVersion = seen?.version ?? 0;
    const rejectedCiphertext = rejectedValue !== undefined ? seen?.ciphertext : undefined;
    const now = Date.now();
    const claimable = [
      'attribute_not_exists(tokenType)',
      'expiresAt <= :staleAt',
      '(#status = :inProgress AND attribute_exists(inProgressExpiresAt) AND inProgressExpiresAt < :nowMs)',
      ...(rejectedCiphertext !== undefined ? ['accessToken = :rejected'] : []),
    ];
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({
            tokenType,
            status: IN_PROGRESS,
            inProgressExpiresAt: now + lockMs,
            lockOwner: this.owner,
            version: seenVersion,
          }),
          ConditionExpression: claimable.join(' OR '),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            // A token within the skew of its expiry is as good as expired, for the claim as for a read.
            ':staleAt': toEpochSeconds(now + skewMs),
            ':nowMs': now,
            ':inProgress': IN_PROGRESS,
            ...(rejectedCiphertext !== undefined && { ':rejected': rejectedCiphertext }),
          }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The record as it is: from ALL_OLD, or (engines that return nothing) a fresh read.
      const old = error.Item !== undefined ? view(error.Item) : await this.read();
      const token = await this.usable(old, rejectedValue);
      if (token !== undefined) return this.keep(token);
      throw new LockHeldError(tokenType, old?.inProgressExpiresAt);
    }
    return this.keep(await this.refreshAsOwner(seenVersion));
  }

  private async refreshAsOwner(seenVersion: number): Promise<AccessToken> {
    const { client, tableName, tokenType, cipher } = this.options;
    let fresh: Awaited<ReturnType<FetchProviderToken>>;
    try {
      fresh = await this.options.fetchToken();
    } catch (error) {
      // Powertools deletes the record when the handler throws, so the next caller may try.
      await client
        .send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: marshall({ tokenType }),
            ConditionExpression: 'lockOwner = :me',
            ExpressionAttributeValues: marshall({ ':me': this.owner }),
          }),
        )
        .catch(() => {});
      throw error;
    }
    const expiresAt = toEpochSeconds(fresh.expiresAt);
    const version = seenVersion + 1;
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ tokenType }),
        UpdateExpression:
          'SET accessToken = :token, expiresAt = :expiresAt, updatedAt = :updatedAt, #status = :completed, version = :version REMOVE inProgressExpiresAt, lockOwner',
        ConditionExpression: 'lockOwner = :me',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({
          ':token': await cipher.encrypt(fresh.accessToken, tokenType),
          ':expiresAt': expiresAt,
          ':updatedAt': toEpochSeconds(Date.now()),
          ':completed': COMPLETED,
          ':version': version,
          ':me': this.owner,
        }),
      }),
    );
    return new AccessToken(tokenType, fresh.accessToken, fromEpochSeconds(expiresAt), version);
  }

  /** The item's token when the record is completed, decrypts, is fresh and is not `rejectedValue`. */
  private async usable(
    item: ItemView | undefined,
    rejectedValue: string | undefined,
  ): Promise<AccessToken | undefined> {
    if (item === undefined || item.status === IN_PROGRESS) return undefined;
    if (item.ciphertext === undefined || item.expiresAt === undefined) return undefined;
    const expiresAt = fromEpochSeconds(item.expiresAt);
    if (!isFresh(expiresAt, Date.now(), this.options.skewMs)) return undefined;
    let value: string;
    try {
      value = await this.options.cipher.decrypt(item.ciphertext, this.options.tokenType);
    } catch {
      return undefined;
    }
    if (value === rejectedValue) return undefined;
    return new AccessToken(this.options.tokenType, value, expiresAt, item.version);
  }

  private async read(): Promise<ItemView | undefined> {
    const { client, tableName, tokenType } = this.options;
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: marshall({ tokenType }), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : view(Item);
  }

  private keep(token: AccessToken): AccessToken {
    this.cached = token;
    return token;
  }

  private fresh(token: AccessToken): boolean {
    return isFresh(token.expiresAt, Date.now(), this.options.skewMs);
  }
}

function view(raw: Record<string, AttributeValue>): ItemView {
  const item = unmarshall(raw);
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    status: typeof item.status === 'string' ? item.status : COMPLETED,
    ciphertext: typeof item.accessToken === 'string' ? item.accessToken : undefined,
    expiresAt: number(item.expiresAt),
    inProgressExpiresAt: number(item.inProgressExpiresAt),
    version: number(item.version) ?? 0,
  };
}

function isConditionFailure(error: unknown): error is Error & { Item?: Record<string, AttributeValue> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { callDynamo, type DynamoCall, isConditionFailure, type SdkCallOptions } from './dynamo-call.js';
import type {
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  ReleaseRequest,
  StoreCallOptions,
  TokenRecord,
} from './token-record.js';

/**
 * What the manager needs of a store: the four conditional operations, and optionally the fifth
 * (without it, every rejection-driven generation stays bounded for its whole interval).
 */
export type TokenRepository = Pick<TokenStore, 'read' | 'claim' | 'commit' | 'release'> &
  Partial<Pick<TokenStore, 'confirmRejectionRefresh'>>;

export interface TokenStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

/**
 * The DynamoDB repository. Every write is conditional: the condition IS the
 * distributed lock. A lease over time, for one item:
 *
 *   A: claim(v) ──── lease A ────────────── commit (lockOwner = A) → v+1
 *   B:        claim(v) ✗ (live lease)  wait… read → v+1, use it
 *   C:  (A crashed) ......... lease A ends │ claim(v) ✓ takes over → lease C
 *   A': (A was only frozen, wakes up)                commit (lockOwner = A) ✗ LeaseLost
 */
export class TokenStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;

  constructor(options: TokenStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  /**
   * The item, strongly consistent unless `consistent: false`: a refresh committed a moment ago by
   * another container must be visible, but a waiter's polls may read a moment behind (half the
   * read capacity; the conditional claim still sees the truth).
   */
  async read(
    tokenType: string,
    options: StoreCallOptions & { consistent?: boolean } = {},
  ): Promise<TokenRecord | undefined> {
    const output = await this.send(tokenType, 'read', 'GetItem', options.timeoutMs, (callOptions) =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: marshall({ tokenType }),
          ConsistentRead: options.consistent ?? true,
        }),
        callOptions,
      ),
    );
    return output.Item ? toRecord(output.Item) : undefined;
  }

  /**
   * Step 4: take the lease if the item is still at the version the caller saw (or
   * still absent) and nobody holds a live lease. A loser gets the item as it is now,
   * from `ALL_OLD` where the engine returns it, else from a fresh read (dynalite).
   */
  async claim(tokenType: string, request: ClaimRequest): Promise<ClaimResult> {
    const { seenVersion, owner, leaseExpiresAt, now } = request;
    const sawItem = seenVersion !== undefined;
    // An item written before versions existed (the seed's table) reads as version 0.
    const sameVersion =
      seenVersion === 0 ? '(version = :seen OR attribute_not_exists(version))' : 'version = :seen';
    const noLiveLease =
      '(updating = :false OR attribute_not_exists(updating) OR attribute_not_exists(lockExpiresAt) OR lockExpiresAt < :now)';
    // The shared back-off is part of the lock: nobody claims while it is on, whatever they read before.
    const noBackoff = '(attribute_not_exists(retryAfter) OR retryAfter <= :now)';
    const condition = sawItem
      ? `${sameVersion} AND ${noLiveLease} AND ${noBackoff}`
      : 'attribute_not_exists(tokenType)';
    const values: Record<string, unknown> = {
      ':true': true,
      ':owner': owner,
      ':lease': leaseExpiresAt,
      ':zero': 0,
      ':now': now,
    };
    if (sawItem) Object.assign(values, { ':seen': seenVersion, ':false': false });
    // lockClaimedAt: with the item's refresh duration, when waiters may expect the commit.
    let update =
      'SET updating = :true, lockOwner = :owner, lockExpiresAt = :lease, lockClaimedAt = :now, version = if_not_exists(version, :zero)';
    if (request.holdUntil !== undefined) {
      update += ', expiresAt = :hold REMOVE accessToken';
      values[':hold'] = request.holdUntil;
    }
    const result = await this.conditionalUpdate(tokenType, 'claim', request.timeoutMs, {
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeValues: marshall(values),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (result.applied) return { claimed: true, record: toRecord(result.attributes ?? {}) };
    const current = result.old
      ? toRecord(result.old)
      : await this.read(tokenType, { timeoutMs: request.timeoutMs });
    // The owner is new for every claim, so a lease in its name is this very claim: an earlier
    // attempt of it applied and its answer was lost (a reset connection the SDK retried).
    if (current?.lockOwner === owner && current.updating) return { claimed: true, record: current };
    return { claimed: false, current };
  }

  /**
   * Step 5: write the new generation, fenced by `lockOwner = me` so a holder whose lease
   * was taken over cannot overwrite a newer token (I3). Returns the committed item, or
   * `undefined` when the fence failed (the lease was lost).
   *
   * Safe to repeat: when the fence fails because an earlier attempt of this same commit applied
   * (its answer lost, the SDK or the holder tried again), the item holds this commit's
   * ciphertext, unique to it (a random IV), and is returned as committed.
   */
  async commit(tokenType: string, request: CommitRequest): Promise<TokenRecord | undefined> {
    const values: Record<string, unknown> = {
      ':owner': request.owner,
      ':token': request.accessToken,
      ':expiresAt': request.expiresAt,
      ':updatedAt': request.updatedAt,
      ':zero': 0,
      ':one': 1,
      ':false': false,
    };
    let set =
      'SET accessToken = :token, expiresAt = :expiresAt, updatedAt = :updatedAt, version = if_not_exists(version, :zero) + :one, updating = :false';
    if (request.refreshToken !== undefined) {
      set += ', refreshToken = :refresh';
      values[':refresh'] = request.refreshToken;
    }
    if (request.refreshDuration !== undefined) {
      set += ', refreshMs = :refreshMs, refreshDeviationMs = :refreshDeviationMs';
      values[':refreshMs'] = request.refreshDuration.refreshMs;
      values[':refreshDeviationMs'] = request.refreshDuration.refreshDeviationMs;
    }
    let remove = 'lockOwner, lockExpiresAt, lockClaimedAt, failures, retryAfter';
    if (request.rejectedVersion !== undefined) {
      set += ', rejectedVersion = :rejected';
      values[':rejected'] = request.rejectedVersion;
    } else {
      remove += ', rejectedVersion';
    }
    // Bounded by the caller (commitWithinLease passes the time to its cutoff): a DynamoDB that
    // never answers must not hold the invocation past its deadline (I2).
    const result = await this.conditionalUpdate(tokenType, 'commit', request.timeoutMs, {
      UpdateExpression: `${set} REMOVE ${remove}`,
      // Or the item is gone: TTL may delete an expired item while its refresh is under way, and
      // nobody holds a newer token then. Refusing would cost a second provider call (I1).
      ConditionExpression: 'lockOwner = :owner OR attribute_not_exists(tokenType)',
      ExpressionAttributeValues: marshall(values),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (result.applied) return toRecord(result.attributes ?? {});
    const current = result.old
      ? toRecord(result.old)
      : await this.read(tokenType, { timeoutMs: request.timeoutMs });
    return current?.accessToken === request.accessToken ? current : undefined;
  }

  /**
   * Gives the lease back after a failed refresh, again only if it is still ours, and
   * records the shared back-off. Returns false when the lease had already been taken.
   */
  async release(tokenType: string, request: ReleaseRequest): Promise<boolean> {
    const values: Record<string, unknown> = { ':owner': request.owner, ':false': false };
    let update = 'SET updating = :false';
    if (request.retryAfter !== undefined) {
      update += ', failures = if_not_exists(failures, :zero) + :one, retryAfter = :retryAfter';
      Object.assign(values, { ':zero': 0, ':one': 1, ':retryAfter': request.retryAfter });
    }
    const result = await this.conditionalUpdate(tokenType, 'release', request.timeoutMs, {
      UpdateExpression: `${update} REMOVE lockOwner, lockExpiresAt, lockClaimedAt`,
      ConditionExpression: 'lockOwner = :owner',
      ExpressionAttributeValues: marshall(values),
    });
    return result.applied;
  }

  /**
   * The new token cured the rejection that made `version` (a retry with it succeeded): removes
   * `rejectedVersion`, so a rejection of this version is refreshed at once, as any revocation.
   * Only while the item is still at `version`. Returns whether it applied.
   */
  async confirmRejectionRefresh(
    tokenType: string,
    request: { version: number } & StoreCallOptions,
  ): Promise<boolean> {
    const result = await this.conditionalUpdate(tokenType, 'confirm', request.timeoutMs, {
      UpdateExpression: 'REMOVE rejectedVersion',
      ConditionExpression: 'version = :version AND attribute_exists(rejectedVersion)',
      ExpressionAttributeValues: marshall({ ':version': request.version }),
    });
    return result.applied;
  }

  /**
   * Every write of the store: one UpdateItem on the tokenType's item. A failed condition
   * is an answer, not an error: it comes back as `applied: false` with the old item when
   * the engine returned it.
   */
  private async conditionalUpdate(
    tokenType: string,
    operation: string,
    timeoutMs: number | undefined,
    input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
  ): Promise<
    | { applied: true; attributes: AttributeMap | undefined }
    | { applied: false; old: AttributeMap | undefined }
  > {
    try {
      const output = await this.send(tokenType, operation, 'UpdateItem', timeoutMs, (callOptions) =>
        this.client.send(
          new UpdateItemCommand({ ...input, TableName: this.tableName, Key: marshall({ tokenType }) }),
          callOptions,
        ),
      );
      return { applied: true, attributes: output.Attributes };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { applied: false, old: error.Item };
    }
  }

  private send<T>(
    tokenType: string,
    step: string,
    operation: DynamoCall['operation'],
    timeoutMs: number | undefined,
    call: (options: SdkCallOptions) => Promise<T>,
  ): Promise<T> {
    return callDynamo({ tableName: this.tableName, tokenType, step, operation, timeoutMs }, call);
  }
}

type AttributeMap = Record<string, AttributeValue>;

function toRecord(item: Parameters<typeof unmarshall>[0]): TokenRecord {
  const raw = unmarshall(item) as Partial<TokenRecord> & { tokenType: string };
  return {
    ...raw,
    tokenType: raw.tokenType,
    updating: raw.updating === true,
    version: typeof raw.version === 'number' ? raw.version : 0,
  };
}

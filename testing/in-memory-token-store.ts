import type {
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  ReleaseRequest,
  TokenRecord,
} from '../layer/store/token-record.js';
import type { TokenRepository } from '../layer/store/token-store.js';

/** What {@link InMemoryTokenStore} was asked, by operation. */
export interface TokenStoreCalls {
  reads: number;
  claims: number;
  commits: number;
  releases: number;
  confirms: number;
}

/**
 * An item as DynamoDB would hold it: `version` and `updating` may be absent (an item written
 * before versions existed). `TokenRecord` is what a read turns it into.
 */
export type StoredItem = Omit<TokenRecord, 'version' | 'updating'> & { version?: number; updating?: boolean };

/** The operations of a token table, as {@link InMemoryTokenTable.enter} names them. */
export type TokenTableOperation = 'read' | 'claim' | 'commit' | 'release' | 'confirm';

/** One call of a token table: what a subclass sees before and after the table does its work. */
export interface TokenTableEvent {
  op: TokenTableOperation;
  tokenType: string;
  /** A copy of the request (none for a read or a confirm). */
  request?: ClaimRequest | CommitRequest | ReleaseRequest;
}

/** The counter of {@link TokenStoreCalls} that an operation adds to. */
export const CALL_COUNTER: Record<TokenTableOperation, keyof TokenStoreCalls> = {
  read: 'reads',
  claim: 'claims',
  commit: 'commits',
  release: 'releases',
  confirm: 'confirms',
};

/**
 * The token table on a Map, with the conditions `TokenStore` sends DynamoDB, expression for
 * expression (see the UpdateExpression and ConditionExpression of each method of
 * layer/store/token-store.ts):
 *
 * - claim: `attribute_not_exists(tokenType)` when the caller saw no item; else
 *   `version = :seen` (or, for :seen = 0, a missing version or item) AND no live lease, where a
 *   lease is dead when `updating` is false or missing, `lockExpiresAt` is missing, or
 *   `lockExpiresAt < :now`, AND no shared back-off (`retryAfter` missing or `<= :now`). Sets
 *   updating, lockOwner, lockExpiresAt, lockClaimedAt = :now, version = if_not_exists(version,
 *   0); with `holdUntil`, also expiresAt = holdUntil and removes accessToken.
 * - claim, when its condition fails: granted all the same if the item's lease is in this
 *   claim's owner (an earlier attempt of it applied, its answer lost).
 * - commit: `lockOwner = :owner OR attribute_not_exists(tokenType)` (TTL may delete the item
 *   mid-refresh); sets the token, expiresAt, updatedAt, version = if_not_exists(version, 0) + 1,
 *   updating = false, the refresh token, the refresh duration and the rejected version when
 *   given; removes lockOwner, lockExpiresAt, lockClaimedAt, failures, retryAfter and (without a
 *   rejected version) rejectedVersion. When the fence fails and the item already holds this commit's ciphertext (an earlier attempt
 *   applied), that item is answered as committed.
 * - confirmRejectionRefresh: `version = :version AND attribute_exists(rejectedVersion)`; removes
 *   rejectedVersion.
 * - release: `lockOwner = :owner`; sets updating = false and, with a retryAfter,
 *   failures = if_not_exists(failures, 0) + 1 and retryAfter; removes lockOwner, lockExpiresAt and
 *   lockClaimedAt.
 *
 * Items are deep-copied in and out, so a caller never edits the table by reference. The
 * protected methods are where a subclass counts, interleaves or fails calls
 * ({@link InMemoryTokenStore} counts them; the suite's test/support/memory-token-store.ts adds hooks).
 */
export class InMemoryTokenTable implements TokenRepository {
  private readonly items = new Map<string, StoredItem>();

  /** Removes the item of `tokenType`, as the table's TTL would: the next call refreshes the token. */
  delete(tokenType: string): void {
    this.items.delete(tokenType);
  }

  async read(tokenType: string, _options?: { consistent?: boolean }): Promise<TokenRecord | undefined> {
    await this.enter({ op: 'read', tokenType });
    const item = this.items.get(tokenType);
    return item && toRecord(item);
  }

  async claim(tokenType: string, request: ClaimRequest): Promise<ClaimResult> {
    const event: TokenTableEvent = { op: 'claim', tokenType, request: copy(request) };
    await this.enter(event);
    const { seenVersion, owner, leaseExpiresAt, now } = request;
    const item = this.items.get(tokenType);
    if (!claimCondition(item, seenVersion, now)) {
      const current = await this.claimRefused(tokenType, item && toRecord(item));
      // As TokenStore.claim: a lease in this claim's owner is this claim, applied by an earlier attempt.
      if (current?.lockOwner === owner && current.updating) return { claimed: true, record: current };
      return { claimed: false, current };
    }
    const next: StoredItem = {
      ...(item ?? { tokenType }),
      updating: true,
      lockOwner: owner,
      lockExpiresAt: leaseExpiresAt,
      lockClaimedAt: now,
      version: item?.version ?? 0,
    };
    if (request.holdUntil !== undefined) {
      next.expiresAt = request.holdUntil;
      delete next.accessToken;
    }
    this.setRawItem(next);
    await this.written(event);
    return { claimed: true, record: toRecord(next) };
  }

  async commit(tokenType: string, request: CommitRequest): Promise<TokenRecord | undefined> {
    const event: TokenTableEvent = { op: 'commit', tokenType, request: copy(request) };
    await this.enter(event);
    // An item deleted meanwhile (TTL) is committed afresh, as `attribute_not_exists` lets DynamoDB.
    const item: StoredItem = this.items.get(tokenType) ?? { tokenType, version: 0, lockOwner: request.owner };
    if (item.lockOwner === undefined || item.lockOwner !== request.owner) {
      // As TokenStore.commit: this commit's own ciphertext means an earlier attempt of it applied.
      return item.accessToken === request.accessToken ? toRecord(item) : undefined;
    }
    const next: StoredItem = {
      ...item,
      accessToken: request.accessToken,
      expiresAt: request.expiresAt,
      updatedAt: request.updatedAt,
      version: (item.version ?? 0) + 1,
      updating: false,
    };
    if (request.refreshToken !== undefined) next.refreshToken = request.refreshToken;
    if (request.refreshDuration !== undefined) {
      next.refreshMs = request.refreshDuration.refreshMs;
      next.refreshDeviationMs = request.refreshDuration.refreshDeviationMs;
    }
    if (request.rejectedVersion !== undefined) next.rejectedVersion = request.rejectedVersion;
    else delete next.rejectedVersion;
    delete next.lockOwner;
    delete next.lockExpiresAt;
    delete next.lockClaimedAt;
    delete next.failures;
    delete next.retryAfter;
    this.setRawItem(next);
    await this.written(event);
    return toRecord(next);
  }

  async confirmRejectionRefresh(tokenType: string, request: { version: number }): Promise<boolean> {
    const event: TokenTableEvent = { op: 'confirm', tokenType };
    await this.enter(event);
    const item = this.items.get(tokenType);
    // The raw version: an item without one fails `version = :version` in DynamoDB too.
    if (item?.version !== request.version || item.rejectedVersion === undefined) return false;
    const next: StoredItem = { ...item };
    delete next.rejectedVersion;
    this.setRawItem(next);
    await this.written(event);
    return true;
  }

  async release(tokenType: string, request: ReleaseRequest): Promise<boolean> {
    const event: TokenTableEvent = { op: 'release', tokenType, request: copy(request) };
    await this.enter(event);
    const item = this.items.get(tokenType);
    if (item?.lockOwner === undefined || item.lockOwner !== request.owner) return false;
    const next: StoredItem = { ...item, updating: false };
    if (request.retryAfter !== undefined) {
      next.failures = (item.failures ?? 0) + 1;
      next.retryAfter = request.retryAfter;
    }
    delete next.lockOwner;
    delete next.lockExpiresAt;
    delete next.lockClaimedAt;
    this.setRawItem(next);
    await this.written(event);
    return true;
  }

  /**
   * Runs at the start of every call, before the item is looked at; awaited, so a subclass can
   * interleave other calls there, or throw to fail the call as DynamoDB would.
   */
  protected async enter(_event: TokenTableEvent): Promise<void> {}

  /**
   * Runs after a write applied, before the call answers; throw to lose the answer of a write that
   * applied, as a connection reset on the way back does.
   */
  protected async written(_event: TokenTableEvent): Promise<void> {}

  /**
   * What a refused claim answers as the item now: the item it was refused on, as DynamoDB
   * returns it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). An engine that ignores that
   * option (dynalite) makes `TokenStore` read it again instead.
   */
  protected async claimRefused(
    _tokenType: string,
    item: TokenRecord | undefined,
  ): Promise<TokenRecord | undefined> {
    return item;
  }

  /** The raw item (attributes possibly missing), as a copy; no call, so nothing is counted. */
  protected rawItem(tokenType: string): StoredItem | undefined {
    const item = this.items.get(tokenType);
    return item && copy(item);
  }

  /** Writes the item as given, bypassing every condition. */
  protected setRawItem(item: StoredItem): void {
    this.items.set(item.tokenType, copy(item));
  }
}

/**
 * The token table in the test's process: pass it as the `store` option (of the middleware,
 * `SharedToken` or `TenantTokens`) and nothing is asked of DynamoDB. Every write keeps the
 * condition `TokenStore` sends DynamoDB (see layer/store/token-store.ts), so a test sees the
 * same protocol: one claim wins the lease, a commit is fenced by its lease, a rejected version
 * is refreshed once.
 *
 * One store is one table: share it between two handlers to see them share one token, make a new
 * one per test to start from an empty table.
 */
export class InMemoryTokenStore extends InMemoryTokenTable {
  /** Calls made so far, failed or not. */
  readonly calls: TokenStoreCalls = { reads: 0, claims: 0, commits: 0, releases: 0, confirms: 0 };

  /** The item of `tokenType` as the table holds it (a copy; the token in it is encrypted), or undefined. */
  item(tokenType: string): TokenRecord | undefined {
    const item = this.rawItem(tokenType);
    return item && toRecord(item);
  }

  /** Counts the call. */
  protected override async enter(event: TokenTableEvent): Promise<void> {
    this.calls[CALL_COUNTER[event.op]]++;
  }
}

function claimCondition(item: StoredItem | undefined, seenVersion: number | undefined, now: number): boolean {
  // attribute_not_exists(tokenType)
  if (seenVersion === undefined) return item === undefined;
  // DynamoDB evaluates the condition against an empty item when there is none: comparisons
  // are false, attribute_not_exists is true (so a claim of "version 0" creates a missing item).
  const attributes: Partial<StoredItem> = item ?? {};
  const sameVersion =
    attributes.version === seenVersion || (seenVersion === 0 && attributes.version === undefined);
  const noLiveLease =
    attributes.updating === false ||
    attributes.updating === undefined ||
    attributes.lockExpiresAt === undefined ||
    attributes.lockExpiresAt < now;
  // (attribute_not_exists(retryAfter) OR retryAfter <= :now): the shared back-off is part of the lock.
  const noBackoff = attributes.retryAfter === undefined || attributes.retryAfter <= now;
  return sameVersion && noLiveLease && noBackoff;
}

/** As `toRecord` in token-store.ts: a missing version reads as 0, a missing `updating` as false. */
function toRecord(item: StoredItem): TokenRecord {
  const raw = copy(item);
  return {
    ...raw,
    updating: raw.updating === true,
    version: typeof raw.version === 'number' ? raw.version : 0,
  };
}

/** A deep copy without `undefined` attributes (DynamoDB has no attribute set to undefined). */
function copy<T extends object>(value: T): T {
  const clone = structuredClone(value) as Record<string, unknown>;
  for (const key of Object.keys(clone)) if (clone[key] === undefined) delete clone[key];
  return clone as T;
}

import type {
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  ReleaseRequest,
  TokenRecord,
  TokenRepository,
} from 'lambda-shared-token/advanced';

/**
 * An item as DynamoDB would hold it: `version` and `updating` may be absent (an item
 * written by the seed, before versions existed). `TokenRecord` is what `read` turns it into.
 */
export type StoredItem = Omit<TokenRecord, 'version' | 'updating'> & { version?: number; updating?: boolean };

export type StoreOperation = 'read' | 'claim' | 'commit' | 'release' | 'confirm';

export interface OperationEvent {
  op: StoreOperation;
  tokenType: string;
  request?: ClaimRequest | CommitRequest | ReleaseRequest;
}

export interface MemoryTokenStoreOptions {
  /**
   * Whether a failed claim returns the item as it was (`ReturnValuesOnConditionCheckFailure:
   * ALL_OLD`, DynamoDB Local and AWS) or makes the store read it again (dynalite ignores
   * that option). The re-read counts as a read and passes through `beforeOperation`.
   * @default true
   */
  returnOldOnConditionFailure?: boolean;
}

/**
 * In-process fake of `TokenStore` with the same conditional semantics, expression for
 * expression (see the UpdateExpression and ConditionExpression of each method there):
 *
 * - claim: `attribute_not_exists(tokenType)` when the caller saw no item; else
 *   `version = :seen` (or, for :seen = 0, a missing version or item) AND no live lease, where a
 *   lease is dead when `updating` is false or missing, `lockExpiresAt` is missing, or
 *   `lockExpiresAt < :now`. Sets updating, lockOwner, lockExpiresAt, version = if_not_exists(version, 0);
 *   with `holdUntil`, also expiresAt = holdUntil and removes accessToken.
 * - claim, when its condition fails: granted all the same if the item's lease is in this
 *   claim's owner (an earlier attempt of it applied, its answer lost).
 * - commit: `lockOwner = :owner OR attribute_not_exists(tokenType)` (TTL may delete the item
 *   mid-refresh); sets the token, expiresAt, updatedAt, version = if_not_exists(version, 0) + 1,
 *   updating = false, the refresh token and the rejected version when given; removes lockOwner,
 *   lockExpiresAt, failures, retryAfter and (without a rejected version) rejectedVersion. When the fence fails and the item already holds this commit's
 *   ciphertext (an earlier attempt applied), that item is answered as committed.
 * - confirmRejectionRefresh: `version = :version AND attribute_exists(rejectedVersion)`; removes
 *   rejectedVersion.
 * - release: `lockOwner = :owner`; sets updating = false and, with a retryAfter,
 *   failures = if_not_exists(failures, 0) + 1 and retryAfter; removes lockOwner and lockExpiresAt.
 *
 * Records are deep-copied in and out, so a caller can never edit the stored item by reference.
 */
export class MemoryTokenStore implements TokenRepository {
  /** Calls made, failed or not (a re-read after a failed claim counts as a read). */
  readonly counts = { reads: 0, claims: 0, commits: 0, releases: 0, confirms: 0 };
  /** Successful writes: claims granted, commits applied, releases applied. */
  readonly applied = { claims: 0, commits: 0, releases: 0 };
  /** Every call in order, with a copy of its request. */
  readonly operations: OperationEvent[] = [];
  /**
   * Runs at the start of every call, before the item is looked at: await something to
   * interleave containers, or throw to make the call fail as DynamoDB would.
   */
  beforeOperation: ((event: OperationEvent) => Promise<void> | void) | undefined;
  /**
   * Runs after a call has done its work, before it answers: throw to lose the answer of a write
   * that applied, as a connection reset on the way back does.
   */
  afterOperation: ((event: OperationEvent) => Promise<void> | void) | undefined;

  private readonly items = new Map<string, StoredItem>();
  private readonly returnOldOnConditionFailure: boolean;

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.returnOldOnConditionFailure = options.returnOldOnConditionFailure ?? true;
  }

  /** Total calls of all four operations. */
  get calls(): number {
    const { reads, claims, commits, releases, confirms } = this.counts;
    return reads + claims + commits + releases + confirms;
  }

  /** Seeds or tampers with an item, bypassing every condition. */
  put(item: StoredItem): void {
    this.items.set(item.tokenType, copy(item));
  }

  /** The raw item (attributes possibly missing), as a copy; does not count as a read. */
  get(tokenType: string): StoredItem | undefined {
    const item = this.items.get(tokenType);
    return item ? copy(item) : undefined;
  }

  /** Removes the item, as the table's TTL or an operator would. */
  delete(tokenType: string): void {
    this.items.delete(tokenType);
  }

  async read(tokenType: string, _options?: { consistent?: boolean }): Promise<TokenRecord | undefined> {
    this.counts.reads++;
    await this.enter({ op: 'read', tokenType });
    const item = this.items.get(tokenType);
    return item ? toRecord(item) : undefined;
  }

  async claim(tokenType: string, request: ClaimRequest): Promise<ClaimResult> {
    this.counts.claims++;
    await this.enter({ op: 'claim', tokenType, request: copy(request) });
    const { seenVersion, owner, leaseExpiresAt, now } = request;
    const item = this.items.get(tokenType);
    if (!claimCondition(item, seenVersion, now)) {
      const current = this.returnOldOnConditionFailure ? item && toRecord(item) : await this.read(tokenType);
      // As TokenStore.claim: a lease in this claim's owner is this claim, applied by an earlier attempt.
      if (current?.lockOwner === owner && current.updating) return { claimed: true, record: current };
      return { claimed: false, current };
    }
    const next: StoredItem = {
      ...(item ?? { tokenType }),
      updating: true,
      lockOwner: owner,
      lockExpiresAt: leaseExpiresAt,
      version: item?.version ?? 0,
    };
    if (request.holdUntil !== undefined) {
      next.expiresAt = request.holdUntil;
      delete next.accessToken;
    }
    this.items.set(tokenType, copy(next));
    this.applied.claims++;
    await this.afterOperation?.({ op: 'claim', tokenType, request: copy(request) });
    return { claimed: true, record: toRecord(next) };
  }

  async commit(tokenType: string, request: CommitRequest): Promise<TokenRecord | undefined> {
    this.counts.commits++;
    await this.enter({ op: 'commit', tokenType, request: copy(request) });
    const found = this.items.get(tokenType);
    // The item deleted (TTL) meanwhile is committed afresh, as DynamoDB does with attribute_not_exists.
    const item: StoredItem = found ?? { tokenType, version: 0, lockOwner: request.owner };
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
      ...(request.refreshToken !== undefined && { refreshToken: request.refreshToken }),
      ...(request.rejectedVersion !== undefined && { rejectedVersion: request.rejectedVersion }),
    };
    if (request.rejectedVersion === undefined) delete next.rejectedVersion;
    delete next.lockOwner;
    delete next.lockExpiresAt;
    delete next.failures;
    delete next.retryAfter;
    this.items.set(tokenType, copy(next));
    this.applied.commits++;
    await this.afterOperation?.({ op: 'commit', tokenType, request: copy(request) });
    return toRecord(next);
  }

  async confirmRejectionRefresh(tokenType: string, request: { version: number }): Promise<boolean> {
    this.counts.confirms++;
    await this.enter({ op: 'confirm', tokenType });
    const item = this.items.get(tokenType);
    if (item?.version !== request.version || item.rejectedVersion === undefined) return false;
    const next: StoredItem = { ...item };
    delete next.rejectedVersion;
    this.items.set(tokenType, copy(next));
    return true;
  }

  async release(tokenType: string, request: ReleaseRequest): Promise<boolean> {
    this.counts.releases++;
    await this.enter({ op: 'release', tokenType, request: copy(request) });
    const item = this.items.get(tokenType);
    if (item?.lockOwner === undefined || item.lockOwner !== request.owner) return false;
    const next: StoredItem = { ...item, updating: false };
    if (request.retryAfter !== undefined) {
      next.failures = (item.failures ?? 0) + 1;
      next.retryAfter = request.retryAfter;
    }
    delete next.lockOwner;
    delete next.lockExpiresAt;
    this.items.set(tokenType, copy(next));
    this.applied.releases++;
    await this.afterOperation?.({ op: 'release', tokenType, request: copy(request) });
    return true;
  }

  private async enter(event: OperationEvent): Promise<void> {
    this.operations.push(event);
    await this.beforeOperation?.(event);
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

/** Deep copy without `undefined` attributes (DynamoDB has no such thing as an attribute set to undefined). */
function copy<T extends object>(value: T): T {
  const clone = structuredClone(value) as Record<string, unknown>;
  for (const key of Object.keys(clone)) if (clone[key] === undefined) delete clone[key];
  return clone as T;
}

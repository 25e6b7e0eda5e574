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
 * The token table in the test's process: pass it as the `store` option (of the middleware,
 * `SharedToken` or `TenantTokens`) and nothing is asked of DynamoDB. Every write keeps the
 * condition `TokenStore` sends DynamoDB (see layer/store/token-store.ts), so a test sees the
 * same protocol: one claim wins the lease, a commit is fenced by its lease, a rejected version
 * is refreshed once.
 *
 * One store is one table: share it between two handlers to see them share one token, make a new
 * one per test to start from an empty table.
 */
export class InMemoryTokenStore implements TokenRepository {
  /** Calls made so far, failed or not. */
  readonly calls: TokenStoreCalls = { reads: 0, claims: 0, commits: 0, releases: 0, confirms: 0 };
  private readonly items = new Map<string, TokenRecord>();

  /** The item of `tokenType` as the table holds it (a copy; the token in it is encrypted), or undefined. */
  item(tokenType: string): TokenRecord | undefined {
    const item = this.items.get(tokenType);
    return item === undefined ? undefined : copy(item);
  }

  /** Removes the item of `tokenType`, as the table's TTL would: the next call refreshes the token. */
  delete(tokenType: string): void {
    this.items.delete(tokenType);
  }

  async read(tokenType: string): Promise<TokenRecord | undefined> {
    this.calls.reads++;
    return this.item(tokenType);
  }

  async claim(tokenType: string, request: ClaimRequest): Promise<ClaimResult> {
    this.calls.claims++;
    const { seenVersion, owner, leaseExpiresAt, now } = request;
    const item = this.items.get(tokenType);
    if (!mayClaim(item, seenVersion, now)) {
      // A lease in this claim's owner is this very claim, applied by an earlier attempt.
      if (item?.lockOwner === owner && item.updating) return { claimed: true, record: copy(item) };
      return { claimed: false, current: item && copy(item) };
    }
    const next: TokenRecord = {
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
    return { claimed: true, record: this.store(next) };
  }

  async commit(tokenType: string, request: CommitRequest): Promise<TokenRecord | undefined> {
    this.calls.commits++;
    // An item deleted meanwhile (TTL) is committed afresh, as `attribute_not_exists` lets DynamoDB.
    const item = this.items.get(tokenType) ?? {
      tokenType,
      version: 0,
      updating: false,
      lockOwner: request.owner,
    };
    if (item.lockOwner !== request.owner) {
      // The fence failed; this commit's own ciphertext in the item means an earlier attempt applied.
      return item.accessToken === request.accessToken ? copy(item) : undefined;
    }
    const next: TokenRecord = {
      ...item,
      accessToken: request.accessToken,
      expiresAt: request.expiresAt,
      updatedAt: request.updatedAt,
      version: item.version + 1,
      updating: false,
    };
    if (request.refreshToken !== undefined) next.refreshToken = request.refreshToken;
    if (request.rejectedVersion !== undefined) next.rejectedVersion = request.rejectedVersion;
    else delete next.rejectedVersion;
    delete next.lockOwner;
    delete next.lockExpiresAt;
    delete next.failures;
    delete next.retryAfter;
    return this.store(next);
  }

  async confirmRejectionRefresh(tokenType: string, request: { version: number }): Promise<boolean> {
    this.calls.confirms++;
    const item = this.items.get(tokenType);
    if (item?.version !== request.version || item.rejectedVersion === undefined) return false;
    const next = copy(item);
    delete next.rejectedVersion;
    this.store(next);
    return true;
  }

  async release(tokenType: string, request: ReleaseRequest): Promise<boolean> {
    this.calls.releases++;
    const item = this.items.get(tokenType);
    if (item?.lockOwner === undefined || item.lockOwner !== request.owner) return false;
    const next: TokenRecord = { ...item, updating: false };
    if (request.retryAfter !== undefined) {
      next.failures = (item.failures ?? 0) + 1;
      next.retryAfter = request.retryAfter;
    }
    delete next.lockOwner;
    delete next.lockExpiresAt;
    this.store(next);
    return true;
  }

  private store(item: TokenRecord): TokenRecord {
    this.items.set(item.tokenType, copy(item));
    return copy(item);
  }
}

/**
 * TokenStore.claim's condition: the item absent when none was seen; else the version seen, no
 * live lease, no shared back-off (an absent item reads as empty, so "version 0" claims it).
 */
function mayClaim(item: TokenRecord | undefined, seenVersion: number | undefined, now: number): boolean {
  if (seenVersion === undefined) return item === undefined;
  if ((item?.version ?? 0) !== seenVersion) return false;
  const leaseIsLive =
    item?.updating === true && item.lockExpiresAt !== undefined && item.lockExpiresAt >= now;
  const backingOff = item?.retryAfter !== undefined && item.retryAfter > now;
  return !leaseIsLive && !backingOff;
}

/** A copy without `undefined` attributes: a caller never edits the table by reference. */
function copy(item: TokenRecord): TokenRecord {
  const clone = structuredClone(item) as unknown as Record<string, unknown>;
  for (const key of Object.keys(clone)) if (clone[key] === undefined) delete clone[key];
  return clone as unknown as TokenRecord;
}

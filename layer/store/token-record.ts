/** The token item and the requests the store's conditional writes take; no I/O here. */
/**
 * One item per tokenType. Units are fixed per attribute (docs/how-it-works.md, Units):
 * `expiresAt` and `updatedAt` are epoch SECONDS (TTL needs seconds); `lockExpiresAt`
 * and `retryAfter` are epoch MILLISECONDS (a lease is shorter than a second's rounding).
 */
export interface TokenRecord {
  tokenType: string;
  /** Envelope ciphertext, base64. Absent until the first commit. */
  accessToken?: string;
  /** Epoch seconds. */
  expiresAt?: number;
  /** Epoch seconds. */
  updatedAt?: number;
  updating: boolean;
  lockOwner?: string;
  /** Epoch milliseconds. */
  lockExpiresAt?: number;
  /** Epoch milliseconds: when the live lease was claimed (the holder's clock). */
  lockClaimedAt?: number;
  /**
   * Milliseconds from claim granted to commit of recent refreshes, smoothed, and their smoothed mean
   * deviation (layer/lease/refresh-duration.ts): with `lockClaimedAt`, when the commit is due.
   */
  refreshMs?: number;
  refreshDeviationMs?: number;
  /** Generation counter: +1 on every commit; 0 before the first. */
  version: number;
  /** Envelope ciphertext of a rotated OAuth2 refresh token. */
  refreshToken?: string;
  /**
   * The version whose rejection this generation replaced; absent when it replaced an expired,
   * missing or undecryptable token. Bounds rejection-driven refreshes (`rejectionRefreshIntervalMs`).
   */
  rejectedVersion?: number;
  /** Failed refreshes in a row since the last commit. */
  failures?: number;
  /** Epoch milliseconds before which nobody calls the provider again (shared back-off). */
  retryAfter?: number;
}

/** What the item keeps of the fleet's recent refreshes, in ms (layer/lease/refresh-duration.ts). */
export interface RefreshDuration {
  refreshMs: number;
  refreshDeviationMs: number;
}

export type ClaimResult =
  | { claimed: true; record: TokenRecord }
  | { claimed: false; current: TokenRecord | undefined };

/** How long a caller can wait for one store call. */
export interface StoreCallOptions {
  /**
   * Milliseconds the call may take, the SDK's retries and their back-off included; past it the
   * call is aborted with a TokenStoreError (code `AbortError`). The manager passes the time left
   * before its caller's deadline: without it a throttled or stalled DynamoDB holds the
   * invocation until Lambda kills it (throttling back-off alone is up to 1 + 2 + 4 s).
   * @default no limit but the client's own
   */
  timeoutMs?: number;
}

export interface ClaimRequest extends StoreCallOptions {
  /** The version this caller saw, or `undefined` if it saw no item. The claim fails if the item moved. */
  seenVersion: number | undefined;
  owner: string;
  /** Epoch ms: when the lease ends. */
  leaseExpiresAt: number;
  /** Epoch ms: a lease ending before this is dead and may be taken over. */
  now: number;
  /**
   * Epoch SECONDS. For a claim on an expired token: TTL (on `expiresAt`) could delete the item,
   * and the lease with it, while the refresh runs; a second container would then claim the
   * missing item and call the provider again. The claim sets `expiresAt` to this and removes the
   * expired token, so TTL keeps off until the lease is over and nobody reads a stale token.
   */
  holdUntil?: number;
}

export interface CommitRequest extends StoreCallOptions {
  owner: string;
  /** Ciphertext of the new access token. */
  accessToken: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** Epoch seconds. */
  updatedAt: number;
  /** Ciphertext of a rotated refresh token, written in the same conditional commit. */
  refreshToken?: string;
  /** The version a provider rejected, when that rejection is why this generation is committed. */
  rejectedVersion?: number;
  /** The item's refresh duration with this refresh counted; omitted: the item keeps its own. */
  refreshDuration?: RefreshDuration;
}

export interface ReleaseRequest extends StoreCallOptions {
  owner: string;
  /** Epoch ms until which every container holds off the provider; omitted for a plain release. */
  retryAfter?: number;
}

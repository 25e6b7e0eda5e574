/**
 * What `TokenManager.refreshIfDue` did for one tokenType: the scheduled refresher's unit of
 * account. Times are epoch MILLISECONDS (like `AccessToken.expiresAt`); no token value in here.
 */
export type RefreshOutcome =
  /** This caller held the lease, called the provider once and committed `version`. */
  | { outcome: 'refreshed'; version: number; expiresAt: number }
  /** The stored token is outside the refresh-ahead window: nothing done, no provider call. */
  | { outcome: 'fresh'; version: number; expiresAt: number }
  /** Another container committed a newer token while this caller looked: nothing left to do. */
  | { outcome: 'refreshed-by-other'; version: number; expiresAt: number }
  /** Due, but not refreshed now, for `reason`; nothing was asked of the provider. */
  | { outcome: 'deferred'; reason: DeferReason; version?: number; expiresAt?: number };

/**
 * - `lease-held`: another container holds a live lease and is refreshing right now. Not waited
 *   for: its success is its commit, its failure its own TokenRefreshFailed (and alarm).
 * - `backing-off`: a refresh failed recently; the shared back-off says nobody asks again yet.
 * - `expires-within-lease`: the still-valid token would expire before a lease could end, so
 *   refreshing it early could lose the item to TTL (I1); the refresh after expiry does it.
 * - `no-time-left`: the caller's deadline (minus the margin) has passed.
 */
export type DeferReason = 'lease-held' | 'backing-off' | 'expires-within-lease' | 'no-time-left';

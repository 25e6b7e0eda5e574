import { fromEpochSeconds } from './clock.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';
import type { TokenRecord } from './token-store.js';

/** Clock difference between this container and DynamoDB's TTL that the hold allows for. */
export const TTL_MARGIN_MS = 5_000;

/** The token (expiresAt in epoch seconds) is still unexpired, for TTL, `marginMs` after the lease ends. */
export function outlivesLease(expiresAtSeconds: number, leaseExpiresAt: number, marginMs: number): boolean {
  return fromEpochSeconds(expiresAtSeconds) > leaseExpiresAt + marginMs;
}

/** Somebody holds the item's lease and it has not run out (lockExpiresAt is epoch ms). */
export function leaseIsLive(record: TokenRecord, now: number): boolean {
  return record.updating && record.lockExpiresAt !== undefined && record.lockExpiresAt >= now;
}

/** Step 6: the delay before a waiter's next read. */
export function pollDelay(
  options: Pick<ResolvedTokenManagerOptions, 'pollInitialMs' | 'pollMaxMs' | 'random'>,
  attempt: number,
  record: TokenRecord,
  now: number,
  cutoff: number,
): number {
  const { pollInitialMs, pollMaxMs, random } = options;
  const base = Math.min(pollMaxMs, pollInitialMs * 2 ** attempt);
  // Equal jitter: spreads a herd of waiters without ever polling in a tight loop.
  let delay = base / 2 + (random() * base) / 2;
  if (record.lockExpiresAt !== undefined)
    delay = Math.min(delay, Math.max(1, record.lockExpiresAt - now + 1));
  return Math.max(0, Math.min(delay, cutoff - now));
}

/**
 * How much of a token's own life the refresh-ahead window may cover, at most. A window as long
 * as the token (5-minute tokens under the 5-minute default) would put every fresh token inside
 * it, and each call that finds the newest version would refresh it again.
 */
export const REFRESH_AHEAD_LIFE_SHARE = 0.5;

/**
 * Step 3: epoch ms when `token`'s refresh-ahead window opens: `refreshAheadMs` before its expiry,
 * but never earlier than `lifeShare` of its life (`expiresAt - issuedAt`) before it. A token
 * whose commit time is unknown keeps the configured window.
 */
export function refreshAheadFrom(
  token: { expiresAt: number; issuedAt?: number | undefined },
  refreshAheadMs: number,
  lifeShare = REFRESH_AHEAD_LIFE_SHARE,
): number {
  const lifeMs = token.issuedAt === undefined ? Number.POSITIVE_INFINITY : token.expiresAt - token.issuedAt;
  return token.expiresAt - Math.min(refreshAheadMs, Math.max(0, lifeMs * lifeShare));
}

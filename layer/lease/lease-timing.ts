import type { TokenRecord } from '../store/token-record.js';
import { fromEpochSeconds } from '../time/clock.js';
import { type ExpectedCommit, expectedCommit } from './refresh-duration.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';

/** Clock difference between this container and DynamoDB's TTL that the hold allows for. */
export const TTL_MARGIN_MS = 5_000;

/** The token (expiresAt in epoch seconds) is still unexpired, for TTL, `marginMs` after the lease ends. */
export function outlivesLease(expiresAtSeconds: number, leaseExpiresAt: number, marginMs: number): boolean {
  return fromEpochSeconds(expiresAtSeconds) > leaseExpiresAt + marginMs;
}

/** Time kept between the end of the provider call and the end of the lease, for encrypt + commit. */
const COMMIT_SHARE = 0.2;
const COMMIT_MARGIN_MAX_MS = 1_000;

/** The provider's share of a lease with `leaseLeftMs` to run: what is left once the commit's time is kept aside. */
export function providerBudgetMs(leaseLeftMs: number): number {
  // AbortSignal.timeout takes whole milliseconds only.
  return Math.max(1, Math.floor(leaseLeftMs - Math.min(COMMIT_MARGIN_MAX_MS, leaseLeftMs * COMMIT_SHARE)));
}

/**
 * The shortest lease a claim may take: one that covers the provider's own timeout and the commit
 * after it, or the configured lease when that is shorter (then the lease is the provider's bound,
 * fleet-wide). A caller with less time left than this does not claim: its provider call would be
 * cut short at its own deadline, wasting a call the provider may already have answered (and a
 * refresh token it may have rotated), although the provider is healthy. A provider that declares
 * no timeout gets the whole configured lease.
 */
export function leaseNeededMs(leaseMs: number, providerTimeoutMs: number | undefined): number {
  if (providerTimeoutMs === undefined) return leaseMs;
  return Math.min(leaseMs, providerTimeoutMs + COMMIT_MARGIN_MAX_MS);
}

/** Somebody holds the item's lease and it has not run out (lockExpiresAt is epoch ms). */
export function leaseIsLive(record: TokenRecord, now: number): boolean {
  return record.updating && record.lockExpiresAt !== undefined && record.lockExpiresAt >= now;
}

/**
 * Step 6: the delay before a waiter's next read. When the item says when its commit is due
 * (refresh-duration.ts), the waiter sleeps until then, its wake drawn across the window so a
 * fleet does not read in one instant, polls closely while the commit is due, and once the window
 * has passed backs off as without one. Otherwise: doubling from `pollInitialMs` to `pollMaxMs`.
 * Either way, never past the lease's end plus 1 ms (a crashed holder costs the lease plus one
 * poll, I2) nor past the caller's cutoff; and once capped, one read per `pollMaxMs` at most.
 */
export function pollDelay(
  options: Pick<ResolvedTokenManagerOptions, 'pollInitialMs' | 'pollMaxMs' | 'random'>,
  attempt: number,
  record: TokenRecord,
  now: number,
  cutoff: number,
): number {
  const expected = expectedCommit(record);
  let delay = expected ? delayTowardsCommit(options, expected, now) : doublingDelay(options, attempt);
  if (record.lockExpiresAt !== undefined)
    delay = Math.min(delay, Math.max(1, record.lockExpiresAt - now + 1));
  return Math.max(0, Math.min(delay, cutoff - now));
}

type PollOptions = Pick<ResolvedTokenManagerOptions, 'pollInitialMs' | 'pollMaxMs' | 'random'>;

/** Equal jitter: a delay drawn from [base / 2, base], so a herd spreads but never polls in a tight loop. */
function equalJitter(random: () => number, base: number): number {
  return base / 2 + (random() * base) / 2;
}

/** The schedule without an expected commit: `pollInitialMs` doubling per poll up to `pollMaxMs`. */
function doublingDelay({ pollInitialMs, pollMaxMs, random }: PollOptions, attempt: number): number {
  return equalJitter(random, Math.min(pollMaxMs, pollInitialMs * 2 ** attempt));
}

/**
 * Towards a commit due at `at`, give or take `spreadMs`: before the window, sleep to a wake drawn
 * uniformly from [at - spread / 2, at + spread / 2]; inside it (until at + spread), poll every
 * spread / 2 to spread; past it, the delay grows with the time past the window (about doubling
 * per poll), from `pollInitialMs` to the cap, as the doubling schedule does.
 */
function delayTowardsCommit(
  { pollInitialMs, pollMaxMs, random }: PollOptions,
  { at, spreadMs }: ExpectedCommit,
  now: number,
): number {
  const opens = at - spreadMs / 2;
  if (now < opens) return opens - now + random() * spreadMs;
  const closes = at + spreadMs;
  if (now <= closes) return equalJitter(random, Math.min(spreadMs, pollMaxMs));
  return equalJitter(random, Math.min(pollMaxMs, Math.max(pollInitialMs, now - closes)));
}

/**
 * How much of a token's own life the refresh-ahead window may cover, at most. A window as long
 * as the token (5-minute tokens under the 5-minute default) would put every fresh token inside
 * it, and each call that finds the newest version would refresh it again.
 */
const REFRESH_AHEAD_LIFE_SHARE = 0.5;

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

/**
 * How long a refresh takes, from the claim granted to the commit, as the fleet has seen it: kept
 * in the item (`refreshMs`, `refreshDeviationMs`) and updated by each holder at its commit, so a
 * waiter can sleep until a commit is due instead of polling blind (pollDelay in lease-timing.ts).
 *
 * The estimator is the one TCP uses for its round-trip time (RFC 6298): a smoothed mean and a
 * smoothed mean deviation, each moving a quarter of the way to the new sample. A steady provider
 * narrows the window waiters poll in; an erratic one widens it.
 */
import type { RefreshDuration, TokenRecord } from '../store/token-record.js';

/** Weight of the newest sample in both averages (RFC 6298 uses 1/8 and 1/4; one is enough here). */
const GAIN = 0.25;
/**
 * The deviation a first sample is given: a tenth of it, as if the provider varied by ±20 %.
 * A wider start (RFC 6298's half) would make the first waiters poll a window as long as the refresh.
 */
const FIRST_DEVIATION_SHARE = 0.1;

/**
 * The item's figures after a refresh that took `sampleMs` from its claim granted to its commit.
 * A sample that is negative or not finite (the clock stepped back meanwhile) leaves them as they
 * were.
 */
export function nextRefreshDuration(
  previous: Partial<RefreshDuration>,
  sampleMs: number,
): RefreshDuration | undefined {
  const known = isDuration(previous)
    ? { refreshMs: previous.refreshMs, refreshDeviationMs: previous.refreshDeviationMs }
    : undefined;
  if (!(Number.isFinite(sampleMs) && sampleMs >= 0)) return known;
  const sample = Math.round(sampleMs);
  if (!known) return { refreshMs: sample, refreshDeviationMs: Math.round(sample * FIRST_DEVIATION_SHARE) };
  const error = sample - known.refreshMs;
  return {
    refreshMs: Math.round(known.refreshMs + GAIN * error),
    refreshDeviationMs: Math.round(
      known.refreshDeviationMs + GAIN * (Math.abs(error) - known.refreshDeviationMs),
    ),
  };
}

/**
 * The least half-width of the window waiters poll in, ms: the commit's own write, the waiter's
 * read and the clocks of two containers differ by this much even when the provider never varies.
 */
export const MIN_COMMIT_SPREAD_MS = 20;

/** When the live lease's commit is due (epoch ms, the holder's clock) and how far either side of it. */
export interface ExpectedCommit {
  at: number;
  spreadMs: number;
}

/**
 * The commit the item's lease is expected to end with: its claim time plus the fleet's recent
 * refresh duration, give or take twice the deviation. Undefined when the item does not say (no
 * commit has recorded a duration yet, or the lease was claimed by a version that wrote none).
 */
export function expectedCommit(record: TokenRecord): ExpectedCommit | undefined {
  if (record.lockClaimedAt === undefined || !isDuration(record)) return undefined;
  return {
    at: record.lockClaimedAt + record.refreshMs,
    spreadMs: Math.max(MIN_COMMIT_SPREAD_MS, 2 * record.refreshDeviationMs),
  };
}

function isDuration(value: Partial<RefreshDuration>): value is RefreshDuration {
  const { refreshMs, refreshDeviationMs } = value;
  return (
    typeof refreshMs === 'number' &&
    Number.isFinite(refreshMs) &&
    refreshMs >= 0 &&
    typeof refreshDeviationMs === 'number' &&
    Number.isFinite(refreshDeviationMs) &&
    refreshDeviationMs >= 0
  );
}

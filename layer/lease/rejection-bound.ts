import { RejectionRefreshLimitedError } from '../errors/error-classes.js';
import type { TokenRecord } from '../store/token-record.js';
import { fromEpochSeconds } from '../time/clock.js';

/**
 * The fleet-wide bound on rejection-driven refreshes (step 7), read from the item: its
 * `rejectedVersion` says a rejection-driven refresh committed it, its `updatedAt` (whole seconds)
 * when. A rejection of that version within `intervalMs` is not refreshed: the error to throw, or
 * `undefined` when the refresh may go ahead. An expiry-driven generation is never bounded, so a
 * revocation right after a cold start still costs exactly one refresh; neither is one whose retry
 * confirmed it (the mark removed: `TokenStore.confirmRejectionRefresh`).
 */
export function rejectionRefreshLimit(
  record: TokenRecord | undefined,
  rejected: { tokenType: string; version: number },
  intervalMs: number,
  now: number,
): RejectionRefreshLimitedError | undefined {
  if (intervalMs === 0 || record?.version !== rejected.version) return undefined;
  if (record.rejectedVersion === undefined || record.updatedAt === undefined) return undefined;
  const refreshAllowedAt = fromEpochSeconds(record.updatedAt) + intervalMs;
  if (now >= refreshAllowedAt) return undefined;
  return new RejectionRefreshLimitedError(rejected.tokenType, rejected.version, refreshAllowedAt);
}

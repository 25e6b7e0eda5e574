/**
 * Time source of the library. Everything in memory is epoch MILLISECONDS; the
 * DynamoDB attributes `expiresAt` and `updatedAt` are epoch SECONDS (the table's
 * TTL needs seconds). Convert only at the store boundary, with these helpers.
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Epoch ms to epoch s, rounding DOWN so a token never looks longer-lived than it is. */
export const toEpochSeconds = (epochMs: number): number => Math.floor(epochMs / 1000);

/** Epoch s to epoch ms. */
export const fromEpochSeconds = (epochSeconds: number): number => epochSeconds * 1000;

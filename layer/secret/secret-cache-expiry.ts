/**
 * How long a fetched provider secret is reused: one rule for every entry point (the middleware's
 * and SharedToken's `secretCacheExpiry`, SecretsManagerSource's `cacheExpiryMs`). Milliseconds
 * everywhere; `0` fetches on every load; `-1` (Middy's way of writing it) and `Infinity` both keep
 * the secret for the container's life; 1 to 999 is refused as probably seconds (a cache of five
 * minutes written `300` would last 300 ms and ask Secrets Manager on almost every invocation).
 */
import { ConfigurationError } from '../errors/error-classes.js';
import type { OptionRule } from '../options/option-rules.js';

/** @default of every secret cache expiry: 5 minutes. */
export const DEFAULT_SECRET_CACHE_EXPIRY_MS = 300_000;

/** The longest finite expiry the middleware takes: its refresh runs on a timer (see aSecretCacheExpiry). */
export const MAX_TIMED_SECRET_CACHE_EXPIRY_MS = 86_400_000;

const FOREVER = "-1 (or Infinity) for the container's life";

/**
 * The rule of a secret cache expiry. `timed`: the owner refreshes the secret on a timer (the
 * middleware), so a finite value is capped at {@link MAX_TIMED_SECRET_CACHE_EXPIRY_MS}: a Node timer
 * cannot wait more than 2^31 - 1 ms (24.8 days; a longer one fires at once), and a day is already
 * more likely a unit mistake than a cache length.
 */
export function aSecretCacheExpiry(shape: { timed?: boolean } = {}): OptionRule {
  return {
    problem(value) {
      if (value === -1 || value === Number.POSITIVE_INFINITY) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        return `must be whole milliseconds (0 for no cache, 1000 or more), or ${FOREVER}`;
      }
      if (value > 0 && value < 1_000) {
        return (
          `is in milliseconds; ${value} looks like seconds ` +
          `(${value} s is ${value * 1_000}; 0 means no cache, -1 for the container's life)`
        );
      }
      if (shape.timed === true && value > MAX_TIMED_SECRET_CACHE_EXPIRY_MS) {
        return (
          `must be at most ${MAX_TIMED_SECRET_CACHE_EXPIRY_MS} (a day) when finite: the middleware ` +
          'refreshes the secret on a timer, and a Node timer cannot wait more than 24.8 days; ' +
          "use -1 to keep the secret for the container's life"
        );
      }
      return undefined;
    },
  };
}

/** A value the rule accepted, in one form: `Infinity` for the container's life. */
export function secretCacheExpiryMs(value: number | undefined): number {
  if (value === undefined) return DEFAULT_SECRET_CACHE_EXPIRY_MS;
  return value === -1 ? Number.POSITIVE_INFINITY : value;
}

/**
 * Refuses `secretCacheExpiry` next to `secrets`: the expiry configures the SecretsManagerSource
 * `owner` builds, and a secret source of the user's own keeps its own cache.
 * @throws ConfigurationError when both are given.
 */
export function refuseExpiryWithOwnSource(
  owner: string,
  options: { secrets?: unknown; secretCacheExpiry?: unknown },
): void {
  if (options.secrets === undefined || options.secretCacheExpiry === undefined) return;
  throw new ConfigurationError(
    `${owner} options "secretCacheExpiry" and "secrets" exclude each other: a secret source of your own keeps its own cache`,
  );
}

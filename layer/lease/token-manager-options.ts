import { randomBytes } from 'node:crypto';
import type { TokenCipher } from '../crypto/token-cipher.js';
import { ConfigurationError } from '../errors/error-classes.js';
import {
  aClock,
  aDuration,
  aFunction,
  anObject,
  aText,
  type OptionRules,
  required,
  validateOptions,
} from '../options/option-rules.js';
import type { TokenProvider } from '../providers/token-provider.js';
import type { TokenRepository } from '../store/token-store.js';
import { silentLogger, silentMetrics, type TokenLogger, type TokenMetrics } from '../telemetry/telemetry.js';
import { type Clock, systemClock } from '../time/clock.js';

export interface TokenManagerOptions {
  /** Provider key of the shared item: `salesforce`, or `salesforce#tenant-42` for a tenant. */
  tokenType: string;
  /** Usually a `TokenStore`; any implementation of the same conditional semantics works. */
  store: TokenRepository;
  cipher: TokenCipher;
  provider: TokenProvider;
  /** @default systemClock (Date.now) */
  clock?: Clock;
  /**
   * A token counts as expired this long before its expiry, to absorb clock drift between
   * containers and the time a request takes to reach the provider.
   * @default 30_000 ms
   */
  skewMs?: number;
  /**
   * Inside `[expiresAt - refreshAheadMs, expiresAt - skewMs)` one caller refreshes while every
   * other keeps the still-valid token. The window never covers more than half of the token's own
   * life (`expiresAt - updatedAt`): a 2-minute token is refreshed ahead in its last minute, not on
   * every call. 0 (or anything <= skewMs) turns refresh-ahead off.
   * @default 300_000 ms
   */
  refreshAheadMs?: number;
  /** Longest lease a refresher holds; also capped by the caller's deadline. @default 10_000 ms */
  leaseMs?: number;
  /** First delay between reads while another container refreshes. @default 50 ms */
  pollInitialMs?: number;
  /** Cap of the doubling delay between reads. @default 1_000 ms */
  pollMaxMs?: number;
  /** Wait budget when `getToken` is given no deadline. Above `leaseMs` so a dead holder can be taken over. @default 15_000 ms */
  maxWaitMs?: number;
  /** Kept free before the caller's deadline, for the work after the token arrives. @default 500 ms */
  deadlineMarginMs?: number;
  /** First shared back-off after a failed refresh; doubles with each failure in a row. @default 1_000 ms */
  failureBackoffMs?: number;
  /** Cap of the shared back-off. @default 60_000 ms */
  failureBackoffMaxMs?: number;
  /**
   * At most one rejection-driven refresh per tokenType in this interval, fleet-wide: a rejection
   * of a version that itself replaced a rejected token less than this long ago (the item's
   * `rejectedVersion` and `updatedAt`) surfaces the API's error without a refresh, counted as
   * `RejectionRefreshLimited`. Lifted for a version whose retry succeeded (`SharedToken.run`,
   * `withSharedToken`): the new token cured the rejection, so it was real. A revocation of a token
   * that was refreshed for expiry is always refreshed at once. 0 turns the bound off.
   * @default 10_000 ms
   */
  rejectionRefreshIntervalMs?: number;
  /**
   * Identifies this container in `lockOwner`, for the audit trail. A random part unique to each
   * manager and a counter per claim are appended, so one ownerId shared by many containers (set
   * per function) still gives every claim its own owner.
   * @default 16 random hex digits
   */
  ownerId?: string;
  /** Source of jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** How to wait; injectable so tests can drive time. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** @default silent */
  logger?: TokenLogger;
  /** @default silent */
  metrics?: TokenMetrics;
}

export type ResolvedTokenManagerOptions = Required<TokenManagerOptions>;

const DURATION_DEFAULTS = {
  skewMs: 30_000,
  refreshAheadMs: 300_000,
  leaseMs: 10_000,
  pollInitialMs: 50,
  pollMaxMs: 1_000,
  maxWaitMs: 15_000,
  deadlineMarginMs: 500,
  failureBackoffMs: 1_000,
  failureBackoffMaxMs: 60_000,
  rejectionRefreshIntervalMs: 10_000,
} as const;

// Control characters would let one tokenType's AAD collide with another's (see the refresh-token AAD).
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of this pattern
const TOKEN_TYPE = /^[^\u0000-\u001f\u007f]{1,256}$/;

/** Every option TokenManager accepts, with what its value must be; adapters build on these rules. */
export const TOKEN_MANAGER_OPTIONS: OptionRules = {
  tokenType: required({
    problem: (value) =>
      typeof value === 'string' && TOKEN_TYPE.test(value)
        ? undefined
        : 'must be 1 to 256 characters without control characters',
  }),
  store: required(anObject),
  cipher: required(anObject),
  provider: required(anObject),
  skewMs: aDuration(),
  refreshAheadMs: aDuration(),
  leaseMs: aDuration({ positive: true }),
  pollInitialMs: aDuration({ positive: true }),
  pollMaxMs: aDuration({ positive: true }),
  maxWaitMs: aDuration({ positive: true }),
  deadlineMarginMs: aDuration(),
  failureBackoffMs: aDuration(),
  failureBackoffMaxMs: aDuration(),
  rejectionRefreshIntervalMs: aDuration(),
  clock: aClock,
  ownerId: aText,
  random: aFunction,
  sleep: aFunction,
  logger: anObject,
  metrics: anObject,
};

/** Applies defaults and validates; a ConfigurationError names the offending option (a typo fails at cold start). */
export function resolveTokenManagerOptions(options: TokenManagerOptions): ResolvedTokenManagerOptions {
  validateOptions('TokenManager', options, TOKEN_MANAGER_OPTIONS);
  const durations: Record<keyof typeof DURATION_DEFAULTS, number> = { ...DURATION_DEFAULTS };
  for (const key of Object.keys(DURATION_DEFAULTS) as (keyof typeof DURATION_DEFAULTS)[]) {
    durations[key] = options[key] ?? DURATION_DEFAULTS[key];
  }
  if (durations.pollMaxMs < durations.pollInitialMs) {
    throw new ConfigurationError('TokenManager option "pollMaxMs" must be >= "pollInitialMs"');
  }
  return {
    ...durations,
    tokenType: options.tokenType,
    store: options.store,
    cipher: options.cipher,
    provider: options.provider,
    clock: options.clock ?? systemClock,
    ownerId: options.ownerId ?? randomBytes(8).toString('hex'),
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? silentMetrics,
  };
}

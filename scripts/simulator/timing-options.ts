/**
 * The library's timing options as the simulator hands them to its containers: only those a
 * flag (or a scenario) sets, and replacements for the defaults the token's life rules out. Every
 * other one keeps the library's default, so a run on tokens of real length runs what a deployed
 * function runs.
 */
import { resolveTokenManagerOptions } from '../../layer/lease/token-manager-options.js';

/**
 * The library's timing options the simulator may set (TokenManager's, through SharedToken and the
 * middleware), in ms. Each one absent keeps the library's default, unless the token's life rules
 * that default out (`timingForTokenLife`).
 */
export interface TimingOptions {
  /**
   * A token counts as expired this long before its expiry.
   * @default the library's, or a tenth of the token's life where that is over a quarter of it
   */
  skewMs?: number;
  /** The refresh-ahead window; the library bounds it by half the token's own life. @default the library's */
  refreshAheadMs?: number;
  /**
   * Longest lease of a refresher.
   * @default the library's, or a quarter of the token's life where that is over a quarter of it
   */
  leaseMs?: number;
  /** First delay between reads while another container refreshes. @default the library's */
  pollInitialMs?: number;
  /** Cap of the doubling delay between reads. @default the library's */
  pollMaxMs?: number;
  /**
   * First shared back-off after a failed refresh (doubles per failure).
   * @default the library's, or a tenth of the token's life where that is over a quarter of it
   */
  failureBackoffMs?: number;
  /**
   * At most one rejection-driven refresh per this interval, fleet-wide.
   * @default the library's, or a quarter of the token's life where that is over a quarter of it
   */
  rejectionRefreshIntervalMs?: number;
}

export type TimingOptionName = keyof TimingOptions;

/** Every name of `TimingOptions`, in its order (the type check below keeps the two the same). */
export const TIMING_OPTION_NAMES = [
  'skewMs',
  'refreshAheadMs',
  'leaseMs',
  'pollInitialMs',
  'pollMaxMs',
  'failureBackoffMs',
  'rejectionRefreshIntervalMs',
] as const satisfies readonly TimingOptionName[];
// Does not compile when TimingOptions gains an option the list lacks.
const _everyNameListed: Record<Exclude<TimingOptionName, (typeof TIMING_OPTION_NAMES)[number]>, never> = {};

/** The library's own defaults, as TokenManager resolves them (layer/lease/token-manager-options.ts). */
export const LIBRARY_TIMING_DEFAULTS: Readonly<Record<TimingOptionName, number>> = (() => {
  const unused = {} as never;
  const resolved = resolveTokenManagerOptions({
    tokenType: 'simulator',
    store: unused,
    cipher: unused,
    provider: unused,
  });
  return Object.fromEntries(TIMING_OPTION_NAMES.map((name) => [name, resolved[name]])) as Record<
    TimingOptionName,
    number
  >;
})();

/** A default that takes more of the token's life than this no longer does its job. */
const MAX_SHARE_OF_LIFE = 0.25;

/** What replaces each default a short token rules out, as a share of the token's life. */
const REPLACEMENT_SHARE_OF_LIFE: Partial<Record<TimingOptionName, number>> = {
  skewMs: 0.1,
  leaseMs: 0.25,
  rejectionRefreshIntervalMs: 0.25,
  failureBackoffMs: 0.1,
};

/**
 * Which library defaults a token living `ttlSeconds` rules out, and what replaces each.
 *
 * Why: the defaults are made for tokens of minutes to hours. One that takes more than a quarter
 * of the token's life no longer does its job, so it is replaced; every other one is left alone
 * (120-s and 300-s tokens change nothing; 8-s ones change the skew, lease and rejection interval):
 *
 * - `skewMs` (30 s): a token that lives no longer than the skew is refused as stale on arrival,
 *   and a skew past a quarter leaves refresh-ahead (at most the second half of the life) less
 *   than a quarter. A tenth instead: the token is usable for 90 % of its life.
 * - `leaseMs` (10 s): refresh-ahead only claims a token that outlives the lease, and a dead
 *   holder holds everybody up for a lease: past a quarter, refresh-ahead has too little window
 *   and an expiry waits on a dead holder for much of the life. A quarter instead.
 * - `rejectionRefreshIntervalMs` (10 s): a revocation of a token that a rejection-driven refresh
 *   committed less than the interval ago is not refreshed, and every invocation that meets that
 *   token fails until the interval ends: past a quarter, much of a token's service. A quarter
 *   instead, like the lease: the share the default itself reaches on the shortest token it is
 *   kept for (40 s), so a short-token run meets the bound as hard as a real fleet can and no
 *   harder (half the life failed several times more invocations under the demo's revocations).
 *   On the demo's 8-s tokens that is 2 s; much under a second would bound nothing, as the
 *   library times the interval from `updatedAt`, kept in whole seconds.
 * - `failureBackoffMs` (1 s, doubling): while the shared back-off lasts nobody asks the provider,
 *   so past a quarter the still-valid token runs out under it. A tenth instead: after three
 *   failures in a row (a tenth, a fifth, two fifths) the fleet still asks before the token ends.
 *
 * Never replaced: `refreshAheadMs`, which the library bounds by half the token's own life;
 * `pollInitialMs` and `pollMaxMs`, since a waiter wakes at the holder's lease end at the latest.
 */
export function timingForTokenLife(ttlSeconds: number): TimingOptions {
  const ttlMs = ttlSeconds * 1000;
  const options: TimingOptions = {};
  for (const [name, share] of Object.entries(REPLACEMENT_SHARE_OF_LIFE) as [TimingOptionName, number][]) {
    if (LIBRARY_TIMING_DEFAULTS[name] > ttlMs * MAX_SHARE_OF_LIFE) options[name] = Math.round(ttlMs * share);
  }
  return options;
}

/** Why an option differs from the library's default: the caller set it, or the token's life ruled the default out. */
export type TuningReason = 'caller' | 'token-life';

/** What every container is given, and why each option is there. */
export interface ContainerTiming {
  /** Only the options the caller set or the token's life ruled in: exactly what the containers pass. */
  options: TimingOptions;
  reasons: Partial<Record<TimingOptionName, TuningReason>>;
}

/** The caller's options as they are; for the rest, the replacements of the defaults the token's life rules out. */
export function containerTiming(set: TimingOptions, ttlSeconds: number): ContainerTiming {
  const options = timingForTokenLife(ttlSeconds);
  const reasons: ContainerTiming['reasons'] = {};
  for (const name of TIMING_OPTION_NAMES) {
    if (set[name] !== undefined) {
      options[name] = set[name];
      reasons[name] = 'caller';
    } else if (options[name] !== undefined) {
      reasons[name] = 'token-life';
    }
  }
  return { options, reasons };
}

/** The timing a container runs on: its options over the library's defaults (for the alternatives and the seeds). */
export function effectiveTiming(options: TimingOptions): Record<TimingOptionName, number> {
  return { ...LIBRARY_TIMING_DEFAULTS, ...definedOnly(options) };
}

function definedOnly(options: TimingOptions): TimingOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

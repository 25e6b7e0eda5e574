/**
 * The report of a simulation run: what the demo prints, what chaos and the soak judge (with
 * fleet-invariants.ts), folded from the containers' results and the stack's counters.
 */
import type { MetricTotal } from './emf.js';
import type { CipherKind, ContainerResult, Entry, RefresherResult } from './protocol.js';
import type { ContainerTiming, TimingOptions } from './timing-options.js';

export interface SimulationReport {
  engine: string;
  entry: Entry;
  cipher: CipherKind;
  /** Lifetime of the tokens the local provider issued. */
  tokenTtlSeconds: number;
  /**
   * The library's timing options the containers were given, exactly: those the caller set, and
   * replacements for the defaults the token's life ruled out (empty: all the library's defaults).
   */
  tunedOptions: TimingOptions;
  /** Why each of `tunedOptions` is there. */
  tunedBy: ContainerTiming['reasons'];
  containers: number;
  invocations: number;
  succeeded: number;
  failed: number;
  killed: number;
  /** Token requests the provider received. */
  providerTokenCalls: number;
  /** Of those, the answers that carried a new token (injected failures did not). */
  tokensIssued: number;
  /** Refresh tokens presented after they had been rotated away (refused with invalid_grant). */
  refreshReplays: number;
  /** Generations committed to the table during the run. */
  tokenGenerations: number;
  dynamoReads: number;
  dynamoWrites: number;
  maxWaitMs: number;
  /** Longest time any invocation spent getting its token, failed ones included. */
  maxOverheadMs: number;
  /** Longest time any invocation spent getting its token past its own deadline (0: none did; I2). */
  maxPastDeadlineMs: number;
  overheadMsP50: number;
  overheadMsP99: number;
  apiCalls: number;
  apiRejected: number;
  /** 403 REQUEST_LIMIT_EXCEEDED answers: never a reason to refresh. */
  apiRateLimited: number;
  /** GetSecretValue calls the local Secrets Manager answered (one per cold container, plus rotations). */
  secretFetches: number;
  /** KMS calls the local KMS server answered (GenerateDataKey + Decrypt); 0 with the salt cipher. */
  kmsCalls: number;
  /** The same calls by operation. */
  kmsCallsByOperation: Record<string, number>;
  cacheHits: number;
  lockTakeovers: number;
  leaseLost: number;
  decryptFailed: number;
  /** Error name -> count, over all failed invocations. */
  errors: Record<string, number>;
  /** Totals of each SharedToken metric, read from the Powertools EMF output of all containers. */
  metrics: Record<string, number>;
  /** Secret values (salt, client secret, issued tokens) found in anything the containers printed. */
  secretsInOutput: number;
  /**
   * Tokens shown to the data API that were never in the table: served without a commit. Must be 0.
   * Checked with the salt cipher and the local provider (the run decrypts what the table held).
   */
  uncommittedTokensServed?: number;
  /** What the scheduled refresher did, when it ran (`refresherEveryMs`). */
  refresher?: RefresherResult & { everyMs: number };
  /** RSS of each container at its end, MiB (max). */
  maxContainerRssMiB: number;
  elapsedMs: number;
}

/** What the fleet measured, before `summarize` folds the containers' results into the report. */
export interface FleetFigures
  extends Pick<
    SimulationReport,
    | 'engine'
    | 'entry'
    | 'cipher'
    | 'tokenTtlSeconds'
    | 'containers'
    | 'invocations'
    | 'killed'
    | 'providerTokenCalls'
    | 'tokensIssued'
    | 'refreshReplays'
    | 'tokenGenerations'
    | 'dynamoReads'
    | 'dynamoWrites'
    | 'apiCalls'
    | 'apiRejected'
    | 'apiRateLimited'
    | 'secretFetches'
    | 'kmsCallsByOperation'
    | 'secretsInOutput'
    | 'elapsedMs'
  > {
  /** The library's timing options the containers were given, and why. */
  timing: ContainerTiming;
  results: ContainerResult[];
  /** From the containers' Powertools EMF output. */
  metrics: Record<string, MetricTotal>;
}

/** Nearest-rank percentile of `values` (0 for none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Folds the containers' results into the report the demo prints. */
export function summarize(figures: FleetFigures): SimulationReport {
  const { results } = figures;
  const sum = (name: string) => figures.metrics[name]?.sum ?? 0;
  const errors: Record<string, number> = {};
  for (const result of results) {
    for (const [name, count] of Object.entries(result.errors)) errors[name] = (errors[name] ?? 0) + count;
  }
  const overheads = results.flatMap((r) => r.overheadMs);
  return {
    engine: figures.engine,
    entry: figures.entry,
    cipher: figures.cipher,
    tokenTtlSeconds: figures.tokenTtlSeconds,
    tunedOptions: { ...figures.timing.options },
    tunedBy: { ...figures.timing.reasons },
    containers: figures.containers,
    invocations: figures.invocations,
    succeeded: results.reduce((total, r) => total + r.succeeded, 0),
    failed: results.reduce((total, r) => total + r.failed, 0),
    killed: figures.killed,
    providerTokenCalls: figures.providerTokenCalls,
    tokensIssued: figures.tokensIssued,
    refreshReplays: figures.refreshReplays,
    tokenGenerations: figures.tokenGenerations,
    dynamoReads: figures.dynamoReads,
    dynamoWrites: figures.dynamoWrites,
    maxWaitMs: Math.round(figures.metrics.LockWaitMs?.max ?? 0),
    maxOverheadMs: Math.round(Math.max(0, ...results.map((r) => r.maxOverheadMs))),
    maxPastDeadlineMs: Math.round(Math.max(0, ...results.map((r) => r.maxPastDeadlineMs ?? 0))),
    overheadMsP50: round(percentile(overheads, 50)),
    overheadMsP99: round(percentile(overheads, 99)),
    apiCalls: figures.apiCalls,
    apiRejected: figures.apiRejected,
    apiRateLimited: figures.apiRateLimited,
    secretFetches: figures.secretFetches,
    kmsCalls: Object.values(figures.kmsCallsByOperation).reduce((total, count) => total + count, 0),
    kmsCallsByOperation: { ...figures.kmsCallsByOperation },
    cacheHits: sum('TokenCacheHit'),
    lockTakeovers: sum('LockTakeover'),
    leaseLost: sum('LeaseLost'),
    decryptFailed: sum('DecryptFailed'),
    errors,
    metrics: Object.fromEntries(
      Object.entries(figures.metrics)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, total]) => [name, Math.round(total.sum)]),
    ),
    secretsInOutput: figures.secretsInOutput,
    maxContainerRssMiB: Math.round(Math.max(0, ...results.map((r) => r.rssBytes)) / 2 ** 20),
    elapsedMs: figures.elapsedMs,
  };
}

import type { MetricTotal } from './emf.js';
import type { CipherKind, ContainerResult, Entry } from './protocol.js';
import type { SimulationReport } from './simulation.js';
import type { ContainerTiming } from './timing-options.js';

export interface FleetFigures {
  engine: string;
  entry: Entry;
  cipher: CipherKind;
  tokenTtlSeconds: number;
  /** The library's timing options the containers were given, and why. */
  timing: ContainerTiming;
  containers: number;
  invocations: number;
  results: ContainerResult[];
  killed: number;
  providerTokenCalls: number;
  tokensIssued: number;
  refreshReplays: number;
  tokenGenerations: number;
  dynamoReads: number;
  dynamoWrites: number;
  apiCalls: number;
  apiRejected: number;
  apiRateLimited: number;
  secretFetches: number;
  /** Calls the local KMS server answered, by operation (empty with the salt cipher). */
  kmsCallsByOperation: Record<string, number>;
  /** From the containers' Powertools EMF output. */
  metrics: Record<string, MetricTotal>;
  secretsInOutput: number;
  elapsedMs: number;
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

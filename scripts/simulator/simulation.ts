/**
 * The simulator: N Lambda containers (child processes) share one token through the real local
 * stack. Used by `npm run demo`, by the integration tests, by chaos, the soak and the bench.
 *
 * One run: its settings (simulation-options.ts), the stack it starts (simulation-stack.ts), the
 * fleet of container processes (fleet.ts, fleet-config.ts), the monitor that samples it
 * (fleet-monitor.ts), and the report (report.ts).
 */
import { countFound } from '../local-stack/secret-index.js';
import type { TracedCall } from './dynamo-trace.js';
import { metricTotalsFromEmf } from './emf.js';
import { type FleetOutcome, runFleet } from './fleet.js';
import { fleetConfig, refresherConfig } from './fleet-config.js';
import { FleetMonitoring } from './fleet-monitor.js';
import { containerScript } from './lambda-process.js';
import type { ContainerResult } from './protocol.js';
import { forkRefresher, type RefresherProcess } from './refresher-process.js';
import { type SimulationReport, summarize } from './report.js';
import { type SimulationOptions, type SimulationSettings, simulationSettings } from './simulation-options.js';
import {
  FaultInjections,
  keysHeld,
  type RunningSimulationStack,
  startSimulationStack,
} from './simulation-stack.js';
import { type ContainerTiming, containerTiming, effectiveTiming } from './timing-options.js';
import { readVersion, seedItem } from './token-table.js';

export type { SimulationMonitor, SimulationSample } from './fleet-monitor.js';
export type { SimulationReport } from './report.js';
export {
  DEFAULT_INVOCATION_TIMEOUT_MS,
  SIMULATION_DEFAULTS,
  type SimulationApi,
  type SimulationOptions,
} from './simulation-options.js';
export type { SimulationFaults, SimulationStack } from './simulation-stack.js';

/** The report, plus the raw per-container figures and fleet events the benchmark reads. */
export interface DetailedSimulation {
  report: SimulationReport;
  results: ContainerResult[];
  /** Epoch ms of each `refreshing` message: a lease holder asked the provider. */
  refreshingAt: number[];
  /** Epoch ms when the holder was SIGKILLed (killHolder). */
  killedAt: number | undefined;
  /** Every DynamoDB call in order, when the run traced them (`traceDynamoCalls`); else empty. */
  dynamoCalls: TracedCall[];
}

export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationReport> {
  return (await runSimulationDetailed(options)).report;
}

export async function runSimulationDetailed(options: SimulationOptions = {}): Promise<DetailedSimulation> {
  const settings = simulationSettings(options);
  const script = containerScript();
  const started = performance.now();
  const running = await startSimulationStack(settings);
  let refresher: RefresherProcess | undefined;
  try {
    const { stack } = running;
    const item = { client: stack.directDynamo, tableName: stack.tableName, tokenType: stack.tokenType };
    const timing = containerTiming(settings, settings.tokenTtlSeconds);
    const effective = effectiveTiming(timing.options);
    if (settings.seed) await seedItem(item, settings.seed, stack.secret.key!, effective.skewMs);
    const initialVersion = await readVersion(item);
    const config = fleetConfig(settings, running, timing.options);
    const injections = new FaultInjections(stack);
    if (settings.refresherEveryMs) {
      const everyMs = settings.refresherEveryMs;
      refresher = forkRefresher(script, refresherConfig(config, settings, everyMs, effective.refreshAheadMs));
      await refresher.started;
    }
    const progress = Array.from({ length: settings.containers }, () => ({ done: 0, rssBytes: 0 }));
    const monitoring = new FleetMonitoring(settings.monitor, {
      providerStats: () => stack.provider?.stats(),
      readVersion: () => readVersion(item),
      initialVersion,
      progress,
    });
    const events = {
      beforeStart: () => injections.run(settings.faults?.beforeStart),
      afterWarm: () => {
        if (settings.revokeAfterFirstInvocation) stack.provider?.revokeAll();
        void injections.run(settings.faults?.afterWarm).catch(() => {}); // Its failure is reported by settled().
      },
      went: () => monitoring.start(),
    };
    const fleet = await runFleet(script, settings, config, stack.dynamo, events, progress).finally(() =>
      monitoring.stop(),
    );
    await monitoring.finish();
    await injections.settled();
    const refresherResult = await refresher?.stop();
    fleet.output += refresher?.output() ?? '';
    fleet.stdout += refresher?.stdout() ?? '';
    const tokenGenerations = (await readVersion(item)) - initialVersion;
    const report = await reportOf({ settings, running, timing, fleet, tokenGenerations, started });
    if (refresherResult) report.refresher = { everyMs: settings.refresherEveryMs!, ...refresherResult };
    await settings.afterRun?.(stack);
    const { results, refreshingAt, killedAt } = fleet;
    return { report, results, refreshingAt, killedAt, dynamoCalls: running.trace?.calls() ?? [] };
  } finally {
    refresher?.kill();
    await running.stop();
  }
}

/** What a run measured, in each of its parts. */
interface RunFigures {
  settings: SimulationSettings;
  running: RunningSimulationStack;
  timing: ContainerTiming;
  fleet: FleetOutcome;
  tokenGenerations: number;
  /** performance.now() when the run started. */
  started: number;
}

/** Reads the counters of the stack and the output of the fleet into the report. */
async function reportOf(figures: RunFigures): Promise<SimulationReport> {
  const { settings, running, fleet } = figures;
  const { provider, secretsManager, kms, dynamo, secret } = running.stack;
  const keys = keysHeld(running.stack);
  const uncommittedTokensServed =
    provider && settings.cipher === 'salt'
      ? await running.committed.countUncommitted(provider.presentedTokens(), keys, settings.tokenType)
      : undefined;
  const secrets = [...keys, secret.clientSecret!, ...(provider?.issuedTokens() ?? [])];
  const secretsInOutput = countFound(fleet.output, secrets);
  const stats = provider?.stats();
  const counts = dynamo.counts();
  const ownProviderCalls = fleet.results.reduce((sum, r) => sum + r.providerCalls, 0);
  const report = summarize({
    engine: running.engine,
    entry: settings.entry,
    cipher: settings.cipher,
    tokenTtlSeconds: settings.tokenTtlSeconds,
    timing: figures.timing,
    containers: settings.containers,
    invocations: settings.containers * settings.invocations,
    results: fleet.results,
    killed: fleet.killed,
    providerTokenCalls: stats?.tokenCalls ?? ownProviderCalls,
    tokensIssued: stats?.tokensIssued ?? ownProviderCalls,
    refreshReplays: stats?.refreshReplays ?? 0,
    tokenGenerations: figures.tokenGenerations,
    dynamoReads: counts.reads,
    dynamoWrites: counts.writes,
    apiCalls: stats?.apiCalls ?? 0,
    apiRejected: stats?.apiRejected ?? 0,
    apiRateLimited: stats?.apiRateLimited ?? 0,
    secretFetches: secretsManager.stats().byOperation.GetSecretValue ?? 0,
    kmsCallsByOperation: kms?.stats().byOperation ?? {},
    metrics: metricTotalsFromEmf(fleet.stdout),
    secretsInOutput,
    elapsedMs: Math.round(performance.now() - figures.started),
  });
  if (uncommittedTokensServed !== undefined) report.uncommittedTokensServed = uncommittedTokensServed;
  return report;
}

/**
 * Many containers wait on one lease holder. How long after the holder's
 * commit does each waiter have the new token, and how many DynamoDB reads does the wait
 * cost, with the poll settings we ship and with other settings side by side? Measured with
 * real processes, and computed from the poll schedule for refreshes of other lengths.
 */
import { startDynamo } from '../../local-stack/dynamodb-local.js';
import { runSimulationDetailed } from '../../simulator/simulation.js';
import { type BenchContext, type BenchSection, round } from '../section.js';
import {
  cappedReadsPerSecond,
  logSpaced,
  modelWaiter,
  type PollSchedule,
  type Spread,
  shippedPollSchedule,
  spread,
  type WaiterModel,
} from '../stats.js';

interface PollSetting extends PollSchedule {
  name: string;
}

function shippedPollSetting(): PollSetting {
  const { pollInitialMs, pollMaxMs } = shippedPollSchedule();
  return { name: `shipped ${pollInitialMs} → ${pollMaxMs} ms`, pollInitialMs, pollMaxMs };
}

/** Large enough that the doubling never reaches it while a lease lasts. */
const NO_CAP_MS = 3_600_000;
const FIXED_FAST: PollSetting = { name: 'fixed 25 ms', pollInitialMs: 25, pollMaxMs: 25 };
const SLOW: PollSetting = { name: 'slow 200 → 2000 ms', pollInitialMs: 200, pollMaxMs: 2_000 };
const NO_CAP: PollSetting = { name: 'no cap 50 ms doubling', pollInitialMs: 50, pollMaxMs: NO_CAP_MS };
/** Not measured: settings the schedule's arithmetic puts near the shipped one, to look for a better one. */
const CHALLENGERS: PollSetting[] = [
  { name: '100 → 1000 ms', pollInitialMs: 100, pollMaxMs: 1_000 },
  { name: '200 → 500 ms', pollInitialMs: 200, pollMaxMs: 500 },
];

/** Long enough that waiters reach the capped part of the schedule (a slow provider, or Salesforce on a bad day). */
const PROVIDER_LATENCY_MS = 1_500;
/** Refresh lengths the schedule is computed for: a fast provider to a slow one. */
const MODEL_REFRESH_MS = [150, 500, 1_500, 5_000];
/** The average is over refreshes log-uniformly spread over this range. */
const AVERAGE_RANGE_MS = [100, 5_000] as const;

interface Measured {
  setting: PollSetting;
  waiters: number;
  /** Each waiter's first token minus the holder's, ms. */
  delay: Spread;
  readsPerContainer: number;
  storeReadsPerContainer: number;
  writes: number;
  providerCalls: number;
  generations: number;
  failed: number;
  elapsedMs: number;
}

interface Modelled {
  setting: PollSetting;
  at: WaiterModel[];
  averageReads: number;
  averageDelayMs: number;
  cappedReadsPerSecond: number;
}

export async function runWaiters(context: BenchContext): Promise<BenchSection> {
  const containers = context.quick ? 12 : 100;
  const shipped = shippedPollSetting();
  // The full run's budget holds three fleets of 100; the schedule table covers the others.
  const measuredSettings = context.quick ? [shipped, FIXED_FAST] : [shipped, FIXED_FAST, SLOW];
  // One engine for every setting (a table each): the JVM starts once, the fleets run back to back.
  const dynamo = await startDynamo({ engine: 'dynamodb-local' });
  const measured: Measured[] = [];
  try {
    for (const [index, setting] of measuredSettings.entries()) {
      context.log(`  waiters: ${containers} containers, ${setting.name}`);
      measured.push(await measure(dynamo.endpoint, `bench-waiters-${index}`, containers, setting));
    }
  } finally {
    await dynamo.stop();
  }
  const modelled = [shipped, FIXED_FAST, SLOW, NO_CAP, ...CHALLENGERS].map(model);
  return {
    id: 'waiters',
    title: `Waiters: ${containers} containers on one lease holder`,
    method:
      `${containers} containers start together with no token in the table; the provider answers in ` +
      `${PROVIDER_LATENCY_MS} ms, so one container holds the lease and the others poll. Delay = a waiter’s first ` +
      'token time minus the holder’s (the holder has it just after its commit). Reads per container = GetItem ' +
      'calls seen by the DynamoDB proxy / containers (the holder included); TokenStoreRead is the layer’s own ' +
      `count. Each setting runs its own fleet, back to back, on one ${dynamo.engine}. The second table is not ` +
      'measured: it is the expectation of the poll schedule (equal jitter, computed exactly on a 1 ms grid) for ' +
      'one waiter whose token is committed R ms after its first read.',
    tables: [measuredTable(measured), modelTable(modelled)],
    notes: verdicts(containers, measured, modelled),
    figures: {
      containers,
      providerLatencyMs: PROVIDER_LATENCY_MS,
      measured: measured.map(({ delay, ...r }) => ({
        ...r,
        delayMs: roundSpread(delay),
        readsPerContainer: round(r.readsPerContainer),
        storeReadsPerContainer: round(r.storeReadsPerContainer),
      })),
      model: modelled.map((m) => ({
        ...m.setting,
        refreshMs: MODEL_REFRESH_MS,
        reads: m.at.map((w) => round(w.reads)),
        delayP50Ms: m.at.map((w) => w.delayP50),
        delayP99Ms: m.at.map((w) => w.delayP99),
        averageReads: round(m.averageReads),
        averageDelayMs: round(m.averageDelayMs),
        cappedReadsPerSecond: round(m.cappedReadsPerSecond),
      })),
    },
    checks: measured.map((r) => ({
      name: `waiters (${r.setting.name}): 1 provider call for 1 generation, 0 failed invocations`,
      ok: r.providerCalls === 1 && r.generations === 1 && r.failed === 0,
      detail: `${r.providerCalls} provider call(s), ${r.generations} generation(s), ${r.failed} failed`,
    })),
  };
}

async function measure(
  endpoint: string,
  table: string,
  containers: number,
  setting: PollSetting,
): Promise<Measured> {
  const { report, results } = await runSimulationDetailed({
    containers,
    invocations: 1,
    providerLatencyMs: PROVIDER_LATENCY_MS,
    pollInitialMs: setting.pollInitialMs,
    pollMaxMs: setting.pollMaxMs,
    endpoint,
    table,
  });
  const holders = results.filter((r) => r.providerCalls > 0);
  const holderAt = holders.length === 1 ? holders[0]!.tokenAt[0] : undefined;
  const delays =
    typeof holderAt === 'number'
      ? results
          .filter((r) => r.providerCalls === 0)
          .flatMap((r) => (typeof r.tokenAt[0] === 'number' ? [r.tokenAt[0] - holderAt] : []))
      : [];
  return {
    setting,
    waiters: report.metrics.LockContended ?? 0,
    delay: spread(delays),
    readsPerContainer: report.dynamoReads / containers,
    storeReadsPerContainer: (report.metrics.TokenStoreRead ?? 0) / containers,
    writes: report.dynamoWrites,
    providerCalls: report.providerTokenCalls,
    generations: report.tokenGenerations,
    failed: report.failed,
    elapsedMs: report.elapsedMs,
  };
}

function model(setting: PollSetting): Modelled {
  const range = logSpaced(AVERAGE_RANGE_MS[0], AVERAGE_RANGE_MS[1], 40).map((r) => modelWaiter(setting, r));
  return {
    setting,
    at: MODEL_REFRESH_MS.map((r) => modelWaiter(setting, r)),
    averageReads: range.reduce((sum, w) => sum + w.reads, 0) / range.length,
    averageDelayMs: range.reduce((sum, w) => sum + w.delayMean, 0) / range.length,
    cappedReadsPerSecond: setting.pollMaxMs >= NO_CAP_MS ? 0 : cappedReadsPerSecond(setting),
  };
}

function measuredTable(measured: Measured[]) {
  return {
    columns: [
      'measured: poll setting',
      'waiters',
      'delay p50 ms',
      'delay p99 ms',
      'delay max ms',
      'reads / container',
      'TokenStoreRead / container',
      'writes',
      'provider calls',
      'failed',
    ],
    rows: measured.map((r) => [
      r.setting.name,
      r.waiters,
      round(r.delay.p50),
      round(r.delay.p99),
      round(r.delay.max),
      round(r.readsPerContainer),
      round(r.storeReadsPerContainer),
      r.writes,
      r.providerCalls,
      r.failed,
    ]),
  };
}

function modelTable(modelled: Modelled[]) {
  const [from, to] = AVERAGE_RANGE_MS;
  return {
    columns: [
      'schedule: poll setting',
      ...MODEL_REFRESH_MS.map((r) => `R = ${r} ms: delay p50 / p99 ms, reads`),
      `mean over R ${from} ms–${to / 1000} s: delay ms, reads`,
      'reads/s per waiter at the cap',
    ],
    rows: modelled.map((m) => [
      m.setting.name,
      ...m.at.map((w) => `${w.delayP50} / ${w.delayP99}, ${round(w.reads)}`),
      `${round(m.averageDelayMs)}, ${round(m.averageReads)}`,
      m.setting.pollMaxMs >= NO_CAP_MS ? '→ 0' : round(m.cappedReadsPerSecond),
    ]),
  };
}

/** Plain sentences: what each alternative buys and costs against the shipped setting, and any that wins on both. */
function verdicts(containers: number, measured: Measured[], modelled: Modelled[]): string[] {
  const notes: string[] = [];
  const shipped = measured[0]!;
  for (const other of measured.slice(1)) {
    const sooner = shipped.delay.p50 - other.delay.p50;
    const readsRatio = other.readsPerContainer / shipped.readsPerContainer;
    const when = sooner >= 0 ? `${round(sooner)} ms sooner` : `${round(-sooner)} ms later`;
    const both = sooner > 0 && other.delay.p99 <= shipped.delay.p99 && readsRatio <= 1;
    notes.push(
      `Measured, ${other.setting.name}: waiters have the token ${when} at p50 (p99 ${round(other.delay.p99)} vs ` +
        `${round(shipped.delay.p99)} ms) for ${round(readsRatio)}× the reads` +
        (both ? ': in this run it beats the shipped setting on both.' : '.'),
    );
  }
  const fast = measured.find((r) => r.setting === FIXED_FAST);
  if (fast) {
    const expected = modelWaiter(FIXED_FAST, PROVIDER_LATENCY_MS).reads;
    notes.push(
      `${containers} processes share this machine's cores, where each Lambda has its own: ` +
        `${FIXED_FAST.name} made ${round(fast.storeReadsPerContainer)} reads per container where its schedule ` +
        `expects about ${round(expected)} for a ${PROVIDER_LATENCY_MS} ms wait, and every measured delay includes ` +
        'the time a woken container waits for a core. The schedule table compares the settings without the machine.',
    );
  }
  const base = modelled[0]!;
  const range = `refreshes of ${AVERAGE_RANGE_MS[0]} ms to ${AVERAGE_RANGE_MS[1] / 1000} s`;
  for (const other of modelled.slice(1)) {
    const winsAt = MODEL_REFRESH_MS.filter(
      (_, i) => other.at[i]!.delayMean < base.at[i]!.delayMean && other.at[i]!.reads < base.at[i]!.reads,
    );
    const onAverage = other.averageDelayMs < base.averageDelayMs && other.averageReads < base.averageReads;
    let verdict = '';
    if (onAverage) {
      verdict =
        ': it BEATS the shipped setting on both. Its price is ' +
        `${round(other.cappedReadsPerSecond / base.cappedReadsPerSecond)}× the reads per second per waiter once a ` +
        'slow refresh reaches the cap, the load that throttles one item at scale (AT-SCALE.md)';
    } else if (winsAt.length > 0) {
      verdict = `; it beats the shipped setting on both at R = ${winsAt.join(', ')} ms, not on average`;
    }
    notes.push(
      `Schedule, ${other.setting.name}: mean delay ${round(other.averageDelayMs)} vs ${round(base.averageDelayMs)} ms ` +
        `and ${round(other.averageReads)} vs ${round(base.averageReads)} reads per waiter over ${range}${verdict}.`,
    );
  }
  notes.push(
    `The cap sets both the longest delay after a slow refresh (at most one capped poll, ${base.setting.pollMaxMs} ms ` +
      `shipped) and a waiter's steady read rate (${round(base.cappedReadsPerSecond)} reads/s shipped), which is ` +
      'what one item runs out of first with many waiters; the first delay trades reads for delay on short ' +
      'refreshes, and which poll a commit falls after matters as much as the setting.',
  );
  return notes;
}

function roundSpread(value: Spread): Record<keyof Spread, number> {
  return {
    count: value.count,
    min: round(value.min),
    p50: round(value.p50),
    p99: round(value.p99),
    max: round(value.max),
    mean: round(value.mean),
  };
}

/**
 * Many containers wait on one lease holder. How long after the holder's
 * commit does each waiter have the new token, and how many DynamoDB reads does the wait
 * cost, with the poll settings we ship and with other settings side by side? Measured with
 * real processes, and computed from the poll schedule for refreshes of other lengths.
 */
import { startDynamo } from '../../local-stack/dynamodb-local.js';
import { type DetailedSimulation, runSimulationDetailed } from '../../simulator/simulation.js';
import { playWaiters, type RefreshLatency } from '../expected-commit-model.js';
import { type BenchContext, type BenchSection, type Goal, round } from '../section.js';
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
import { timelineOf } from '../timeline.js';

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
  /** The holder's claim sent to its commit answered, as the DynamoDB proxy saw them, ms. */
  claimToCommitMs?: number | undefined;
  setting: PollSetting;
  /** What the waiters knew: nothing (the doubling schedule) or the item's refresh duration. */
  schedule: string;
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
  const dynamo = await startDynamo({ engine: 'dynamodb-local' });
  const measured: Measured[] = [];
  try {
    context.log(`  waiters: ${containers} containers, a cold start then an expired token, ${shipped.name}`);
    measured.push(...(await measureBoth(dynamo.endpoint, 'bench-waiters-shipped', containers, shipped)));
    // The full run's budget holds one more fleet: the fastest fixed polls, for scale.
    if (!context.quick) {
      context.log(`  waiters: ${containers} containers, ${FIXED_FAST.name}`);
      measured.push(await measure(dynamo.endpoint, 'bench-waiters-fixed', containers, FIXED_FAST));
    }
  } finally {
    await dynamo.stop();
  }
  const modelled = [shipped, FIXED_FAST, SLOW, NO_CAP, ...CHALLENGERS].map(model);
  const expected = NOISES.map((noise) => expectedModel(shipped, noise));
  return {
    id: 'waiters',
    title: `Waiters: ${containers} containers on one lease holder`,
    method:
      `${containers} containers run two invocations; the provider answers in ${PROVIDER_LATENCY_MS} ms, so one container ` +
      'holds the lease and the others poll. The first invocation is a cold start on an empty table: the item has no ' +
      `refresh duration yet, so waiters poll on the doubling schedule. The fleet rests ${REST_MS / 1000} s at a barrier, ` +
      'the provider revokes the token, and the second invocation’s 401s refresh it once more, the item now holding the ' +
      'first refresh’s duration: waiters sleep until the commit is due (every option the library’s default). ' +
      'Delay = a waiter’s token time minus the holder’s (the holder has it just ' +
      'after its commit). Reads per container = GetItem calls of that invocation seen by the DynamoDB proxy / containers. ' +
      'The schedule tables are not measured: the first is the expectation of the doubling schedule (equal jitter, computed ' +
      'exactly on a 1 ms grid) for one waiter whose token is committed R ms after its first read; the second plays the ' +
      'layer’s own pollDelay for 2,000 waiters per refresh length, with and without the item’s history.',
    tables: [measuredTable(measured), expectedTable(expected), modelTable(modelled)],
    readmeTables: 2,
    notes: [
      ...historyNote(measured),
      ...expectedNotes(expected),
      ...verdicts(containers, measured, modelled),
    ],
    goals: waiterGoals(measured, expected),
    figures: {
      containers,
      providerLatencyMs: PROVIDER_LATENCY_MS,
      measured: measured.map(({ delay, ...r }) => ({
        ...r,
        delayMs: roundSpread(delay),
        readsPerContainer: round(r.readsPerContainer),
        storeReadsPerContainer: round(r.storeReadsPerContainer),
      })),
      expectedCommitModel: expected.map((e) => ({
        noise: e.latency.noise,
        withHistory: { delayMs: round(e.withHistory.delay), reads: round(e.withHistory.reads) },
        withoutHistory: { delayMs: round(e.withoutHistory.delay), reads: round(e.withoutHistory.reads) },
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
      name: `waiters (${r.setting.name}, ${r.schedule}): 1 provider call for 1 generation, 0 failed invocations`,
      ok: r.providerCalls === 1 && r.generations === 1 && r.failed === 0,
      detail: `${r.providerCalls} provider call(s), ${r.generations} generation(s), ${r.failed} failed`,
    })),
  };
}

/**
 * The rest at the barrier before the revocation: idle warm containers. A revocation, not an expiry,
 * makes the second refresh: the table's TTL deletes an expired item (DynamoDB Local within seconds),
 * and the history with it; a revoked token's item stays.
 */
const REST_MS = 3_000;

/** One fleet, two invocations: a cold start with no history, then a revoked token with the item's history. */
async function measureBoth(
  endpoint: string,
  table: string,
  containers: number,
  setting: PollSetting,
): Promise<Measured[]> {
  const run = await runSimulationDetailed({
    containers,
    invocations: 2,
    providerLatencyMs: PROVIDER_LATENCY_MS,
    pollInitialMs: setting.pollInitialMs,
    pollMaxMs: setting.pollMaxMs,
    revokeAfterFirstInvocation: true,
    restAtBarrierMs: REST_MS,
    traceDynamoCalls: true,
    endpoint,
    table,
  });
  return [
    ofInvocation(run, 0, setting, 'none: cold start (doubling schedule)'),
    ofInvocation(run, 1, setting, 'the item’s refresh duration (expected commit), after a revocation'),
  ];
}

/** What one invocation of a traced two-invocation run measured, from its timeline. */
function ofInvocation(
  run: DetailedSimulation,
  invocation: number,
  setting: PollSetting,
  schedule: string,
): Measured {
  const { calls, tokenAt, providerAskedAt } = timelineOf(run, invocation);
  const reads = calls.filter((call) => call.kind === 'read' || call.kind === 'poll').length;
  const claim = calls.find((call) => call.kind === 'claim-won');
  const commit = calls.find((call) => call.kind === 'commit');
  // tokenAt is in container order: a container's index is its place.
  const holderAt = claim?.container === undefined ? null : (tokenAt[claim.container] ?? null);
  const delays =
    holderAt === null
      ? []
      : tokenAt.flatMap((at, index) => (index !== claim?.container && at !== null ? [at - holderAt] : []));
  return {
    claimToCommitMs: claim && commit ? commit.answeredAt - claim.receivedAt : undefined,
    setting,
    schedule,
    waiters: delays.length,
    delay: spread(delays),
    readsPerContainer: reads / tokenAt.length,
    storeReadsPerContainer: reads / tokenAt.length,
    writes: calls.length - reads,
    providerCalls: providerAskedAt.length,
    generations: calls.filter((call) => call.kind === 'commit').length,
    failed: tokenAt.filter((at) => at === null).length,
    elapsedMs: run.report.elapsedMs,
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
    schedule: 'none: cold start (doubling schedule)',
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
      'what the item told the waiters',
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
      r.schedule,
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

/** Provider latencies the expected-commit schedule is played for: steady, a little jitter, ±20 %. */
const NOISES = [0, 0.05, 0.2];

interface ExpectedModel {
  latency: { noise: number };
  withHistory: { delay: number; reads: number };
  withoutHistory: { delay: number; reads: number };
}

/** Means over refreshes log-uniformly spread from 100 ms to 5 s, as the doubling schedule's model. */
function expectedModel(setting: PollSetting, noise: number): ExpectedModel {
  const refreshes = logSpaced(AVERAGE_RANGE_MS[0], AVERAGE_RANGE_MS[1], 40);
  const mean = (withHistory: boolean) => {
    const played = refreshes.map((refreshMs) =>
      playWaiters(setting, { refreshMs, noise } satisfies RefreshLatency, withHistory, 1_000),
    );
    return {
      delay: played.reduce((sum, w) => sum + w.delayMean, 0) / played.length,
      reads: played.reduce((sum, w) => sum + w.reads, 0) / played.length,
    };
  };
  return { latency: { noise }, withHistory: mean(true), withoutHistory: mean(false) };
}

function expectedTable(expected: ExpectedModel[]) {
  const [from, to] = AVERAGE_RANGE_MS;
  return {
    columns: [
      `schedule played: provider latency (refreshes ${from} ms–${to / 1000} s)`,
      'expected commit: mean delay ms, reads per waiter',
      'doubling schedule: mean delay ms, reads per waiter',
    ],
    rows: expected.map((e) => [
      e.latency.noise === 0 ? 'steady' : `±${e.latency.noise * 100} % (uniform)`,
      `${round(e.withHistory.delay)}, ${round(e.withHistory.reads)}`,
      `${round(e.withoutHistory.delay)}, ${round(e.withoutHistory.reads)}`,
    ]),
  };
}

function historyNote(measured: Measured[]): string[] {
  const [cold, informed] = measured;
  if (cold?.claimToCommitMs === undefined || informed?.claimToCommitMs === undefined) return [];
  return [
    `The item’s history in the second invocation is one sample, the cold start’s (its claim sent to its commit answered: ` +
      `${cold.claimToCommitMs} ms on the proxy; the holder counts from its claim granted to its commit sent). The second ` +
      `refresh took ${informed.claimToCommitMs} ms from claim sent to commit answered: a claim or commit that waits in ` +
      'DynamoDB Local’s queue behind a hundred other calls makes the commit later than expected, and the waiters then ' +
      'poll closely and back off. Each commit moves the estimate a quarter of the way.',
  ];
}

function expectedNotes(expected: ExpectedModel[]): string[] {
  const noisy = expected.find((e) => e.latency.noise === 0.2);
  if (!noisy) return [];
  return [
    'A waiter sees nothing between two reads, so when a refresh varies by ±20 % (uniformly) no schedule of at most 3 ' +
      'reads can wait less, on average, than a sixth of that spread after the commit (about 0.067 × the refresh, 84 ms ' +
      `over refreshes of 100 ms to 5 s); the shipped one waits ${round(noisy.withHistory.delay)} ms for ` +
      `${round(noisy.withHistory.reads)} reads. A steady provider is where waking at the expected commit pays most.`,
  ];
}

function waiterGoals(measured: Measured[], expected: ExpectedModel[]): Goal[] {
  const blind = measured.find((m) => m.schedule.startsWith('none') && m.setting.pollMaxMs !== 25);
  const informed = measured.find((m) => m.schedule.startsWith('the item'));
  const goals: Goal[] = [];
  if (blind && informed) {
    const why = `the fleet’s ${informed.waiters} waiters wake together and share 2 cores (and DynamoDB Local) here, where each Lambda has its own`;
    goals.push(
      {
        name: 'measured: delay after the commit, p50',
        target: '≤ 50 ms, below the doubling schedule in the same run',
        measured: `${round(informed.delay.p50)} ms (doubling: ${round(blind.delay.p50)} ms)`,
        met: informed.delay.p50 <= 50 && informed.delay.p50 < blind.delay.p50,
        ...(informed.delay.p50 > 50 && { why: `${round(informed.delay.p50 - 50)} ms over; ${why}` }),
      },
      {
        name: 'measured: delay after the commit, p99',
        target: '≤ 250 ms, below the doubling schedule',
        measured: `${round(informed.delay.p99)} ms (doubling: ${round(blind.delay.p99)} ms)`,
        met: informed.delay.p99 <= 250 && informed.delay.p99 < blind.delay.p99,
        ...(informed.delay.p99 > 250 && { why: `${round(informed.delay.p99 - 250)} ms over; ${why}` }),
      },
      {
        name: 'measured: reads per container',
        target: '≤ 3, below the doubling schedule',
        measured: `${round(informed.readsPerContainer)} (doubling: ${round(blind.readsPerContainer)})`,
        met: informed.readsPerContainer <= 3 && informed.readsPerContainer < blind.readsPerContainer,
        ...(informed.readsPerContainer > 3 && {
          why:
            `${round(informed.readsPerContainer - 3)} over: a commit later than the item expected (see the history note) ` +
            'has the waiters poll closely through the window, then back off from pollInitialMs',
        }),
      },
    );
  }
  for (const e of expected.filter((x) => x.latency.noise <= 0.2)) {
    const label = e.latency.noise === 0 ? 'steady provider' : `provider ±${e.latency.noise * 100} %`;
    goals.push({
      name: `schedule, ${label}: mean delay after the commit and reads per waiter`,
      target: '≤ 30 ms, ≤ 3 reads',
      measured: `${round(e.withHistory.delay)} ms, ${round(e.withHistory.reads)} reads`,
      met: e.withHistory.delay <= 30 && e.withHistory.reads <= 3,
      ...(e.withHistory.delay > 30 && {
        why: `${round(e.withHistory.delay - 30)} ms over: the commit’s own spread, which no waiter sees between reads (note below)`,
      }),
    });
  }
  return goals;
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
      `Measured, ${other.setting.name} (${other.schedule}): waiters have the token ${when} at p50 (p99 ${round(other.delay.p99)} vs ` +
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

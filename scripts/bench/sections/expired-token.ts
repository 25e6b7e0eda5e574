/**
 * Item 1: N containers hit an expired token at once. Provider calls per token generation and
 * failed invocations for this project, for "each Lambda refreshes on its own" and for a
 * claim-or-fail lock (the Powertools idempotency shape), plus the chart of provider calls
 * against containers.
 */
import { startDynamo } from '../../local-stack/dynamodb-local.js';
import type { Strategy } from '../../simulator/protocol.js';
import { type DetailedSimulation, runSimulationDetailed } from '../../simulator/simulation.js';
import { type BenchContext, type BenchSection, type Goal, round } from '../section.js';
import { type ChartSeries, lineChartSvg } from '../svg-chart.js';
import { phaseTable, type Timeline, timelineOf, timelineSvg } from '../timeline.js';

const FULL_COUNTS = [1, 10, 50, 100, 200];
const QUICK_COUNTS = [1, 10, 25];

/**
 * A token endpoint answers in about 100 ms (Salesforce's is usually 100 to 300 ms); the same
 * for every strategy. It is the window in which other containers find the token still expired.
 */
export const PROVIDER_LATENCY_MS = 100;

const STRATEGIES: { strategy: Strategy; label: string }[] = [
  { strategy: 'shared-token', label: 'this project' },
  { strategy: 'each-refreshes', label: 'each refreshes' },
  { strategy: 'claim-or-fail', label: 'claim-or-fail' },
];

export interface ExpiredTokenRun {
  strategy: Strategy;
  containers: number;
  providerCalls: number;
  /** Generations this project committed (its version counter); an alternative's expiry event counts as 1. */
  generations: number;
  /** The table's version counter, end minus start (negative when the seed was deleted by TTL first). */
  versionDelta: number;
  callsPerGeneration: number;
  failed: number;
  errors: Record<string, number>;
  dynamoReads: number;
  dynamoWrites: number;
  /** Time an invocation spent getting its token, ms. */
  tokenMsP50: number;
  tokenMsP99: number;
  /** This project's fenced commits that failed (LeaseLost) and leases taken over, from its EMF. */
  leaseLost: number;
  lockTakeovers: number;
  maxContainerRssMiB: number;
  /** Sum of the containers' RSS at their end, MiB (shared pages counted once per container). */
  totalRssMiB: number;
  elapsedMs: number;
}

export async function runExpiredToken(context: BenchContext): Promise<BenchSection> {
  const counts = context.quick ? QUICK_COUNTS : FULL_COUNTS;
  // One DynamoDB Local for the section, a fresh table per run: the JVM starts once, not 15 times.
  const dynamo = await startDynamo({ engine: 'dynamodb-local' });
  const runs: ExpiredTokenRun[] = [];
  let timeline: Timeline | undefined;
  try {
    for (const containers of counts) {
      for (const { strategy } of STRATEGIES) {
        const detailed = await runSimulationDetailed({
          containers,
          invocations: 1,
          seed: 'expired',
          strategy,
          entry: 'middleware',
          endpoint: dynamo.endpoint,
          table: `bench-expired-${strategy}-${containers}`,
          providerLatencyMs: PROVIDER_LATENCY_MS,
          timeoutMs: 120_000,
          traceDynamoCalls: strategy === 'shared-token' && containers === counts.at(-1),
        });
        const run = toRun(strategy, containers, detailed);
        if (strategy === 'shared-token' && containers === counts.at(-1)) timeline = timelineOf(detailed, 0);
        runs.push(run);
        context.log(
          `  expired-token ${strategy} x${containers}: ${run.providerCalls} provider call(s), ` +
            `${run.failed} failed, ${(run.elapsedMs / 1000).toFixed(1)} s, ${run.totalRssMiB} MiB`,
        );
      }
    }
  } finally {
    await dynamo.stop();
  }
  return report(runs, counts, timeline);
}

function toRun(
  strategy: Strategy,
  containers: number,
  { report: r, results }: DetailedSimulation,
): ExpiredTokenRun {
  // This project's generations are its commits (TokenRefreshed, one per committed version, from its
  // EMF). Not the table's version delta: DynamoDB Local's TTL deletes the expired seed within about a
  // second, so the containers usually find no item and versions restart at 1 (the delta goes negative).
  // An alternative's one expiry is one generation.
  const generations = strategy === 'shared-token' ? (r.metrics.TokenRefreshed ?? 0) : 1;
  return {
    strategy,
    containers,
    providerCalls: r.providerTokenCalls,
    generations,
    versionDelta: r.tokenGenerations,
    callsPerGeneration: generations > 0 ? r.providerTokenCalls / generations : Number.POSITIVE_INFINITY,
    failed: r.failed,
    errors: r.errors,
    dynamoReads: r.dynamoReads,
    dynamoWrites: r.dynamoWrites,
    tokenMsP50: r.overheadMsP50,
    tokenMsP99: r.overheadMsP99,
    leaseLost: r.leaseLost,
    lockTakeovers: r.lockTakeovers,
    maxContainerRssMiB: r.maxContainerRssMiB,
    totalRssMiB: Math.round(results.reduce((sum, result) => sum + result.rssBytes, 0) / 2 ** 20),
    elapsedMs: r.elapsedMs,
  };
}

function report(runs: ExpiredTokenRun[], counts: number[], timeline: Timeline | undefined): BenchSection {
  const largest = counts[counts.length - 1]!;
  const find = (strategy: Strategy, containers: number): ExpiredTokenRun =>
    runs.find((run) => run.strategy === strategy && run.containers === containers)!;
  const ours = counts.map((n) => find('shared-token', n));

  const summary = {
    columns: [
      'Containers',
      'this project: calls/generation',
      'this project: failed',
      'each refreshes: calls',
      'each refreshes: failed',
      'claim-or-fail: calls',
      'claim-or-fail: failed',
    ],
    rows: counts.map((n) => {
      const [o, e, c] = STRATEGIES.map(({ strategy }) => find(strategy, n));
      return [
        n,
        round(o!.callsPerGeneration),
        o!.failed,
        e!.providerCalls,
        e!.failed,
        c!.providerCalls,
        c!.failed,
      ];
    }),
  };
  const details = {
    columns: [
      'Strategy',
      'Containers',
      'Provider calls',
      'Generations',
      'Failed (errors)',
      'DynamoDB reads / writes',
      'Token ms p50 / p99 (succeeded)',
      'RSS MiB: sum / largest',
      'Run s',
    ],
    rows: runs.map((run) => [
      STRATEGIES.find((s) => s.strategy === run.strategy)!.label,
      run.containers,
      run.providerCalls,
      run.generations,
      run.failed === 0 ? '0' : `${run.failed} (${errorList(run.errors)})`,
      `${run.dynamoReads} / ${run.dynamoWrites}`,
      `${round(run.tokenMsP50)} / ${round(run.tokenMsP99)}`,
      `${run.totalRssMiB} / ${run.maxContainerRssMiB}`,
      round(run.elapsedMs / 1000),
    ]),
  };

  const series: ChartSeries[] = [
    { label: 'this project', points: [], color: '#1b7837', marker: 'circle' },
    { label: 'each Lambda refreshes', points: [], color: '#c0392b', marker: 'triangle' },
    { label: 'claim-or-fail (losers fail)', points: [], color: '#2c5aa0', marker: 'square', dash: '6 3' },
  ];
  STRATEGIES.forEach(({ strategy }, i) => {
    series[i]!.points = counts.map((n) => ({ x: n, y: find(strategy, n).providerCalls }));
  });
  const positive = series.every((s) => s.points.every((p) => p.y > 0));
  const chartSvg = lineChartSvg({
    title: 'Provider calls for one expired token',
    xLabel: 'containers hitting it at once',
    yLabel: positive ? 'provider calls (log)' : 'provider calls',
    series,
    xScale: 'log',
    yScale: positive ? 'log' : 'linear',
    xTicks: counts,
  });

  const notes = verdicts(runs, counts, find);
  return {
    id: 'expired-token',
    title: 'Provider calls per token generation: N containers on an expired token',
    method:
      `${counts.join(', ')} containers (child processes) start one invocation each at the same moment on an expired token in DynamoDB Local; ` +
      `the local Salesforce token endpoint answers in ${PROVIDER_LATENCY_MS} ms for every strategy. This project runs the Salesforce example through the middleware; ` +
      "the alternatives run the same query with the same provider, cipher, secret and table. Calls per generation: this project's provider calls over the generations it committed; " +
      'for an alternative, its provider calls for the one expiry.',
    tables: timeline
      ? [summary, details, phaseTable(timeline, `cold start timeline, this project, ${largest}`)]
      : [summary, details],
    notes,
    goals: expiredGoals(find('shared-token', largest), find('each-refreshes', largest)),
    ...(timeline && {
      files: {
        'cold-start-timeline.svg': timelineSvg(
          timeline,
          `Expired token: ${largest} containers, this project`,
        ),
      },
    }),
    figures: { providerLatencyMs: PROVIDER_LATENCY_MS, counts, runs, chartSvg },
    checks: [
      {
        name: 'this project: 1 provider call per generation at every count',
        ok: ours.every((run) => run.providerCalls === 1 && run.generations === 1),
        detail: ours.map((run) => `${run.containers}: ${run.providerCalls}/${run.generations}`).join(', '),
      },
      {
        name: 'this project: 0 failed invocations at every count',
        ok: ours.every((run) => run.failed === 0),
        detail: ours.map((run) => `${run.containers}: ${run.failed}`).join(', '),
      },
    ],
  };
}

type Find = (strategy: Strategy, containers: number) => ExpiredTokenRun;

/** The issue's goals at the largest count: token time p99 against each-refreshes, in this run. */
function expiredGoals(ours: ExpiredTokenRun, each: ExpiredTokenRun): Goal[] {
  const ratio = ours.tokenMsP99 / each.tokenMsP99;
  return [
    {
      name: `token time p99 at ${ours.containers} containers`,
      target: '≤ 1.0 × each refreshes',
      measured: `${round(ratio)} × (${round(ours.tokenMsP99)} vs ${round(each.tokenMsP99)} ms)`,
      met: ratio <= 1,
      ...(ratio > 1 && {
        why: `${round(ratio - 1)} × over: the timeline table shows when the ${ours.containers} containers' first reads were sent (2 cores start them one after another) against the one commit`,
      }),
    },
    {
      name: `provider calls at ${ours.containers} containers`,
      target: '1',
      measured: String(ours.providerCalls),
      met: ours.providerCalls === 1,
    },
    {
      name: `failed invocations at ${ours.containers} containers`,
      target: '0',
      measured: `${ours.failed}${ours.failed > 0 ? ` (${errorList(ours.errors)})` : ''}`,
      met: ours.failed === 0,
    },
  ];
}

/** The notes: what each alternative costs, and every count where this project is behind. */
function verdicts(runs: ExpiredTokenRun[], counts: number[], find: Find): string[] {
  const largest = counts[counts.length - 1]!;
  const [ours, each, claim] = STRATEGIES.map(({ strategy }) => find(strategy, largest));
  const notes = [
    `This project: ${ours!.providerCalls} provider call(s) for ${ours!.generations} committed generation(s) at ${largest} containers, ${ours!.failed} failed.`,
    `Each Lambda refreshing on its own: ${each!.providerCalls} provider calls for one expiry at ${largest} containers ` +
      `(${round(each!.providerCalls / Math.max(1, ours!.providerCalls))}x this project), and ${each!.dynamoWrites} unconditional writes of the item, the last one winning.`,
    `Claim-or-fail: ${claim!.providerCalls} provider call(s) at ${largest} containers, but ${claim!.failed} of ${largest} invocations failed ` +
      `(${errorList(claim!.errors) || 'none'}): a loser that finds the lock held and no valid token fails instead of waiting.`,
  ];
  const slower = counts
    .map((n) => [find('shared-token', n), find('each-refreshes', n)] as const)
    .filter(([o, e]) => o.tokenMsP50 > e.tokenMsP50 || o.tokenMsP99 > e.tokenMsP99);
  if (slower.length > 0) {
    notes.push(
      `Behind on time to a token (successful invocations, p50 / p99 ms): ${slower
        .map(
          ([o, e]) =>
            `${o.containers} containers: this project ${round(o.tokenMsP50)} / ${round(o.tokenMsP99)}, each refreshes ${round(e.tokenMsP50)} / ${round(e.tokenMsP99)}`,
        )
        .join(
          '; ',
        )}. This project's waiters poll the item until the one holder commits; each-refreshes calls the provider itself.`,
    );
  }
  const busier = counts
    .map((n) => [find('shared-token', n), find('each-refreshes', n)] as const)
    .filter(([o, e]) => o.dynamoReads + o.dynamoWrites > e.dynamoReads + e.dynamoWrites);
  if (busier.length > 0) {
    notes.push(
      `Behind on DynamoDB requests (reads / writes, failed conditional claims included): ${busier
        .map(
          ([o, e]) =>
            `${o.containers} containers: this project ${o.dynamoReads} / ${o.dynamoWrites}, each refreshes ${e.dynamoReads} / ${e.dynamoWrites}`,
        )
        .join('; ')}. The waiters' polls are the price of one provider call.`,
    );
  }
  const deleted = counts.map((n) => find('shared-token', n)).filter((run) => run.versionDelta < 0);
  if (deleted.length > 0) {
    notes.push(
      `Caveat: at ${deleted.map((run) => run.containers).join(', ')} container(s), DynamoDB Local's TTL had deleted the expired item before the containers read it ` +
        '(it does so within about a second; DynamoDB takes up to days), so they found no item. Every strategy takes the same path for a missing item ' +
        'as for an expired one (read, nothing usable, refresh or claim), but the deletion can land between a read and a claim: this project then ' +
        'pays a failed claim, a read and a second claim (2 reads / 3 writes for 1 container), which inflates its time at small counts. ' +
        'Generations are counted from the commits (TokenRefreshed), not the version counter.',
    );
  }
  const lost = counts.map((n) => find('shared-token', n)).filter((run) => run.leaseLost > 0);
  if (lost.length > 0) {
    notes.push(
      `Behind, a defect rather than load: at ${lost.map((run) => `${run.containers} container(s) (${run.providerCalls} calls, LeaseLost x${run.leaseLost})`).join(', ')} ` +
        "this project's holder lost its lease because DynamoDB Local's TTL deleted the item under it (the claim leaves the expired expiresAt, the TTL attribute, " +
        'in place): the fenced commit (lockOwner = me) found no item, and the holder refreshed again. DynamoDB deletes expired items much later, but may at any moment.',
    );
  }
  const spread = counts.filter((n, i) => i > 0 && find('each-refreshes', n).providerCalls < n);
  if (spread.length > 0) {
    notes.push(
      `On 2 cores, ${spread.join(', ')} containers cannot all start in the same instant: the later ones find the new token already in the table, ` +
        'so each refreshes makes fewer calls than containers and claim-or-fail fails fewer invocations than it would where every container has its own CPU, as on Lambda. ' +
        'Those counts are lower bounds.',
    );
  }
  const peak = runs.reduce((max, run) => (run.totalRssMiB > max.totalRssMiB ? run : max));
  notes.push(
    `Memory: ${peak.containers} containers summed ${peak.totalRssMiB} MiB RSS (${peak.maxContainerRssMiB} MiB the largest), ` +
      'an upper bound: the pages the processes share are counted in each.',
  );
  return notes;
}

function errorList(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([name, count]) => `${name} x${count}`)
    .join(', ');
}

/**
 * The lease holder is SIGKILLed in the middle of its refresh. How long
 * until another container has committed a new token, against the configured lease?
 */
import { startDynamo } from '../../local-stack/dynamodb-local.js';
import { runSimulationDetailed } from '../../simulator/simulation.js';
import { type BenchContext, type BenchSection, round } from '../section.js';

/** Long enough that the parent's SIGKILL surely lands while the holder waits on the provider. */
const PROVIDER_LATENCY_MS = 300;

interface TakeoverResult {
  leaseMs: number;
  containers: number;
  /** Kill → the survivor asks the provider: the protocol's part (lease end, one read, one claim). */
  killToTakeoverMs: number | undefined;
  /** Kill → the survivor has committed the new token (its first token in hand). */
  killToCommitMs: number | undefined;
  /** Kill → the last survivor has the token. */
  worstSurvivorMs: number | undefined;
  /** Longest LockWaitMs a container reported (its whole wait, from before the kill). */
  maxLockWaitMs: number;
  lockTakeovers: number;
  providerCalls: number;
  generations: number;
  failed: number;
  killed: number;
}

export async function runTakeover(context: BenchContext): Promise<BenchSection> {
  const containers = context.quick ? 6 : 20;
  // QUICK keeps one (short) lease: the ratio to the lease is the figure, and the engine alone takes seconds.
  const leases = context.quick ? [1_000] : [2_000, 1_000];
  const dynamo = await startDynamo({ engine: 'dynamodb-local' });
  const results: TakeoverResult[] = [];
  try {
    for (const [index, leaseMs] of leases.entries()) {
      context.log(`  takeover: ${containers} containers, lease ${leaseMs} ms, holder killed mid-refresh`);
      results.push(await runOne(dynamo.endpoint, `bench-takeover-${index}`, containers, leaseMs));
    }
  } finally {
    await dynamo.stop();
  }
  const ratio = (ms: number | undefined, lease: number) => (ms === undefined ? 'n/a' : round(ms / lease));
  return {
    id: 'takeover',
    title: 'Crash take-over: the lease holder SIGKILLed mid-refresh',
    method:
      `${containers} containers start together on an empty table; the provider answers in ${PROVIDER_LATENCY_MS} ms; ` +
      'the first container to ask it is SIGKILLed at that moment, holding the lease. Times run from the kill: ' +
      'to a survivor asking the provider (take-over), to that survivor having committed the new token, and to the ' +
      `last survivor having it; each as a ratio to the configured lease. DynamoDB Local (${dynamo.engine}).`,
    tables: [
      {
        columns: [
          'lease ms',
          'kill → take-over ms (× lease)',
          'kill → new token committed ms (× lease)',
          'kill → last survivor has it ms (× lease)',
          'lock take-overs',
          'provider calls',
          'failed',
        ],
        rows: results.map((r) => [
          r.leaseMs,
          `${display(r.killToTakeoverMs)} (${ratio(r.killToTakeoverMs, r.leaseMs)}×)`,
          `${display(r.killToCommitMs)} (${ratio(r.killToCommitMs, r.leaseMs)}×)`,
          `${display(r.worstSurvivorMs)} (${ratio(r.worstSurvivorMs, r.leaseMs)}×)`,
          r.lockTakeovers,
          r.providerCalls,
          r.failed,
        ]),
      },
    ],
    notes: [
      'The lease starts at the holder’s claim, a little before the kill (the kill comes when the holder asks the ' +
        'provider), so kill → take-over can be just under one lease; waiters sleep no later than 1 ms past the ' +
        'lease end (TokenManager.pollDelay), then one read and one claim take over. Anything above 1× is that read ' +
        'and claim plus the load of this 2-core machine.',
      `The new token then needs the survivor’s own provider call (${PROVIDER_LATENCY_MS} ms here); the other ` +
        'survivors pick it up at their next poll, by then at the cap (up to pollMaxMs = 1 s later): lease + refresh ' +
        '+ one poll, as I2 promises. A shorter lease shortens the outage, but a lease must outlast the provider ' +
        'call (the provider timeout is set below it), or a slow but alive holder is taken over and the provider is ' +
        'asked twice.',
      ...results.map(
        (r) =>
          `Lease ${r.leaseMs} ms: the provider received ${r.providerCalls} token request(s) ` +
          `(${r.providerCalls === 1 ? 'the holder was killed before its request left' : 'the killed holder’s request reached it too'}); ` +
          `${r.generations} generation committed; longest LockWaitMs a survivor reported ${r.maxLockWaitMs} ms.`,
      ),
    ],
    figures: {
      containers,
      providerLatencyMs: PROVIDER_LATENCY_MS,
      runs: results.map((r) => ({
        ...r,
        killToTakeoverPerLease:
          r.killToTakeoverMs === undefined ? null : round(r.killToTakeoverMs / r.leaseMs),
        killToCommitPerLease: r.killToCommitMs === undefined ? null : round(r.killToCommitMs / r.leaseMs),
        worstSurvivorPerLease: r.worstSurvivorMs === undefined ? null : round(r.worstSurvivorMs / r.leaseMs),
      })),
    },
    checks: results.map((r) => ({
      name: `take-over (lease ${r.leaseMs} ms): one take-over, 1 generation, 0 failed survivors`,
      ok: r.killed === 1 && r.lockTakeovers === 1 && r.generations === 1 && r.failed === 0,
      detail:
        `${r.killed} killed, ${r.lockTakeovers} take-over(s), ${r.generations} generation(s), ` +
        `${r.providerCalls} provider calls, ${r.failed} failed`,
    })),
  };
}

async function runOne(
  endpoint: string,
  table: string,
  containers: number,
  leaseMs: number,
): Promise<TakeoverResult> {
  const { report, results, refreshingAt, killedAt } = await runSimulationDetailed({
    containers,
    invocations: 1,
    killHolder: true,
    leaseMs,
    providerLatencyMs: PROVIDER_LATENCY_MS,
    endpoint,
    table,
  });
  const since = (at: number | null | undefined) =>
    typeof at === 'number' && killedAt !== undefined ? at - killedAt : undefined;
  const taker = results.find((r) => r.providerCalls > 0);
  const survivorTimes = results.flatMap((r) => (typeof r.tokenAt[0] === 'number' ? [r.tokenAt[0]] : []));
  const sortedRefreshes = [...refreshingAt].sort((a, b) => a - b);
  return {
    leaseMs,
    containers,
    killToTakeoverMs: since(sortedRefreshes[1]),
    // The taker's first token is the one it committed; without a taker, the first survivor's token.
    killToCommitMs: since(
      taker?.tokenAt[0] ?? (survivorTimes.length > 0 ? Math.min(...survivorTimes) : undefined),
    ),
    worstSurvivorMs: since(survivorTimes.length > 0 ? Math.max(...survivorTimes) : undefined),
    maxLockWaitMs: report.maxWaitMs,
    lockTakeovers: report.lockTakeovers,
    providerCalls: report.providerTokenCalls,
    generations: report.tokenGenerations,
    failed: report.failed,
    killed: report.killed,
  };
}

function display(ms: number | undefined): string | number {
  return ms === undefined ? 'n/a' : Math.round(ms);
}

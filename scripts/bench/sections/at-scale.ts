/**
 * What 10,000 containers cold-starting on an expired token do to the ONE
 * DynamoDB item, against its partition's limits. A simulated fleet as large as this machine
 * runs in the time budget, every DynamoDB call time-stamped on its way to the engine, then
 * extrapolated linearly; beside it, the poll schedule's expected reads for 10,000 containers.
 * The arithmetic and its caveats are in scripts/bench/AT-SCALE.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';
import { freemem } from 'node:os';
import { startDynamo } from '../../local-stack/dynamodb-local.js';
import { listenOnLoopback } from '../../local-stack/loopback-server.js';
import { runSimulationDetailed } from '../../simulator/simulation.js';
import { fleetReadsWithHistory } from '../expected-commit-model.js';
import { type BenchContext, type BenchSection, round } from '../section.js';
import {
  countPerBucket,
  expectedClaimWrites,
  modelFleetReads,
  peakRatePerSecond,
  shippedPollSchedule,
} from '../stats.js';

/** DynamoDB's ceiling for one partition, hence for one item, per second. */
const PARTITION_RCU_PER_S = 3_000;
const PARTITION_WCU_PER_S = 1_000;
const TARGET_CONTAINERS = 10_000;
/** The provider's answer time in the simulated run and in the model. */
const REFRESH_MS = 1_000;
/** Read → claim landed for the first container, in one AWS Region (a few ms per call): the model's claim window. */
const CLAIM_WINDOW_MS = 10;
const INVOCATION_TIMEOUT_MS = 60_000;

type CallKind = 'read' | 'claim' | 'commit' | 'release' | 'other';
interface Call {
  at: number;
  kind: CallKind;
  ok: boolean;
  answerBytes: number;
}

export async function runAtScale(context: BenchContext): Promise<BenchSection> {
  const containers = context.quick ? 16 : 300;
  const { pollInitialMs, pollMaxMs } = shippedPollSchedule();
  const dynamo = await startDynamo({ engine: 'dynamodb-local' });
  const recorder = await startRecorder(dynamo.endpoint);
  const memory = new ChildMemorySampler();
  const sampler = setInterval(() => memory.sample(), 1_000);
  let simulation: Awaited<ReturnType<typeof runSimulationDetailed>>;
  try {
    context.log(`  at-scale: ${containers} containers cold on an empty table, provider ${REFRESH_MS} ms`);
    simulation = await runSimulationDetailed({
      containers,
      invocations: 1,
      providerLatencyMs: REFRESH_MS,
      endpoint: recorder.endpoint,
      table: 'bench-at-scale',
      // Hundreds of processes share 2 cores here, where each Lambda has its own: a 15 s timeout
      // would fail invocations for want of CPU, not for anything the protocol does.
      invocationTimeoutMs: INVOCATION_TIMEOUT_MS,
    });
  } finally {
    clearInterval(sampler);
    await recorder.stop();
    await dynamo.stop();
  }
  const { report } = simulation;
  // The simulator reads the item's version once before the fleet starts and once after it ends.
  const allReads = recorder.calls.filter((call) => call.kind === 'read');
  const fleetCalls = recorder.calls.filter(
    (call) => call.kind !== 'other' && call !== allReads[0] && call !== allReads.at(-1),
  );
  const times = (kinds: CallKind[]) => fleetCalls.filter((c) => kinds.includes(c.kind)).map((c) => c.at);
  const reads = times(['read']);
  const writes = times(['claim', 'commit', 'release']);
  const claims = fleetCalls.filter((c) => c.kind === 'claim');
  const start = Math.min(...fleetCalls.map((c) => c.at));
  const commitAt = fleetCalls.find((c) => c.kind === 'commit' && c.ok)?.at;
  const firstClaimAt = claims[0]?.at ?? start;
  const observed = {
    containers,
    reads: reads.length,
    writes: writes.length,
    claims: claims.length,
    claimsFailed: claims.filter((c) => !c.ok).length,
    readsPerContainer: reads.length / containers,
    writesPerContainer: writes.length / containers,
    peakReadsPerSecond: peakRatePerSecond(reads, 1_000),
    peakReadsPer100msAsPerSecond: peakRatePerSecond(reads, 100),
    peakWritesPerSecond: peakRatePerSecond(writes, 1_000),
    readsPerSecondBySecond: countPerBucket(reads, start, 1_000),
    firstCallToCommitMs: commitAt === undefined ? null : commitAt - start,
    /** From the first read to the first claim answered: every read in it saw no lease. */
    claimWindowMs: firstClaimAt - start,
    readsBeforeFirstClaim: reads.filter((at) => at < firstClaimAt).length,
    largestItemAnswerBytes: Math.max(
      0,
      ...fleetCalls.filter((c) => c.kind === 'read').map((c) => c.answerBytes),
    ),
    proxyReadsAgree: reads.length === report.dynamoReads,
    maxContainerRssMiB: report.maxContainerRssMiB,
    /** Proportional set size (shared pages split between the processes sharing them), per container, at the peak. */
    pssPerContainerMiB: round(memory.peakPssMiB / Math.max(1, memory.childrenAtPeak)),
    containersFittingInFreeMemory: Math.floor(
      freemem() / 2 ** 20 / Math.max(1, memory.peakPssMiB / Math.max(1, memory.childrenAtPeak)),
    ),
    elapsedMs: report.elapsedMs,
    providerCalls: report.providerTokenCalls,
    failed: report.failed,
    errors: report.errors,
    /** From the first call to the last: how long this machine took to bring every container through. */
    firstToLastCallMs: Math.max(...fleetCalls.map((c) => c.at)) - start,
  };
  const scale = TARGET_CONTAINERS / containers;
  const extrapolated = {
    reads: observed.reads * scale,
    writes: observed.writes * scale,
    peakReadsPerSecond: observed.peakReadsPerSecond * scale,
    peakWritesPerSecond: observed.peakWritesPerSecond * scale,
  };
  const scenarios = modelScenarios(pollInitialMs, pollMaxMs);
  const over = (value: number, limit: number) => `${round(value / limit)}×`;
  const instant = scenarios[0]!;
  const burst = scenarios.at(-1)!;
  return {
    id: 'at-scale',
    title: `At scale: ${TARGET_CONTAINERS.toLocaleString('en-US')} containers on one item (arithmetic in AT-SCALE.md)`,
    method:
      `${containers} containers (${context.quick ? 'QUICK: a small fleet' : 'the most this 2-core machine starts inside the time budget'}) start together with no ` +
      `token; the provider answers in ${REFRESH_MS} ms; invocations time out after ${INVOCATION_TIMEOUT_MS / 1000} s ` +
      `(not 15: hundreds of processes share 2 cores); every DynamoDB call is time-stamped between the simulator's ` +
      `proxy and ${dynamo.engine}. Rates are extrapolated linearly to ${TARGET_CONTAINERS.toLocaleString('en-US')} ` +
      'containers arriving with the same spread. The model rows: without history, the expectation of the poll schedule ' +
      `(${pollInitialMs} ms doubling to ${pollMaxMs} ms, equal jitter) for ${TARGET_CONTAINERS.toLocaleString('en-US')} ` +
      'containers; with the item’s refresh duration (expected commit), the layer’s pollDelay played out for 4,000 of them, ' +
      `scaled, on a refresh of ${REFRESH_MS} ms ± 20 %; claims from a ${CLAIM_WINDOW_MS} ms claim window. Limits: ${PARTITION_RCU_PER_S} RCU/s and ` +
      `${PARTITION_WCU_PER_S} WCU/s per partition; 1 consistent read of an item up to 4 KB = 1 RCU (an eventually consistent poll: 0.5); 1 write up to 1 KB = 1 WCU, failed conditions included.`,
    tables: [
      {
        columns: [
          'where from',
          'containers',
          'claim writes (failed)',
          'reads / container',
          'peak reads/s (× 3,000 RCU)',
          'peak writes/s (× 1,000 WCU)',
        ],
        rows: [
          [
            'measured here',
            containers,
            `${observed.claims} (${observed.claimsFailed})`,
            round(observed.readsPerContainer),
            `${round(observed.peakReadsPerSecond)} (${over(observed.peakReadsPerSecond, PARTITION_RCU_PER_S)})`,
            `${round(observed.peakWritesPerSecond)} (${over(observed.peakWritesPerSecond, PARTITION_WCU_PER_S)})`,
          ],
          [
            'measured, × linear',
            TARGET_CONTAINERS,
            round(observed.claims * scale),
            round(observed.readsPerContainer),
            `${round(extrapolated.peakReadsPerSecond)} (${over(extrapolated.peakReadsPerSecond, PARTITION_RCU_PER_S)})`,
            `${round(extrapolated.peakWritesPerSecond)} (${over(extrapolated.peakWritesPerSecond, PARTITION_WCU_PER_S)})`,
          ],
          ...scenarios.flatMap((s) => [
            [
              `model, no history (doubling): ${s.name}`,
              s.containers,
              round(s.claimWrites),
              round(s.readsPerContainer),
              `${round(s.peakReadsPerSecond)} (${over(s.peakReadsPerSecond, PARTITION_RCU_PER_S)})`,
              `${round(s.claimWrites + 1)} (${over(s.claimWrites + 1, PARTITION_WCU_PER_S)})`,
            ],
            [
              `model, expected commit (±20 %): ${s.name}`,
              s.containers,
              round(s.claimWrites),
              round(s.informed.readsPerContainer),
              `${round(s.informed.busiestSecondReads)} (${over(s.informed.busiestSecondReads, PARTITION_RCU_PER_S)})`,
              `${round(s.claimWrites + 1)} (${over(s.claimWrites + 1, PARTITION_WCU_PER_S)})`,
            ],
          ]),
        ],
      },
    ],
    notes: [
      `Measured: ${observed.reads} reads and ${observed.writes} writes (${observed.claims} claims, ` +
        `${observed.claimsFailed} of them failed conditions) for ${containers} containers; the commit landed ` +
        `${observed.firstCallToCommitMs ?? 'n/a'} ms after the first call and the last call ` +
        `${observed.firstToLastCallMs} ms after it: 2 cores bring ${containers} processes through slowly, so most ` +
        'arrive after the commit and read once; that spread is what the linear extrapolation keeps. Reads per ' +
        `second, second by second: ${observed.readsPerSecondBySecond.join(', ')}. Largest GetItem answer ` +
        `${observed.largestItemAnswerBytes} bytes (JSON, so the item is smaller): 1 RCU per consistent read, 1 WCU per write.`,
      `Claims: the layer reads first and claims only when it sees no live lease, so only containers whose read ` +
        'lands before the first claim write (one read and one write of the first container) send a conditional ' +
        `write. Here ${observed.claims} of ${containers} did: the first claim was answered ${observed.claimWindowMs} ms ` +
        `after the first read, and ${observed.readsBeforeFirstClaim} reads were answered in between (2 cores for ` +
        `${containers} fresh processes make that window wide). In one AWS Region it is a few ms; the model takes ` +
        `${CLAIM_WINDOW_MS} ms.`,
      `Where it breaks: the first reads alone cost ${TARGET_CONTAINERS.toLocaleString('en-US')} RCU, ` +
        `${round(TARGET_CONTAINERS / PARTITION_RCU_PER_S)} s of the partition's ${PARTITION_RCU_PER_S} RCU/s. ` +
        `${TARGET_CONTAINERS.toLocaleString('en-US')} arriving in one instant (ten or more functions on one tokenType ` +
        `bursting together) send ${round(instant.claimWrites)} claims (${over(instant.claimWrites, PARTITION_WCU_PER_S)} ` +
        `the WCU/s) and ${round(instant.peakReadsPerSecond)} reads in the busiest second ` +
        `(${over(instant.peakReadsPerSecond, PARTITION_RCU_PER_S)} the RCU/s); one function's burst of ` +
        `${burst.containers.toLocaleString('en-US')} sends ${round(burst.claimWrites)} claims (at the WCU limit) and ` +
        `${round(burst.peakReadsPerSecond)} reads in its busiest second (${over(burst.peakReadsPerSecond, PARTITION_RCU_PER_S)}). ` +
        'DynamoDB throttles the excess (ProvisionedThroughputExceededException); the SDK retries it with back-off, ' +
        'and a poll throttled on every attempt is one more poll (the waiter reads again until its deadline); ' +
        'polls are eventually consistent (0.5 RCU); a first read or claim throttled on every attempt fails the invocation.',
      'What would go further, and what adaptive capacity and SDK retries do: AT-SCALE.md.',
      `Memory: ${observed.maxContainerRssMiB} MiB RSS per container at most, ${observed.pssPerContainerMiB} MiB ` +
        `proportional (shared pages split); the free memory now holds about ${observed.containersFittingInFreeMemory} ` +
        `more. Time, not memory, bounds the count on 2 cores: ${round(observed.elapsedMs / 1000)} s for this fleet. ` +
        `Provider calls ${observed.providerCalls}, failed invocations ${observed.failed}.`,
    ],
    figures: {
      observed,
      extrapolatedTo: TARGET_CONTAINERS,
      extrapolated,
      model: scenarios,
      limits: { rcuPerSecond: PARTITION_RCU_PER_S, wcuPerSecond: PARTITION_WCU_PER_S },
      refreshMs: REFRESH_MS,
      claimWindowMs: CLAIM_WINDOW_MS,
    },
    checks: [
      {
        name: `at scale (${containers} containers): 1 provider call, 0 failed invocations`,
        ok: observed.providerCalls === 1 && observed.failed === 0,
        detail: `${observed.providerCalls} provider call(s), ${observed.failed} failed`,
      },
      {
        name: 'at scale: every read the simulator counted was time-stamped',
        ok: observed.proxyReadsAgree,
        detail: `${observed.reads} time-stamped, ${report.dynamoReads} counted`,
      },
    ],
  };
}

interface Scenario {
  name: string;
  containers: number;
  arrivalSpreadMs: number;
  claimWrites: number;
  readsPerContainer: number;
  /** Reads in the busiest second (a sliding window). */
  peakReadsPerSecond: number;
  totalReads: number;
  /** The same fleet when the item holds the refresh duration: the layer's pollDelay played out. */
  informed: { readsPerContainer: number; busiestSecondReads: number; totalReads: number };
}

/** The poll schedule's expectation for 10,000 containers arriving all at once, or spread as Lambda can spread them. */
function modelScenarios(pollInitialMs: number, pollMaxMs: number): Scenario[] {
  const arrivals: [string, number, number][] = [
    ['10,000 in one instant (≥ 10 functions at once)', TARGET_CONTAINERS, 0],
    ['10,000 over 1 s', TARGET_CONTAINERS, 1_000],
    ['10,000 over 10 s', TARGET_CONTAINERS, 10_000],
    // Lambda adds up to 1,000 environments to one function at once, then refills at ~100/s:
    // those later containers arrive after the commit and read once each.
    ['one function: its burst of 1,000 in one instant', 1_000, 0],
  ];
  return arrivals.map(([name, containers, arrivalSpreadMs]) => {
    const fleet = modelFleetReads({
      containers,
      arrivalSpreadMs,
      refreshMs: REFRESH_MS,
      pollInitialMs,
      pollMaxMs,
      bucketMs: 100,
      horizonMs: arrivalSpreadMs + REFRESH_MS + 2 * pollMaxMs + 1_000,
    });
    return {
      name,
      containers,
      arrivalSpreadMs,
      claimWrites: expectedClaimWrites(containers, arrivalSpreadMs, CLAIM_WINDOW_MS),
      readsPerContainer: fleet.readsPerContainer,
      peakReadsPerSecond: fleet.busiestSecondReads,
      totalReads: fleet.totalReads,
      informed: fleetReadsWithHistory(
        { pollInitialMs, pollMaxMs },
        { refreshMs: REFRESH_MS, noise: 0.2 },
        containers,
        arrivalSpreadMs,
        true,
      ),
    };
  });
}

/** Memory of this process's children (the containers), from /proc (Linux), at the moment it was largest. */
class ChildMemorySampler {
  peakPssMiB = 0;
  childrenAtPeak = 0;

  sample(): void {
    let pssKiB = 0;
    let children = 0;
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
    } catch {
      return; // not Linux: no figure
    }
    for (const pid of pids) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // The command may hold spaces and parentheses: fields count from the last ')'.
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (parent !== process.pid) continue;
        // The engine (a JVM) is a child too; only the containers count.
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('container.js')) continue;
        const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
        const pss = /^Pss:\s+(\d+) kB/m.exec(rollup);
        if (!pss) continue;
        pssKiB += Number(pss[1]);
        children++;
      } catch {
        // The process ended between the listing and the read.
      }
    }
    if (pssKiB / 1024 > this.peakPssMiB) {
      this.peakPssMiB = pssKiB / 1024;
      this.childrenAtPeak = children;
    }
  }
}

interface Recorder {
  endpoint: string;
  calls: Call[];
  stop(): Promise<void>;
}

/** A pass-through in front of the engine that notes when each call was answered, and what it was. */
async function startRecorder(target: string): Promise<Recorder> {
  const upstreamUrl = new URL(target);
  const agent = new Agent({ keepAlive: true, timeout: 4_000 });
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const kind = classify(req.headers['x-amz-target'], body);
      const upstream = request(
        {
          host: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method: req.method,
          path: req.url,
          headers: { ...endToEnd(req.headers), 'content-length': String(body.length) },
          agent,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (part: Buffer) => parts.push(part));
          answer.on('end', () => {
            const payload = Buffer.concat(parts);
            const status = answer.statusCode ?? 502;
            calls.push({ at: Date.now(), kind, ok: status < 400, answerBytes: payload.length });
            res.writeHead(status, { ...endToEnd(answer.headers), 'content-length': String(payload.length) });
            res.end(payload);
          });
        },
      );
      upstream.on('error', () => {
        if (res.headersSent) return void res.destroy();
        // 5xx: the SDK retries it, as it would a DynamoDB hiccup.
        res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' }));
      });
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  const listener = await listenOnLoopback(server);
  return {
    endpoint: listener.origin,
    calls,
    stop: async () => {
      await listener.close();
      agent.destroy();
    },
  };
}

/** Which of the store's operations a request is, from its target and update expression. */
function classify(target: string | string[] | undefined, body: Buffer): CallKind {
  const operation = typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) : '';
  if (operation === 'GetItem') return 'read';
  if (operation !== 'UpdateItem') return 'other';
  let expression = '';
  try {
    expression = String(
      (JSON.parse(body.toString('utf8')) as { UpdateExpression?: unknown }).UpdateExpression,
    );
  } catch {
    return 'other';
  }
  if (expression.includes('updating = :true')) return 'claim';
  if (expression.includes('accessToken = :token')) return 'commit';
  return 'release';
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

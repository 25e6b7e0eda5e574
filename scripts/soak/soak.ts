/**
 * `make soak`: a long run of many containers on short-lived tokens with revocations, checking the
 * invariants on every sample while it runs (invariant-rules.ts), memory per container at the end
 * (memory-rules.ts), and the end-of-run verdict (verdict.ts). Not part of `make test`: it takes
 * minutes. Prints a Markdown summary (or one JSON line with --json); exits 1 when a check fails,
 * 2 on bad flags.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { integer, number, UsageError } from '../simulator/cli-flags.js';
import type { Verdict } from '../simulator/fleet-invariants.js';
import { type DetailedSimulation, runSimulationDetailed } from '../simulator/simulation.js';
import {
  type ContainerMemory,
  judgeMemory,
  MAX_GROWTH_MIB,
  type MemoryVerdict,
  WARM_FRACTION,
} from './memory-rules.js';
import { createSoakMonitor, type SoakMonitor } from './monitor.js';
import { soakMarkdown } from './summary.js';
import { judgeSoak } from './verdict.js';

const USAGE = `Usage: make soak [ARGS="flags"]

  --containers N        simulated Lambda containers, each a child process (default 16)
  --invocations N       invocations per container, one at a time (default 6250: 100,000 in all)
  --token-ttl SECONDS   lifetime of the tokens the local provider issues (default 1)
  --reject-rate R       probability the data API revokes the token it is shown, 0..1 (default 0.05)
  --sample-ms MS        how often the invariants are checked while the containers run (default 1000)
  --json                print the result as one JSON object on the last line of stdout
  --json-file PATH      also write that JSON object (with the time series) to PATH
  --help                this text`;

interface SoakSettings {
  containers: number;
  invocations: number;
  tokenTtlSeconds: number;
  rejectRate: number;
  sampleMs: number;
  json: boolean;
  jsonFile: string | undefined;
}

function parseFlags(argv: string[]): SoakSettings {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    containers: integer(values.containers, '--containers', 1, 200, 16),
    invocations: integer(values.invocations, '--invocations', 1, 1_000_000, 6_250),
    tokenTtlSeconds: integer(values['token-ttl'], '--token-ttl', 1, 24 * 3600, 1),
    rejectRate: number(values['reject-rate'], '--reject-rate', 0, 1, 0.05),
    sampleMs: integer(values['sample-ms'], '--sample-ms', 100, 60_000, 1_000),
    json: values.json === true,
    jsonFile: values['json-file'],
  };
}

function parse(argv: string[]) {
  const text = { type: 'string' } as const;
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      containers: text,
      invocations: text,
      'token-ttl': text,
      'reject-rate': text,
      'sample-ms': text,
      json: { type: 'boolean' },
      'json-file': text,
      help: { type: 'boolean' },
    },
  });
}

export interface SoakResult {
  settings: Omit<SoakSettings, 'json' | 'jsonFile'>;
  verdict: Verdict;
  memory: MemoryVerdict & { containers: ContainerMemory[]; boundMiB: number };
  /** Invocations per second over the whole run (start-up included). */
  throughput: number;
  samples: number;
  report: DetailedSimulation['report'];
  series: SoakMonitor['series'];
}

async function runSoak(settings: SoakSettings): Promise<SoakResult> {
  const abort = new AbortController();
  let lastPrinted = 0;
  const total = settings.containers * settings.invocations;
  const monitor = createSoakMonitor({
    everyMs: settings.sampleMs,
    containers: settings.containers,
    invocationsPerContainer: settings.invocations,
    onStall: (reason) => abort.abort(new Error(reason)),
    onSample: (point) => {
      if (settings.json || Date.now() - lastPrinted < 5_000) return;
      lastPrinted = Date.now();
      process.stderr.write(
        `  ${point.t} s: ${point.done}/${total} invocations, ${point.generations} generations, ${point.issued} tokens issued, max RSS ${point.maxRssMiB} MiB\n`,
      );
    },
  });
  const { report, results } = await runSimulationDetailed({
    containers: settings.containers,
    invocations: settings.invocations,
    tokenTtlSeconds: settings.tokenTtlSeconds,
    rejectRate: settings.rejectRate,
    // No timing option: on 1-s tokens the simulator replaces the library defaults that would not
    // fit (timingForTokenLife: skew 100 ms, lease 250 ms, rejection interval 250 ms, back-off
    // 100 ms); the report's tunedOptions lists them.
    engine: 'dynamodb-local',
    table: 'soak-local-access-tokens',
    monitor,
    signal: abort.signal,
    // The stall watch stops a deadlocked fleet after 30 s; this only bounds a run that crawls.
    timeoutMs: 3 * 3600_000,
  });
  const warm = monitor.memory();
  const containers: ContainerMemory[] = results
    .map((result) => ({
      index: result.index,
      firstRssBytes: result.firstRssBytes,
      warmRssBytes: warm[result.index]?.warmRssBytes ?? 0,
      midRssBytes: warm[result.index]?.midRssBytes ?? 0,
      peakRssBytes: Math.max(warm[result.index]?.peakRssBytes ?? 0, result.rssBytes),
      lastRssBytes: result.rssBytes,
    }))
    .sort((a, b) => a.index - b.index);
  const memory = judgeMemory(containers);
  const verdict = judgeSoak(report, { state: monitor.state(), violations: monitor.violations }, memory);
  const { json: _json, jsonFile: _jsonFile, ...shown } = settings;
  return {
    settings: shown,
    verdict,
    memory: { containers, ...memory, boundMiB: MAX_GROWTH_MIB },
    throughput: Math.round((report.invocations / report.elapsedMs) * 1000 * 10) / 10,
    samples: monitor.state().samples,
    report,
    series: monitor.series,
  };
}

async function main(): Promise<void> {
  const settings = parseFlags(process.argv.slice(2));
  if (!settings.json) {
    console.error(
      `soak: ${settings.containers} containers x ${settings.invocations} invocations, ${settings.tokenTtlSeconds} s tokens, reject rate ${settings.rejectRate}; invariants every ${settings.sampleMs} ms, memory baseline at ${WARM_FRACTION * 100}% of each container's invocations`,
    );
  }
  const result = await runSoak(settings);
  if (settings.jsonFile) await writeFile(settings.jsonFile, `${JSON.stringify(result)}\n`);
  if (settings.json) console.log(JSON.stringify(result));
  else console.log(soakMarkdown(result));
  if (!result.verdict.pass) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`soak failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exit(1);
});

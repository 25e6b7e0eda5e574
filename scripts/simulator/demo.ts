/**
 * `npm run demo -- [flags]`: many simulated Lambda containers share one token through
 * the embedded local stack. With --json the last line of stdout is the report.
 */
import { parseArgs } from 'node:util';
import { integer, number, UsageError, url } from './cli-flags.js';
import { type OperatorView, operatorView } from './operator-view.js';
import type { Entry } from './protocol.js';
import {
  DEFAULT_INVOCATION_TIMEOUT_MS,
  runSimulation,
  type SimulationOptions,
  type SimulationReport,
} from './simulation.js';
import { KMS_KEY_ALIAS } from './simulation-stack.js';
import { LIBRARY_TIMING_DEFAULTS, TIMING_OPTION_NAMES, type TimingOptionName } from './timing-options.js';

const USAGE = `Usage: npm run demo -- [flags]

  --containers N            simulated Lambda containers, each a child process (default 25)
  --invocations N           invocations per container, one at a time (default 40)
  --token-ttl SECONDS       lifetime of the tokens the local provider issues (default 8)
  --reject-rate R           probability the data API revokes the token it is shown, 0..1 (default 0.005)
  --rate-limit-rate R       probability the data API answers 403 REQUEST_LIMIT_EXCEEDED, 0..1 (default 0);
                            such a 403 surfaces as it is and never causes a refresh
  --provider-latency MS     delay of the local token endpoint (default 100)
  --entry NAME              middleware (the example handler through Middy, withSharedToken) |
                            middy-use (middy(handler).use(sharedToken(options)): no retry, a rejection
                            surfaces and the next invocation gets the new token) | core (SharedToken.run)
                            (default middleware)
  --cipher NAME             salt (the secret's salt, SaltCipher) | kms (KMS envelope encryption through a
                            local KMS server; the report counts its calls) (default salt)
  --kill-holder             SIGKILL the first container that holds the lease, mid-refresh
  --engine NAME             dynamodb-local | dynalite (default: dynamodb-local when Java is found)
  --endpoint URL            use this DynamoDB instead of starting one
  --table NAME              table to use, created if missing (default demo-local-access-tokens)
  --provider-url URL        with --api-url: use this OAuth2 token endpoint (client_credentials;
                            credentials from SIMULATOR_CLIENT_ID and SIMULATOR_CLIENT_SECRET)
                            instead of the local Salesforce
  --api-url URL             with --provider-url: use this data API (GET with a Bearer token; 200, or
                            401/403, optionally with a JSON body; REQUEST_LIMIT_EXCEEDED is not a rejection)
  --think-ms MS             pause between two invocations of a container (default 25)
  --invocation-timeout-ms MS  each invocation's deadline, like a Lambda timeout (default 15000)
  --refresher-every-ms MS   also run the scheduled refresher (examples/scheduled-refresh) in one more
                            process, every MS ms (default: no refresher); local Salesforce only
  --json                    print the report as one JSON object on the last line of stdout
  --help                    this text

The library's timing options, in ms. Each one is passed to the handlers only when its flag is
given, or when the token's life rules the library's default out (a default longer than a quarter
of the token's life); the summary and the JSON (tunedOptions) list what was passed. With
--token-ttl 120 or longer and none of these flags, the handlers run on the library's defaults.
  --skew-ms MS              a token counts as expired this long before its expiry
                            (library default 30000; a tenth of a shorter token's life)
  --refresh-ahead-ms MS     refresh-ahead window (library default 300000, which the library bounds by
                            half the token's life)
  --lease-ms MS             longest lease of a refresher (library default 10000; a quarter of a
                            shorter token's life)
  --poll-initial-ms MS      first delay between reads while another container refreshes (default 50)
  --poll-max-ms MS          cap of the doubling delay between those reads (library default 1000)
  --failure-backoff-ms MS   first shared back-off after a failed refresh (library default 1000; a
                            tenth of a shorter token's life)
  --rejection-refresh-interval-ms MS
                            at most one rejection-driven refresh per this interval, fleet-wide
                            (library default 10000; a quarter of a shorter token's life)`;

/** The demo flag of a timing option: `skewMs` is `--skew-ms`. */
function timingFlag(name: TimingOptionName): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The longest duration a timing flag takes: a day. */
const MAX_TIMING_MS = 86_400_000;
/** Options the library refuses at 0 (the others turn something off at 0). */
const POSITIVE: ReadonlySet<TimingOptionName> = new Set(['leaseMs', 'pollInitialMs', 'pollMaxMs']);

const ENTRIES: readonly Entry[] = ['middleware', 'middy-use', 'core'];

function parseFlags(argv: string[]): { options: SimulationOptions; json: boolean } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const options: SimulationOptions = {
    containers: integer(values.containers, '--containers', 1, 1000, 25),
    invocations: integer(values.invocations, '--invocations', 1, 1_000_000, 40),
    tokenTtlSeconds: integer(values['token-ttl'], '--token-ttl', 1, 366 * 24 * 3600, 8),
    rejectRate: number(values['reject-rate'], '--reject-rate', 0, 1, 0.005),
    rateLimitRate: number(values['rate-limit-rate'], '--rate-limit-rate', 0, 1, 0),
    providerLatencyMs: integer(values['provider-latency'], '--provider-latency', 0, 600_000, 100),
    killHolder: values['kill-holder'] === true,
    thinkMs: integer(values['think-ms'], '--think-ms', 0, 600_000, 25),
    invocationTimeoutMs: integer(
      values['invocation-timeout-ms'],
      '--invocation-timeout-ms',
      1,
      900_000,
      DEFAULT_INVOCATION_TIMEOUT_MS,
    ),
  };
  if (values.engine !== undefined) {
    if (values.engine !== 'dynamodb-local' && values.engine !== 'dynalite') {
      throw new UsageError('--engine must be dynamodb-local or dynalite');
    }
    options.engine = values.engine;
  }
  for (const name of TIMING_OPTION_NAMES) {
    const flag = timingFlag(name);
    const raw = values[flag.slice(2) as keyof typeof values];
    if (typeof raw !== 'string') continue;
    options[name] = integer(raw, flag, POSITIVE.has(name) ? 1 : 0, MAX_TIMING_MS, 0);
  }
  // Checked here, or every container would fail to start on the library's own check.
  const pollInitialMs = options.pollInitialMs ?? LIBRARY_TIMING_DEFAULTS.pollInitialMs;
  if ((options.pollMaxMs ?? LIBRARY_TIMING_DEFAULTS.pollMaxMs) < pollInitialMs) {
    throw new UsageError(`--poll-max-ms must be at least the first delay (${pollInitialMs} ms)`);
  }
  if (values['refresher-every-ms'] !== undefined) {
    options.refresherEveryMs = integer(
      values['refresher-every-ms'],
      '--refresher-every-ms',
      100,
      3_600_000,
      0,
    );
    if (values['provider-url'] !== undefined) {
      throw new UsageError('--refresher-every-ms runs the Salesforce example: not with --provider-url');
    }
  }
  if (values.entry !== undefined) {
    const entry = ENTRIES.find((name) => name === values.entry);
    if (!entry) throw new UsageError('--entry must be middleware, middy-use or core');
    options.entry = entry;
  }
  if (values.cipher !== undefined) {
    if (values.cipher !== 'salt' && values.cipher !== 'kms') {
      throw new UsageError('--cipher must be salt or kms');
    }
    options.cipher = values.cipher;
  }
  if (values.endpoint !== undefined) options.endpoint = url(values.endpoint, '--endpoint');
  if (values['provider-url'] !== undefined)
    options.providerUrl = url(values['provider-url'], '--provider-url');
  if (values['api-url'] !== undefined) options.apiUrl = url(values['api-url'], '--api-url');
  if ((options.providerUrl === undefined) !== (options.apiUrl === undefined)) {
    throw new UsageError('--provider-url and --api-url go together: give both, or neither');
  }
  if (values.table !== undefined) {
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(values.table)) {
      throw new UsageError(
        '--table must be a DynamoDB table name (3 to 255 characters of a-z, A-Z, 0-9, _ . -)',
      );
    }
    options.table = values.table;
  }
  return { options, json: values.json === true };
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
      'rate-limit-rate': text,
      entry: text,
      cipher: text,
      'provider-latency': text,
      'kill-holder': { type: 'boolean' },
      engine: text,
      endpoint: text,
      table: text,
      'provider-url': text,
      'api-url': text,
      'think-ms': text,
      ...timingFlagOptions(),
      'invocation-timeout-ms': text,
      'refresher-every-ms': text,
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
}

/** parseArgs' entries for the timing flags (`'skew-ms': { type: 'string' }`, ...). */
function timingFlagOptions(): Record<string, { type: 'string' }> {
  return Object.fromEntries(
    TIMING_OPTION_NAMES.map((name) => [timingFlag(name).slice(2), { type: 'string' }]),
  );
}

/** How the handlers got their token, for the summary's first line. */
const ENTRY_WORDS: Record<Entry, string> = {
  middleware: 'the Middy middleware (withSharedToken)',
  'middy-use': "Middy's .use(sharedToken()), without the retry",
  core: 'the core API',
};

/** The summary's line on the library's options: what the containers were given, and why. */
function tunedOptionsLine({ tunedOptions, tunedBy, tokenTtlSeconds }: SimulationReport): string {
  const changed = Object.entries(tunedOptions) as [TimingOptionName, number][];
  if (changed.length === 0) return 'library options: all defaults';
  const shown = changed.map(([name, value]) => {
    const why = tunedBy[name] === 'caller' ? timingFlag(name) : `token lives ${tokenTtlSeconds} s`;
    return `${name}=${value} (${why})`;
  });
  return `library options changed from their defaults: ${shown.join(', ')}`;
}

function printSummary(report: SimulationReport): void {
  const perGeneration = report.tokenGenerations > 0 ? report.providerTokenCalls / report.tokenGenerations : 0;
  console.log(`
lambda-shared-token simulator (${report.engine}, handlers through ${ENTRY_WORDS[report.entry]})
  ${tunedOptionsLine(report)}
  containers ${report.containers}, invocations ${report.invocations}: ${report.succeeded} succeeded, ${report.failed} failed${report.killed ? `, ${report.killed} container killed` : ''}${
    report.failed
      ? ` (${Object.entries(report.errors)
          .map(([name, count]) => `${name} x${count}`)
          .join(', ')})`
      : ''
  }
  ${limitedLine(report)}provider token calls ${report.providerTokenCalls} for ${report.tokenGenerations} token generations (${perGeneration.toFixed(2)} per generation)
  data API calls ${report.apiCalls}, of which rejected ${report.apiRejected}, rate-limited ${report.apiRateLimited}; secret fetches ${report.secretFetches}
  tokens sealed with ${
    report.cipher === 'kms'
      ? `KMS envelope encryption: KMS calls ${report.kmsCalls} (${
          Object.entries(report.kmsCallsByOperation)
            .map(([name, count]) => `${name} ${count}`)
            .join(', ') || 'none'
        })`
      : "the secret's key"
  }
  Powertools metrics: ${Object.entries(report.metrics)
    .map(([name, total]) => `${name} ${total}`)
    .join(', ')}
  DynamoDB reads ${report.dynamoReads}, writes ${report.dynamoWrites}; served from memory ${report.cacheHits}
  token overhead per invocation p50 ${report.overheadMsP50} ms, p99 ${report.overheadMsP99} ms; longest lock wait ${report.maxWaitMs} ms
  ${refresherLine(report)}lease take-overs ${report.lockTakeovers}, leases lost ${report.leaseLost}; secrets found in container output: ${report.secretsInOutput}
  took ${(report.elapsedMs / 1000).toFixed(1)} s`);
}

/**
 * Why invocations failed on a revoked token without a refresh (with its own indent and newline),
 * or nothing: the library's bound on rejection-driven refreshes, which the demo's frequent
 * revocations meet.
 */
function limitedLine({ metrics, tunedOptions }: SimulationReport): string {
  const limited = metrics.RejectionRefreshLimited ?? 0;
  if (limited === 0) return '';
  const intervalMs =
    tunedOptions.rejectionRefreshIntervalMs ?? LIBRARY_TIMING_DEFAULTS.rejectionRefreshIntervalMs;
  return `of those, ${limited} met a token revoked within rejectionRefreshIntervalMs (${intervalMs} ms) of the rejection-driven refresh that committed it: not refreshed again (RejectionRefreshLimited)\n  `;
}

/** The scheduled refresher's line of the summary (with its own indent and newline), or nothing. */
function refresherLine({ refresher }: SimulationReport): string {
  if (!refresher) return '';
  return `scheduled refresher every ${refresher.everyMs} ms: ${refresher.runs} runs, refreshed ${refresher.refreshed}, fresh ${refresher.fresh}, deferred ${refresher.deferred}, failed ${refresher.failed}; its provider calls ${refresher.providerCalls}\n  `;
}

/** The two commands' output, indented under the summary; a command that failed says so. */
function printOperatorView({ status, doctor }: OperatorView): void {
  for (const run of [status, doctor]) {
    const failed = run.exitCode === 0 ? '' : ` (exit ${run.exitCode})`;
    const lines = run.output
      .trimEnd()
      .split('\n')
      .map((line) => `    ${line}`);
    console.log(`\n  $ ${run.command}${failed}\n${lines.join('\n')}`);
  }
}

async function main(): Promise<void> {
  const { options, json } = parseFlags(process.argv.slice(2));
  let lastPrinted = 0;
  if (!json) {
    options.onProgress = (done, total, providerCalls) => {
      const now = Date.now();
      if (now - lastPrinted < 500 && done < total) return;
      lastPrinted = now;
      process.stderr.write(`\r  ${done}/${total} invocations, ${providerCalls} provider calls   `);
    };
  }
  let view: OperatorView | undefined;
  // The operator's commands on the table the run left (not with --json: its last line is the report).
  if (!json) {
    options.afterRun = async (stack) => {
      view = await operatorView(stack, options.cipher === 'kms' ? KMS_KEY_ALIAS : undefined);
    };
  }
  const report = await runSimulation(options);
  if (json) console.log(JSON.stringify(report));
  else printSummary(report);
  if (view) printOperatorView(view);
  // A demo in which nothing worked is a failed demo, whatever the report says of the rest.
  if (report.invocations > 0 && report.succeeded === 0) {
    console.error(`demo failed: none of the ${report.invocations} invocations succeeded`);
    process.exitCode = 1;
  }
  if (view && view.secretsInOutput > 0) {
    console.error(
      `demo failed: ${view.secretsInOutput} secret value(s) found in the output of status or doctor`,
    );
    process.exitCode = 1;
  }
  // The secret scan (docs/development.md): one secret in the containers' output fails the run (the count, never the values).
  if (report.secretsInOutput > 0) {
    console.error(
      `demo failed: ${report.secretsInOutput} secret value(s) (salt, client secret or issued tokens) found in the containers' output`,
    );
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`demo failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exit(1);
});

/**
 * Item 3: what a warm invocation costs (token valid, in memory), against a bare Middy
 * handler, Middy with @middy/secrets-manager serving a cached secret, and Powertools
 * Parameters' cached getSecret; and how many network calls it makes (must be 0).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DynamoProxy } from '../../local-stack/dynamo-proxy.js';
import type { LocalOAuthProvider } from '../../local-stack/oauth-provider.js';
import type { LocalSecretsManager } from '../../local-stack/secrets-manager-server.js';
import { startLocalStack } from '../../local-stack/stack.js';
import { percentile } from '../../simulator/report.js';
import { type BenchContext, type BenchSection, round } from '../section.js';
import type { WarmPathConfig, WarmPathResult } from '../warm-path-worker.js';

const WORKER = ['../warm-path-worker.js', './warm-path-worker.js']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path));

const MIDDY_BARE = 'bare Middy handler';
const MIDDY_SECRETS = 'Middy + @middy/secrets-manager (cached)';
const MIDDLEWARE = 'lambda-shared-token middleware (warm)';
const PARAMETERS = 'Powertools Parameters getSecret (cached)';
const CORE = 'lambda-shared-token getToken() (warm)';

/** The servers a warm invocation could call: each counts what it is asked. */
interface WarmPathStack {
  proxy: DynamoProxy;
  secretsManager: LocalSecretsManager;
  provider: LocalOAuthProvider;
  tableName: string;
}

export async function runWarmPath(context: BenchContext): Promise<BenchSection> {
  if (!WORKER) throw new Error('warm-path-worker.js is missing: run `node scripts/build.mjs` first');
  const worker = WORKER;
  const clientSecret = randomBytes(24).toString('base64url');
  const secretName = '/bench/warm-path/oauth/salesforce';
  const stack = await startLocalStack({
    engine: 'auto',
    tableName: 'bench-warm-path-tokens',
    provider: { clientId: 'bench', clientSecret },
    secretsManager: {
      secrets: {
        [secretName]: JSON.stringify({
          clientId: 'bench',
          clientSecret,
          key: randomBytes(24).toString('base64url'),
        }),
      },
    },
  });
  try {
    const config: WarmPathConfig = {
      secretName,
      instanceUrl: stack.provider.instanceUrl,
      blockSize: context.quick ? 2_000 : 10_000,
      blocks: context.quick ? 5 : 15,
    };
    const measured = await runWorker(worker, stack, config);
    return report(stack, config, measured);
  } finally {
    await stack.stop().catch(() => undefined);
  }
}

/** What the worker measured, and what it printed while measured. */
interface Measured {
  result: WarmPathResult;
  stdoutBytes: number;
}

/** Runs the contenders in one worker process; the counters start from zero once it is warm. */
async function runWorker(worker: string, stack: WarmPathStack, config: WarmPathConfig): Promise<Measured> {
  const { proxy, secretsManager, provider } = stack;
  const child = fork(worker, [], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      DYNAMODB_TABLE_ACCESS_TOKENS: stack.tableName,
      POWERTOOLS_SERVICE_NAME: 'warm-path-bench',
    },
  });
  try {
    // Drained as Lambda's runtime drains it: the EMF and log lines cost their write, nothing more.
    let stdoutBytes = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
    });
    const result = await new Promise<WarmPathResult>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`warm-path worker exited (${code})`)));
      child.on('message', (message: { type: string; result?: WarmPathResult }) => {
        if (message.type === 'warm') {
          proxy.reset();
          secretsManager.resetStats();
          provider.resetStats();
          stdoutBytes = 0;
          child.send('go');
        } else if (message.type === 'result' && message.result) resolve(message.result);
      });
      child.send(config);
    });
    return { result, stdoutBytes };
  } finally {
    child.kill('SIGKILL');
  }
}

function report(
  { proxy, secretsManager: secrets, provider }: WarmPathStack,
  config: WarmPathConfig,
  { result, stdoutBytes }: Measured,
): BenchSection {
  const invocationsEach = config.blockSize * config.blocks;
  const counts = proxy.counts();
  const networkCalls =
    counts.reads +
    counts.writes +
    secrets.stats().calls +
    provider.stats().tokenCalls +
    provider.stats().apiCalls;
  const median = Object.fromEntries(
    Object.entries(result.nsPerInvocation).map(([name, values]) => [name, percentile(values, 50)]),
  );
  const ratioRows = (ours: string, others: string[]) =>
    [ours, ...others].map((name) => [
      name,
      round(median[name]! / 1000),
      name === ours ? '1.00' : (median[ours]! / median[name]!).toFixed(2),
    ]);
  const behind = [
    ...[MIDDY_BARE, MIDDY_SECRETS].map((name) => [MIDDLEWARE, name] as const),
    [CORE, PARAMETERS] as const,
  ].filter(([ours, other]) => median[ours]! > median[other]!);
  return {
    id: 'warm-path',
    title: 'Warm path: cost per invocation with the token in memory',
    method: `${config.blocks} interleaved blocks of ${config.blockSize} invocations per contender in one process (median of blocks); network calls counted by the local DynamoDB proxy, Secrets Manager and provider over all ${Object.keys(median).length * invocationsEach} measured invocations. A whole Middy invocation is compared with Middy invocations; one cached-credential call with one cached-credential call.`,
    readmeTables: 2,
    tables: [
      {
        columns: ['whole Middy invocation', 'µs (median)', 'ours ÷ contender'],
        rows: ratioRows(MIDDLEWARE, [MIDDY_BARE, MIDDY_SECRETS]),
      },
      {
        columns: ['one call for a cached credential', 'µs (median)', 'ours ÷ contender'],
        rows: ratioRows(CORE, [PARAMETERS]),
      },
    ],
    notes: [
      `Network calls during the ${Object.keys(median).length * invocationsEach} warm invocations: ${networkCalls} (DynamoDB ${counts.reads + counts.writes}, Secrets Manager ${secrets.stats().calls}, provider ${provider.stats().tokenCalls + provider.stats().apiCalls}).`,
      `Bytes written to stdout while measured (EMF and log lines): ${stdoutBytes}.`,
      ...behind.map(
        ([ours, other]) =>
          `"${ours}" is behind "${other}": ${round(median[ours]! / 1000)} µs against ${round(median[other]! / 1000)} µs.`,
      ),
    ],
    figures: {
      nsPerInvocationMedian: median,
      nsPerInvocationBlocks: result.nsPerInvocation,
      networkCalls,
      stdoutBytes,
      invocationsEach,
    },
    checks: [
      { name: 'warm path: 0 network calls', ok: networkCalls === 0, detail: `${networkCalls} calls` },
      {
        name: 'warm path: getToken() costs at most Powertools Parameters cached getSecret',
        ok: median[CORE]! <= median[PARAMETERS]!,
        detail: `${round(median[CORE]!)} ns against ${round(median[PARAMETERS]!)} ns`,
      },
    ],
  };
}

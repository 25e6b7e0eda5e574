/**
 * One simulated Lambda container: its own process, so its own module state and memory
 * cache, running invocations one at a time like the Lambda runtime does.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type AccessToken,
  type MetricName,
  OAuth2ClientCredentialsProvider,
  SaltCipher,
  TokenManager,
  type TokenMetrics,
  type TokenProvider,
  TokenStore,
} from '../../layer/index.js';
import type { ChildMessage, ContainerConfig, ContainerResult, ParentMessage } from './protocol.js';

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

/** Resolves on the next parent message of `type`. */
const nextMessage = (type: ParentMessage['type']): Promise<void> =>
  new Promise((resolve) => {
    const listener = (message: ParentMessage): void => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve();
    };
    process.on('message', listener);
  });

process.once('message', (message: ParentMessage) => {
  if (message.type === 'config') prepare(message.config);
});

function prepare(config: ContainerConfig): void {
  const metrics = new MetricTotals();
  let providerCalls = 0;
  const oauth = new OAuth2ClientCredentialsProvider({
    tokenUrl: config.tokenUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    timeoutMs: config.manager.leaseMs,
  });
  // Lets the parent see (and kill or freeze) the lease holder in the middle of its refresh.
  const provider: TokenProvider = {
    async fetchToken(request) {
      providerCalls++;
      send({ type: 'refreshing', index: config.index });
      const token = await oauth.fetchToken(request);
      if (config.holdProviderAnswer) {
        const proceed = nextMessage('proceed');
        send({ type: 'answered', index: config.index });
        await proceed;
      }
      return token;
    },
  };
  const manager = new TokenManager({
    tokenType: config.tokenType,
    store: new TokenStore({
      client: new DynamoDBClient({
        endpoint: config.dynamoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      tableName: config.tableName,
    }),
    cipher: new SaltCipher({ salts: config.salts }),
    provider,
    metrics,
    ...config.manager,
  });

  void nextMessage('go')
    .then(() => run(config, manager, metrics))
    .then((partial) => {
      const result = { ...partial, providerCalls, rssBytes: process.memoryUsage().rss };
      // Keep-alive sockets of the SDK would hold the process open: exit once the parent has the result.
      process.send?.({ type: 'result', result } satisfies ChildMessage, () => process.exit(0));
    });
  send({ type: 'ready', index: config.index });
}

async function run(
  config: ContainerConfig,
  manager: TokenManager,
  metrics: MetricTotals,
): Promise<Omit<ContainerResult, 'providerCalls' | 'rssBytes'>> {
  const overheadMs: number[] = [];
  const errors: Record<string, number> = {};
  let succeeded = 0;
  let failed = 0;
  let maxOverheadMs = 0;
  for (let i = 0; i < config.invocations; i++) {
    const timing = { overheadMs: 0 };
    try {
      await invoke(config, manager, timing);
      overheadMs.push(timing.overheadMs);
      succeeded++;
    } catch (error) {
      failed++;
      const name = error instanceof Error ? error.name : 'unknown';
      if (process.env.SIMULATOR_DEBUG) console.error(error);
      errors[name] = (errors[name] ?? 0) + 1;
    }
    maxOverheadMs = Math.max(maxOverheadMs, timing.overheadMs);
    if ((i + 1) % 10 === 0 || i + 1 === config.invocations)
      send({ type: 'progress', index: config.index, done: i + 1 });
    if (i === 0 && config.barrierAfterFirst) {
      const resume = nextMessage('continue');
      send({ type: 'barrier', index: config.index });
      await resume;
    }
    if (config.thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, config.thinkMs));
  }
  return {
    index: config.index,
    succeeded,
    failed,
    errors,
    overheadMs,
    maxOverheadMs,
    metrics: metrics.totals,
  };
}

/** One invocation: get the token, call the data API, and on a 401/403 refresh the rejected version once. */
async function invoke(
  config: ContainerConfig,
  manager: TokenManager,
  timing: { overheadMs: number },
): Promise<void> {
  const deadline = Date.now() + config.invocationTimeoutMs;
  const timed = async (get: () => Promise<AccessToken>): Promise<AccessToken> => {
    const started = performance.now();
    try {
      return await get();
    } finally {
      timing.overheadMs += performance.now() - started;
    }
  };
  let token = await timed(() => manager.getToken({ deadline }));
  let status = await callApi(config.apiUrl, token);
  if (status === 401 || status === 403) {
    const rejected = token;
    token = await timed(() => manager.refreshRejected(rejected, { deadline }));
    status = await callApi(config.apiUrl, token);
  }
  if (status !== 200)
    throw Object.assign(new Error(`data API answered HTTP ${status}`), { name: `Http${status}` });
}

async function callApi(apiUrl: string, token: AccessToken): Promise<number> {
  const response = await fetch(apiUrl, { headers: { authorization: `Bearer ${token.value}` } });
  await response.arrayBuffer();
  return response.status;
}

class MetricTotals implements TokenMetrics {
  readonly totals: ContainerResult['metrics'] = {};
  record(name: MetricName, value: number): void {
    const entry = this.totals[name] ?? { sum: 0, max: 0, count: 0 };
    this.totals[name] = entry;
    entry.sum += value;
    entry.max = Math.max(entry.max, value);
    entry.count++;
  }
}

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
  type TokenMetrics,
  type TokenProvider,
  TokenManager,
  TokenStore,
} from '../../layer/index.js';
import type { ChildMessage, ContainerConfig, ContainerResult, ParentMessage } from './protocol.js';

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

process.on('message', (message: ParentMessage) => {
  if (message.type === 'config') void prepare(message.config);
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
  // Tells the parent this container is the lease holder in the middle of its refresh (for --kill-holder).
  const provider: TokenProvider = {
    fetchToken(request) {
      providerCalls++;
      send({ type: 'refreshing', index: config.index });
      return oauth.fetchToken(request);
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

  const onGo = (message: ParentMessage): void => {
    if (message.type !== 'go') return;
    process.off('message', onGo);
    void run(config, manager, metrics).then((partial) => {
      const result = { ...partial, providerCalls, rssBytes: process.memoryUsage().rss };
      // Keep-alive sockets of the SDK would hold the process open: exit once the parent has the result.
      process.send?.({ type: 'result', result } satisfies ChildMessage, () => process.exit(0));
    });
  };
  process.on('message', onGo);
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
  for (let i = 0; i < config.invocations; i++) {
    try {
      overheadMs.push(await invoke(config, manager));
      succeeded++;
    } catch (error) {
      failed++;
      const name = error instanceof Error ? error.name : 'unknown';
      errors[name] = (errors[name] ?? 0) + 1;
    }
    if ((i + 1) % 10 === 0 || i + 1 === config.invocations) send({ type: 'progress', index: config.index, done: i + 1 });
    if (config.thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, config.thinkMs));
  }
  return { index: config.index, succeeded, failed, errors, overheadMs, metrics: metrics.totals };
}

/** One invocation: get the token, call the data API, and on a 401/403 refresh the rejected version once. */
async function invoke(config: ContainerConfig, manager: TokenManager): Promise<number> {
  const deadline = Date.now() + config.invocationTimeoutMs;
  let started = performance.now();
  let token = await manager.getToken({ deadline });
  let overhead = performance.now() - started;
  let status = await callApi(config.apiUrl, token);
  if (status === 401 || status === 403) {
    started = performance.now();
    token = await manager.refreshRejected(token, { deadline });
    overhead += performance.now() - started;
    status = await callApi(config.apiUrl, token);
  }
  if (status !== 200) throw Object.assign(new Error(`data API answered HTTP ${status}`), { name: `Http${status}` });
  return overhead;
}

async function callApi(apiUrl: string, token: AccessToken): Promise<number> {
  const response = await fetch(apiUrl, { headers: { authorization: `Bearer ${token.value}` } });
  await response.arrayBuffer();
  return response.status;
}

class MetricTotals implements TokenMetrics {
  readonly totals: ContainerResult['metrics'] = {};
  record(name: MetricName, value: number): void {
    const entry = (this.totals[name] ??= { sum: 0, max: 0, count: 0 });
    entry.sum += value;
    entry.max = Math.max(entry.max, value);
    entry.count++;
  }
}

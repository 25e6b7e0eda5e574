/**
 * One simulated Lambda container: its own process, so its own module state and memory
 * cache, running invocations one at a time like the Lambda runtime does. The handler is
 * the real one (see invoker.ts); its logs and Powertools metrics go to stdout and stderr,
 * where the parent reads them.
 */
import type { Invoker } from '../alternatives/invoker.js';
import { createInvoker } from './invoker.js';
import type { ChildMessage, ContainerConfig, ContainerResult, ParentMessage } from './protocol.js';
import { runRefresherChild } from './refresher.js';

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
  if (message.type === 'config') void prepare(message.config);
});

async function prepare(config: ContainerConfig): Promise<void> {
  // What Lambda sets before the function's code loads (Middy fetches the secret at import).
  Object.assign(process.env, {
    DYNAMODB_TABLE_ACCESS_TOKENS: config.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: config.dynamoEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: config.secretsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_SERVICE_NAME: `simulated-${config.index}`,
    SALESFORCE_SECRET_NAME: config.secretName,
    ...(config.kms && {
      AWS_ENDPOINT_URL_KMS: config.kms.endpoint,
      SHARED_TOKEN_KMS_KEY_ID: config.kms.keyId,
    }),
    ...(config.api.kind === 'salesforce' && {
      SALESFORCE_INSTANCE_URL: config.api.instanceUrl,
      // The local Salesforce's session timeout, as an operator sets the org's.
      SALESFORCE_SESSION_SECONDS: String(config.tokenTtlSeconds),
    }),
  });
  if (config.refresher) return runRefresherChild(config, config.refresher, nextMessage);
  let providerCalls = 0;
  const invoker = await createInvoker(config, {
    refreshing: () => {
      providerCalls++;
      send({ type: 'refreshing', index: config.index, at: Date.now() });
    },
    answered: async () => {
      if (!config.holdProviderAnswer) return;
      const proceed = nextMessage('proceed');
      send({ type: 'answered', index: config.index });
      await proceed;
    },
  });

  void nextMessage('go')
    .then(() => run(config, invoker))
    .then((partial) => {
      invoker.finish?.();
      const result = { ...partial, providerCalls, rssBytes: process.memoryUsage().rss };
      // Keep-alive sockets of the SDK would hold the process open: exit once the parent has the result.
      process.send?.({ type: 'result', result } satisfies ChildMessage, () => process.exit(0));
    });
  send({ type: 'ready', index: config.index });
}

async function run(
  config: ContainerConfig,
  invoker: Invoker,
): Promise<Omit<ContainerResult, 'providerCalls' | 'rssBytes'>> {
  const overheadMs: number[] = [];
  const tokenAt: (number | null)[] = [];
  const startedAt: number[] = [];
  const cpuMs: number[] = [];
  const errors: Record<string, number> = {};
  let succeeded = 0;
  let failed = 0;
  let maxOverheadMs = 0;
  let maxPastDeadlineMs = 0;
  let firstRssBytes = 0;
  for (let i = 0; i < config.invocations; i++) {
    const cpuBefore = process.cpuUsage();
    startedAt.push(Date.now());
    try {
      await invoker.invoke(Date.now() + config.invocationTimeoutMs);
      overheadMs.push(invoker.lastOverheadMs());
      tokenAt.push(invoker.lastTokenAt());
      succeeded++;
    } catch (error) {
      failed++;
      tokenAt.push(null);
      if (process.env.SIMULATOR_DEBUG) console.error(error);
      const name = errorLabel(error);
      errors[name] = (errors[name] ?? 0) + 1;
    }
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    maxOverheadMs = Math.max(maxOverheadMs, invoker.lastOverheadMs());
    maxPastDeadlineMs = Math.max(maxPastDeadlineMs, invoker.lastOverheadMs() - config.invocationTimeoutMs);
    if (i === 0) firstRssBytes = process.memoryUsage().rss;
    if ((i + 1) % 10 === 0 || i + 1 === config.invocations)
      send({ type: 'progress', index: config.index, done: i + 1, rssBytes: process.memoryUsage.rss() });
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
    maxPastDeadlineMs,
    firstRssBytes,
    tokenAt,
    startedAt,
    cpuMs,
  };
}

/** `SalesforceApiError:INVALID_SESSION_ID`, `DataApiError:403`, `LockWaitTimeoutError`: names and codes only. */
function errorLabel(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  const { errorCode, statusCode } = error as { errorCode?: unknown; statusCode?: unknown };
  if (typeof errorCode === 'string') return `${error.name}:${errorCode}`;
  if (typeof statusCode === 'number') return `${error.name}:${statusCode}`;
  return error.name;
}

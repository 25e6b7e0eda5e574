/**
 * What one simulated invocation runs: the real example handler (or a generic data-API
 * handler for `--api-url`), through the real Middy middleware (with its retry, or attached
 * with a plain `.use()`) or through the core API.
 * The provider is the handler's own, wrapped only so the parent can see (and kill or
 * freeze) the lease holder in the middle of its refresh.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ProviderFactory } from '../../layer/advanced.js';
import {
  type AccessToken,
  kmsCipher,
  oauth2ClientCredentials,
  oauth2RefreshToken,
  SharedToken,
  type SharedTokenMiddlewareOptions,
  sharedToken,
  withSharedToken,
} from '../../middleware/index.js';
import {
  type AlternativeConfig,
  type AlternativeStrategy,
  createAlternativeInvoker,
} from '../alternatives/index.js';
import { InvocationTimer } from '../alternatives/invocation-timer.js';
import type { Invoker, ProviderHooks } from '../alternatives/invoker.js';
import type { ContainerConfig } from './protocol.js';
import { effectiveTiming } from './timing-options.js';

type BaseHandler = (event: unknown, context: Context) => Promise<unknown>;

export async function createInvoker(config: ContainerConfig, hooks: ProviderHooks): Promise<Invoker> {
  if (config.strategy !== 'shared-token') {
    return createAlternativeInvoker(alternativeConfig(config, config.strategy), hooks);
  }
  const { handler: base, options } = await loadHandler(config);
  const tuned: SharedTokenMiddlewareOptions = {
    ...options,
    // Only the options that differ from the library's defaults (timing-options.ts).
    ...config.manager,
    tokenType: config.tokenType,
    provider: hooked(options.provider, hooks),
    // A skewed container times everything (expiry, leases, back-off) on its own clock.
    ...(config.clockOffsetMs !== 0 && { clock: { now: () => Date.now() + config.clockOffsetMs } }),
    ...(config.ownerId !== undefined && { ownerId: config.ownerId }),
    ...(config.secretCacheExpiry !== undefined && { secretCacheExpiry: config.secretCacheExpiry }),
  };
  const timer = new InvocationTimer();
  const timedBase: BaseHandler = timer.timeHandler(base);
  let run: (deadline: number) => Promise<unknown>;
  let shared: SharedToken;
  if (config.entry === 'middleware') {
    const handler = withSharedToken(timedBase, tuned);
    shared = handler.sharedToken;
    run = (deadline) => handler({}, lambdaContext(config, deadline));
  } else if (config.entry === 'middy-use') {
    // The plain Middy way, no `retrying`: a rejection surfaces, and onError refreshes for the next invocation.
    const middleware = sharedToken(tuned);
    const handler = middy(timedBase).use(middleware);
    shared = middleware.sharedToken;
    run = (deadline) => handler({}, lambdaContext(config, deadline));
  } else {
    shared = new SharedToken(tuned);
    run = (deadline) =>
      shared
        .run((token) => timedBase({}, withToken(lambdaContext(config, deadline), token)), {
          deadline: deadline + config.clockOffsetMs,
        })
        .finally(() => shared.flushMetrics());
  }
  return {
    invoke: (deadline) => timer.measure(() => run(deadline)),
    lastOverheadMs: () => timer.lastOverheadMs(),
    lastTokenAt: () => timer.lastTokenAt(),
    finish: () => shared.flushMetrics({ force: true }),
  };
}

/** What an alternative is told of its container: the Salesforce example's, on this run's timing. */
function alternativeConfig(config: ContainerConfig, strategy: AlternativeStrategy): AlternativeConfig {
  if (config.api.kind !== 'salesforce') {
    throw new Error(`strategy "${strategy}" runs the Salesforce example only (no --api-url)`);
  }
  // The timing this project's containers run on in the same simulation: what it set, else the library's defaults.
  const { skewMs, leaseMs } = effectiveTiming(config.manager);
  return {
    strategy,
    instanceUrl: config.api.instanceUrl,
    secretName: config.secretName,
    tokenType: config.tokenType,
    tableName: config.tableName,
    skewMs,
    leaseMs,
  };
}

async function loadHandler(
  config: ContainerConfig,
): Promise<{ handler: BaseHandler; options: SharedTokenMiddlewareOptions }> {
  if (config.api.kind === 'salesforce') {
    // Imported only now: like Lambda, the environment is set before the function's code loads.
    // The example's handler function and options; the entry point attaches them (handler.ts is
    // that one line for the middleware).
    const example = await import('../../examples/salesforce-query/query-accounts.js');
    // The example reads SHARED_TOKEN_KMS_KEY_ID itself (container.ts sets it), as a deployed function does.
    if (config.kms && example.sharedTokenOptions.cipher === undefined) {
      throw new Error('the example did not pick up SHARED_TOKEN_KMS_KEY_ID: no KMS cipher');
    }
    return { handler: example.queryAccounts as BaseHandler, options: example.sharedTokenOptions };
  }
  const { apiUrl, tokenUrl, grant } = config.api;
  return {
    handler: async (_event, context) =>
      callDataApi(apiUrl, (context as Context & { sharedToken: AccessToken }).sharedToken),
    options: {
      tokenType: config.tokenType,
      secretName: config.secretName,
      provider:
        grant === 'refresh_token' ? oauth2RefreshToken({ tokenUrl }) : oauth2ClientCredentials({ tokenUrl }),
      ...(config.kms && { cipher: kmsCipher({ keyId: config.kms.keyId }) }),
    },
  };
}

/** GET with the token; a failure carries the status and the JSON body, as HTTP client errors do. */
async function callDataApi(apiUrl: string, token: AccessToken): Promise<unknown> {
  const response = await fetch(apiUrl, { headers: { authorization: `Bearer ${token.value}` } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  if (!response.ok) {
    throw Object.assign(new Error(`data API answered HTTP ${response.status}`), {
      name: 'DataApiError',
      statusCode: response.status,
      body,
    });
  }
  return body;
}

export function hooked(factory: ProviderFactory, hooks: ProviderHooks): ProviderFactory {
  return (credentials) => {
    const provider = factory(credentials);
    return {
      async fetchToken(request) {
        hooks.refreshing();
        const token = await provider.fetchToken(request);
        await hooks.answered();
        return token;
      },
      // The provider's own bound, which the manager's rule for claiming reads.
      timeoutMs: provider.timeoutMs,
    };
  };
}

function lambdaContext(config: ContainerConfig, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `simulated-${config.index}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:simulated-${config.index}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/simulated-${config.index}`,
    logStreamName: `container-${config.index}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function withToken(context: Context, token: AccessToken): Context {
  return Object.assign(context, { sharedToken: token });
}

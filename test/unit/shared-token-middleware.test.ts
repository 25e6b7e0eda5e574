/**
 * The Middy adapter's own behaviour, in one process: options, where the token and the secret
 * go, the retry wrapper, metric flushing, errors passing through. The secret comes from the
 * local Secrets Manager started in this process (the adapter always reads it through
 * `@middy/secrets-manager`); the store is the in-process MemoryTokenStore. The protocol end to end:
 * test/integration/entry-points*.test.ts.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import { clearCache, createError } from '@middy/util';
import type { Context } from 'aws-lambda';
import {
  AccessToken,
  ConfigurationError,
  functionProvider,
  MetricName,
  type TokenMetrics,
  TokenRejectedError,
} from 'lambda-shared-token';
import { type SharedTokenMiddlewareOptions, sharedToken } from '../../middleware/shared-token-middleware.js';
import { withSharedToken } from '../../middleware/with-shared-token.js';
import { type LocalSecretsManager, startSecretsManager } from '../../scripts/local-stack/index.js';
import { capturePrinted, parsed } from '../support/capture-output.js';
import {
  CLIENT_SECRET,
  FAKE_CREDENTIALS,
  lambdaContext,
  REGION,
  RecordingLogger,
  rejectionOf,
  SALT,
  secretJson,
  uniqueNames,
} from '../support/entry-points.js';
import { MemoryTokenStore } from '../support/memory-token-store.js';

let secrets: LocalSecretsManager;
beforeAll(async () => {
  secrets = await startSecretsManager({ region: REGION });
});
afterEach(() => clearCache());
afterAll(async () => {
  clearCache();
  await secrets?.stop();
});

/** Issues `token-1`, `token-2`, ... valid for an hour. */
function countingProvider() {
  const provider = { calls: 0, issued: [] as string[] };
  const factory = functionProvider(async () => {
    provider.calls++;
    const accessToken = `token-${provider.calls}-${Math.random().toString(36).slice(2)}`;
    provider.issued.push(accessToken);
    return { accessToken, expiresAt: Date.now() + 3_600_000 };
  });
  return { provider, factory };
}

/** Metrics that count records and flushes. */
function countingMetrics(): TokenMetrics & { flushes: number; names: string[]; flush(): void } {
  const metrics = {
    flushes: 0,
    names: [] as string[],
    record: (name: MetricName) => void metrics.names.push(name),
    flush: () => void metrics.flushes++,
  };
  return metrics;
}

/** Valid options for a fresh secret; `overrides` replace or add keys. */
function optionsFor(overrides: Record<string, unknown> = {}) {
  const { tokenType, secretName } = uniqueNames('middleware-unit');
  secrets.putSecret(secretName, secretJson());
  const { provider, factory } = countingProvider();
  const metrics = countingMetrics();
  const logger = new RecordingLogger();
  const options = {
    tokenType,
    secretName,
    provider: factory,
    store: new MemoryTokenStore(),
    awsClientOptions: { endpoint: secrets.endpoint, region: REGION, credentials: FAKE_CREDENTIALS },
    logger,
    metrics,
    ...overrides,
  } as SharedTokenMiddlewareOptions;
  return { options, provider, metrics, logger, secretName };
}

const getSecretValueCalls = (secretName: string): number =>
  secrets.stats().getSecretValueByName[secretName] ?? 0;

/** Resolves once `condition` holds, checking on each turn of the event loop (a hang is Jest's timeout). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

type TestContext = Context & Record<string, unknown>;

describe('sharedToken options', () => {
  it('rejects an unknown option with a ConfigurationError naming it', () => {
    const { options } = optionsFor({ secretCacheExpiryMs: 60_000 });

    expect(() => sharedToken(options)).toThrow(ConfigurationError);
    expect(() => sharedToken(options)).toThrow('Unknown sharedToken option "secretCacheExpiryMs"');
    expect(() => withSharedToken(async () => 1, options)).toThrow('"secretCacheExpiryMs"');
  });

  it.each([[''], [42], [null]])(
    'rejects contextKey %p with a ConfigurationError naming contextKey',
    (contextKey) => {
      const { options } = optionsFor({ contextKey });

      expect(() => sharedToken(options)).toThrow(ConfigurationError);
      expect(() => sharedToken(options)).toThrow(/"contextKey"/);
    },
  );

  it.each([[-2], [Number.NaN], ['300000']])(
    'rejects secretCacheExpiry %p with a ConfigurationError naming secretCacheExpiry',
    (secretCacheExpiry) => {
      const { options } = optionsFor({ secretCacheExpiry });

      expect(() => sharedToken(options)).toThrow(ConfigurationError);
      expect(() => sharedToken(options)).toThrow(/"secretCacheExpiry"/);
    },
  );

  it('rejects a core option of the wrong type with the core error', () => {
    const { options } = optionsFor({ skewMs: -1 });

    expect(() => sharedToken(options)).toThrow(/"skewMs"/);
  });

  it('fetches the secret at cold start by default, and only at the first invocation with disablePrefetch', async () => {
    const prefetched = optionsFor();
    const lazy = optionsFor({ disablePrefetch: true });

    const eager = withSharedToken(async () => 'ok', prefetched.options);
    const deferred = withSharedToken(async () => 'ok', lazy.options);
    // The prefetch is one GetSecretValue under way: wait for the server to see it, not for a time.
    await until(() => getSecretValueCalls(prefetched.secretName) === 1);
    const atColdStart = [getSecretValueCalls(prefetched.secretName), getSecretValueCalls(lazy.secretName)];
    await eager({}, lambdaContext());
    await deferred({}, lambdaContext());

    expect(atColdStart).toEqual([1, 0]);
    expect([getSecretValueCalls(prefetched.secretName), getSecretValueCalls(lazy.secretName)]).toEqual([
      1, 1,
    ]);
  });

  it('refuses a secretCacheExpiry above a day', () => {
    const { options } = optionsFor({ secretCacheExpiry: 2 * 86_400_000 });

    expect(() => withSharedToken(async () => 'ok', options)).toThrow(
      'sharedToken option "secretCacheExpiry" must be at most 86400000 (a day) when finite',
    );
  });

  it('reuses the secret for a whole day with secretCacheExpiry 86_400_000', async () => {
    const { options, secretName } = optionsFor({ secretCacheExpiry: 86_400_000 });
    const handler = withSharedToken(async () => 'ok', options);

    for (let i = 0; i < 3; i++) await handler({}, lambdaContext());

    expect(getSecretValueCalls(secretName)).toBe(1);
  });

  it.each([-1, Number.POSITIVE_INFINITY])(
    "keeps the secret for the container's life with secretCacheExpiry %p",
    async (secretCacheExpiry) => {
      const { options, secretName, logger } = optionsFor({ secretCacheExpiry });
      const handler = withSharedToken(async () => 'ok', options);

      for (let i = 0; i < 3; i++) await handler({}, lambdaContext());

      expect(getSecretValueCalls(secretName)).toBe(1);
      expect(logger.text()).not.toContain('refreshed in the background');
    },
  );

  it('reads a secret by any name Secrets Manager accepts, or by its ARN', async () => {
    const plain = `orders-salesforce-${Math.random().toString(36).slice(2)}`;
    secrets.putSecret(plain, secretJson());
    const byName = withSharedToken(async () => 'ok', optionsFor({ secretName: plain }).options);
    const byArn = withSharedToken(async () => 'ok', optionsFor({ secretName: secrets.arnOf(plain) }).options);

    expect(await byName({}, lambdaContext())).toBe('ok');
    expect(await byArn({}, lambdaContext())).toBe('ok');
    expect(getSecretValueCalls(plain)).toBe(2);
  });

  it('fetches the secret once per invocation, not more, with secretCacheExpiry 0', async () => {
    const { options, secretName } = optionsFor({ secretCacheExpiry: 0, disablePrefetch: true });
    const handler = withSharedToken(async () => 'ok', options);

    for (let i = 0; i < 3; i++) await handler({}, lambdaContext());

    expect(getSecretValueCalls(secretName)).toBe(3);
  });
});

describe('what the handler sees', () => {
  it('puts the token on context[contextKey] as an AccessToken whose JSON and inspect show no value', async () => {
    const { options, provider } = optionsFor({ contextKey: 'salesforceToken' });
    let seen: TestContext | undefined;
    const handler = withSharedToken(async (_event, context) => {
      seen = context as unknown as TestContext;
      return 'ok';
    }, options);

    await handler({}, lambdaContext());

    const token = seen?.salesforceToken;
    expect(token).toBeInstanceOf(AccessToken);
    expect((token as AccessToken).value).toBe(provider.issued[0]);
    expect(seen?.sharedToken).toBeUndefined();
    const renderings = [
      JSON.stringify(seen),
      inspect(seen, { depth: 5 }),
      JSON.stringify(token),
      inspect(token),
    ];
    for (const rendering of renderings) {
      expect(rendering).toContain('[redacted]');
      expect(rendering.includes(provider.issued[0] as string)).toBe(false);
    }
  });

  it("puts the invocation's Lambda context on the library's own log lines (no logger passed)", async () => {
    const { options } = optionsFor({ logger: undefined });
    const handler = withSharedToken(async () => 'ok', options);
    const context = lambdaContext('orders-api');

    const { stdout } = await capturePrinted(() => handler({}, context));

    const lines = parsed(stdout).filter((line) => line.service === 'lambda-shared-token');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ function_request_id: context.awsRequestId, function_name: 'orders-api' });
    }
  });

  it('keeps the secret in request.internal, never on the context', async () => {
    const { options, secretName } = optionsFor();
    const middleware = sharedToken(options);
    let request: Request<unknown, unknown, Error, TestContext> | undefined;
    const handler = middy<unknown, unknown, Error, TestContext>(middleware.retrying(async () => 'ok'))
      .use(middleware as unknown as MiddlewareObj<unknown, unknown, Error, TestContext>)
      .use({
        before: (current) => {
          request = current;
        },
      });

    await handler({}, lambdaContext());

    const internal = (request?.internal ?? {}) as Record<string, unknown>;
    const secret = await internal[`lambda-shared-token:${secretName}`];
    expect(secret).toMatchObject({ clientSecret: CLIENT_SECRET, key: SALT });
    for (const rendering of [JSON.stringify(request?.context), inspect(request?.context, { depth: 5 })]) {
      expect(rendering).not.toContain(CLIENT_SECRET);
      expect(rendering).not.toContain(SALT);
    }
  });

  it('hands the retry the refreshed token on the context after a 401', async () => {
    const { options, provider, metrics } = optionsFor();
    const versions: number[] = [];
    const handler = withSharedToken(async (_event, context) => {
      const token = (context as unknown as TestContext).sharedToken as AccessToken;
      versions.push(token.version);
      if (versions.length === 1) throw Object.assign(new Error('unauthorized'), { statusCode: 401 });
      return token.version;
    }, options);

    const result = await handler({}, lambdaContext());

    expect(result).toBe(2);
    expect(versions).toEqual([1, 2]);
    expect(provider.calls).toBe(2);
    expect(metrics.names.filter((name) => name === MetricName.RetrySucceeded)).toHaveLength(1);
  });
});

describe('retrying(handler)', () => {
  it('throws a TypeError saying to attach the middleware when it ran without it', async () => {
    const { options } = optionsFor();
    const middleware = sharedToken(options);
    const handler = middleware.retrying(async () => 'ok');

    const error = await rejectionOf(
      Promise.resolve(handler({}, lambdaContext(), { signal: new AbortController().signal })),
    );

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(
      /did not run before this handler.*withSharedToken\(handler, options\)/,
    );
  });

  it('refuses a handler that is not a function', () => {
    const { options } = optionsFor();

    expect(() => sharedToken(options).retrying('handler' as never)).toThrow(TypeError);
  });
});

describe('after and onError', () => {
  it('flush the metrics once per invocation, successful or not', async () => {
    const { options, metrics } = optionsFor();
    let fail = false;
    const handler = withSharedToken(async () => {
      if (fail) throw new Error('handler failed');
      return 'ok';
    }, options);

    await handler({}, lambdaContext());
    const afterSuccess = metrics.flushes;
    fail = true;
    await rejectionOf(handler({}, lambdaContext()));

    expect(afterSuccess).toBe(1);
    expect(metrics.flushes).toBe(2);
  });

  it('flush the metrics when the middleware itself fails (a missing secret)', async () => {
    const { options, metrics, secretName } = optionsFor();
    secrets.deleteSecret(secretName);
    clearCache();
    const handler = withSharedToken(async () => 'ok', options);

    const error = await rejectionOf(handler({}, lambdaContext()));

    expect(error).toMatchObject({ name: 'SecretError', secretName });
    expect(metrics.flushes).toBe(1);
  });

  it("does not swallow the handler's error: the same object surfaces, after one run", async () => {
    const { options, provider } = optionsFor();
    const failure = Object.assign(new Error('upstream failed'), { statusCode: 500 });
    let runs = 0;
    const handler = withSharedToken(async () => {
      runs++;
      throw failure;
    }, options);

    const error = await rejectionOf(handler({}, lambdaContext()));

    expect(error).toBe(failure);
    expect(runs).toBe(1);
    expect(provider.calls).toBe(1);
  });
});

/** The token revoked by the upstream API: it answers 401 to every token up to `revokedUpTo`. */
function revocableApi() {
  const api = { revokedUpTo: 0, calls: 0 };
  const call = (token: AccessToken): { statusCode: number; body: string } => {
    api.calls++;
    return token.version <= api.revokedUpTo
      ? { statusCode: 401, body: 'INVALID_SESSION_ID' }
      : { statusCode: 200, body: `v${token.version}` };
  };
  return { api, call };
}

describe('attached the plain Middy way: middy(handler).use(sharedToken(options))', () => {
  it('refreshes a rejected version in onError: this invocation fails, the next gets the new token', async () => {
    const { options, provider, logger } = optionsFor();
    const { api, call } = revocableApi();
    const handler = middy(async (_event: unknown, context: Context) => {
      const answer = call((context as TestContext).sharedToken as AccessToken);
      if (answer.statusCode !== 200) throw Object.assign(new Error('unauthorized'), { statusCode: 401 });
      return answer.body;
    }).use(sharedToken(options));
    expect(await handler({}, lambdaContext())).toBe('v1');
    api.revokedUpTo = 1;

    const failure = await rejectionOf(handler({}, lambdaContext()));
    const next = await handler({}, lambdaContext());
    const after = await handler({}, lambdaContext());

    expect(failure).toMatchObject({ statusCode: 401 });
    expect([next, after]).toEqual(['v2', 'v2']);
    expect(provider.calls).toBe(2);
    // Run once per invocation: no retry without withSharedToken.
    expect(api.calls).toBe(4);
    const warnings = logger.calls.filter((entry) => /not retried/.test(entry.message));
    expect(warnings).toHaveLength(1);
  });

  it('warns once per container, however many rejections it refreshes', async () => {
    const { options, logger } = optionsFor();
    const { api, call } = revocableApi();
    const handler = middy(async (_event: unknown, context: Context) => {
      const answer = call((context as TestContext).sharedToken as AccessToken);
      if (answer.statusCode !== 200) throw Object.assign(new Error('unauthorized'), { statusCode: 401 });
      return answer.body;
    }).use(sharedToken({ ...options, rejectionRefreshIntervalMs: 0 }));
    await handler({}, lambdaContext());

    for (let version = 1; version <= 3; version++) {
      api.revokedUpTo = version;
      await rejectionOf(handler({}, lambdaContext()));
    }

    expect(await handler({}, lambdaContext())).toBe('v4');
    expect(logger.calls.filter((entry) => /not retried/.test(entry.message))).toHaveLength(1);
  });

  it('refreshes nothing and warns nothing for an error that is not a rejection', async () => {
    const { options, provider, logger } = optionsFor();
    const failure = Object.assign(new Error('upstream failed'), { statusCode: 500 });
    const handler = middy(async () => {
      throw failure;
    }).use(sharedToken(options));

    expect(await rejectionOf(handler({}, lambdaContext()))).toBe(failure);
    expect(provider.calls).toBe(1);
    expect(logger.calls.filter((entry) => /not retried/.test(entry.message))).toHaveLength(0);
  });

  it('still refreshes a second real revocation at once under withSharedToken: the first retry confirmed it', async () => {
    const { options, provider } = optionsFor();
    const { api, call } = revocableApi();
    const handler = withSharedToken(async (_event, context) => {
      const answer = call((context as unknown as TestContext).sharedToken as AccessToken);
      if (answer.statusCode !== 200) throw Object.assign(new Error('unauthorized'), { statusCode: 401 });
      return answer.body;
    }, options);
    await handler({}, lambdaContext());

    api.revokedUpTo = 1;
    const afterFirst = await handler({}, lambdaContext());
    api.revokedUpTo = 2;
    const afterSecond = await handler({}, lambdaContext());

    expect([afterFirst, afterSecond]).toEqual(['v2', 'v3']);
    expect(provider.calls).toBe(3);
  });

  it('makes no second refresh when withSharedToken already retried and the retry was rejected too', async () => {
    const { options, provider } = optionsFor();
    const handler = withSharedToken(async () => {
      throw Object.assign(new Error('unauthorized'), { statusCode: 401 });
    }, options);

    await rejectionOf(handler({}, lambdaContext()));

    expect(provider.calls).toBe(2);
  });
});

describe('a rejection the handler returns as its response (isRejectedResponse)', () => {
  const isRejectedResponse = (response: unknown): boolean =>
    (response as { statusCode?: unknown } | undefined)?.statusCode === 401;

  it('refreshes once and runs the handler once more, as for a thrown rejection', async () => {
    const { options, provider, metrics } = optionsFor({ isRejectedResponse });
    const { api, call } = revocableApi();
    api.revokedUpTo = 1;
    const handler = withSharedToken(
      async (_event, context) => call((context as unknown as TestContext).sharedToken as AccessToken),
      options,
    );

    const response = await handler({}, lambdaContext());

    expect(response).toEqual({ statusCode: 200, body: 'v2' });
    expect(provider.calls).toBe(2);
    expect(api.calls).toBe(2);
    expect(metrics.names.filter((name) => name === MetricName.RetrySucceeded)).toHaveLength(1);
  });

  it('returns the first response as it was when the retry is rejected too', async () => {
    const { options, provider } = optionsFor({ isRejectedResponse });
    const { api, call } = revocableApi();
    api.revokedUpTo = Number.MAX_SAFE_INTEGER;
    const responses: unknown[] = [];
    const handler = withSharedToken(async (_event, context) => {
      const answer = call((context as unknown as TestContext).sharedToken as AccessToken);
      responses.push(answer);
      return answer;
    }, options);

    const response = await handler({}, lambdaContext());

    expect(response).toBe(responses[0]);
    expect(responses).toHaveLength(2);
    expect(provider.calls).toBe(2);
  });

  it('never inspects responses without the option: a returned 401 is just a response', async () => {
    const { options, provider } = optionsFor();
    const handler = withSharedToken(async () => ({ statusCode: 401 }), options);

    expect(await handler({}, lambdaContext())).toEqual({ statusCode: 401 });
    expect(provider.calls).toBe(1);
  });

  it('refreshes a returned rejection in after when attached with .use() alone', async () => {
    const { options, provider } = optionsFor({ isRejectedResponse });
    const { api, call } = revocableApi();
    const handler = middy(async (_event: unknown, context: Context) =>
      call((context as TestContext).sharedToken as AccessToken),
    ).use(sharedToken(options));
    await handler({}, lambdaContext());
    api.revokedUpTo = 1;

    expect(await handler({}, lambdaContext())).toEqual({ statusCode: 401, body: 'INVALID_SESSION_ID' });
    expect(await handler({}, lambdaContext())).toEqual({ statusCode: 200, body: 'v2' });
    expect(provider.calls).toBe(2);
  });
});

describe("the handler's own 401/403 to its caller", () => {
  it("neither refreshes nor retries on a 403 built by Middy's createError, however many requests", async () => {
    const { options, provider } = optionsFor();
    let runs = 0;
    const handler = withSharedToken(async () => {
      runs++;
      throw createError(403, 'Not your order');
    }, options);

    for (let request = 0; request < 30; request++) {
      expect(await rejectionOf(handler({}, lambdaContext()))).toMatchObject({
        statusCode: 403,
        expose: true,
      });
    }

    expect(runs).toBe(30);
    expect(provider.calls).toBe(1);
  });

  it('makes at most 2 provider calls for 30 of its own 403s the classifier cannot tell apart (the fleet-wide bound)', async () => {
    const { options, provider, metrics } = optionsFor();
    const handler = withSharedToken(async () => {
      throw Object.assign(new Error('Forbidden'), { statusCode: 403 });
    }, options);

    for (let request = 0; request < 30; request++) await rejectionOf(handler({}, lambdaContext()));

    expect(provider.calls).toBeLessThanOrEqual(2);
    expect(
      metrics.names.filter((name) => name === MetricName.RejectionRefreshLimited).length,
    ).toBeGreaterThan(0);
  });

  it('takes a TokenRejectedError as a rejection: refresh, retry, the new token', async () => {
    const { options, provider } = optionsFor();
    const versions: number[] = [];
    const handler = withSharedToken(async (_event, context) => {
      const token = (context as unknown as TestContext).sharedToken as AccessToken;
      versions.push(token.version);
      if (token.version === 1) throw new TokenRejectedError(401);
      return 'ok';
    }, options);

    expect(await handler({}, lambdaContext())).toBe('ok');
    expect(versions).toEqual([1, 2]);
    expect(provider.calls).toBe(2);
  });
});

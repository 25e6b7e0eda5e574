/**
 * What one test leaves behind must not reach the next, nor keep Jest from exiting.
 * `clearSharedTokenCaches` clears the cache of the `@middy/util` the middleware imports (here, as
 * in a user's node_modules, the one this file imports too; in the layer, the copy bundled with
 * the middleware) and the tokens of the handlers it is given.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import secretsManager from '@middy/secrets-manager';
import type { Context } from 'aws-lambda';
import type { AccessToken } from 'lambda-shared-token';
import { withSharedToken } from 'lambda-shared-token/middleware';
import {
  clearSharedTokenCaches,
  inMemorySecretsManager,
  inMemorySharedTokenOptions,
  staticTokenProvider,
} from 'lambda-shared-token/testing';
import { testSecret } from '../support/test-secrets.js';

const SECRET_NAME = '/test/orders/oauth/clear-caches';
const context = {} as Context;
const options = { tokenType: 'clear-caches', secretName: SECRET_NAME, provider: staticTokenProvider() };
const tokenOf = async (_event: unknown, ctx: Context) =>
  (ctx as Context & { sharedToken: AccessToken }).sharedToken;

/** Timers that keep the process alive (`getActiveResourcesInfo` leaves unref'd ones out). */
const liveTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

afterEach(() => clearSharedTokenCaches());

describe('clearSharedTokenCaches', () => {
  it('drops the secret Middy keeps, so the next test fetches its own', async () => {
    const before = inMemorySharedTokenOptions({ secret: { key: testSecret('keyOfTestBefore') } });
    await withSharedToken(tokenOf, { ...options, ...before })({}, context);
    const next = inMemorySharedTokenOptions({ secret: { key: testSecret('keyOfNextTest') } });

    clearSharedTokenCaches();
    await withSharedToken(tokenOf, { ...options, ...next })({}, context);

    expect(next.awsClientOptions.requestHandler.getSecretValueCalls).toBe(1);
  });

  it('stops a refresh timer Middy armed in the copy the middleware uses', async () => {
    const baseline = liveTimers();
    // A Middy middleware with a finite cache: Middy arms a timer (not unref'd) to refresh it.
    const middleware = secretsManager({
      fetchData: { other: SECRET_NAME },
      cacheKey: 'another-middleware',
      cacheExpiry: 60_000,
      awsClientOptions: inMemorySecretsManager(),
      disablePrefetch: true,
    });
    await middleware.before!({
      event: {},
      context,
      internal: {},
      response: undefined,
      error: undefined,
    } as never);
    expect(liveTimers()).toBe(baseline + 1);

    clearSharedTokenCaches();

    expect(liveTimers()).toBe(baseline);
  });

  it('forgets the token a handler holds: its next invocation reads the table', async () => {
    const fakes = inMemorySharedTokenOptions();
    const handler = withSharedToken(tokenOf, { ...options, ...fakes });
    await handler({}, context);
    const reads = fakes.store.calls.reads;

    clearSharedTokenCaches(handler);
    await handler({}, context);

    expect(fakes.store.calls.reads).toBe(reads + 1);
  });
});

describe("clearSharedTokenCaches and the middleware's own refresh of the secret", () => {
  it('stops the background refresh a finite secretCacheExpiry armed, so it cannot fire in a later test', async () => {
    // Fake timers count every timer, unref'd ones too; promises and I/O callbacks still run.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const fakes = { ...inMemorySharedTokenOptions(), secretCacheExpiry: 300_000 };
      const handler = withSharedToken(tokenOf, { ...options, ...fakes });
      await handler({}, context);
      await new Promise((resolve) => setImmediate(resolve));
      expect(jest.getTimerCount()).toBe(1);

      clearSharedTokenCaches();

      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(600_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(fakes.awsClientOptions.requestHandler.getSecretValueCalls).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('a handler tested with inMemorySharedTokenOptions', () => {
  it('leaves no timer that keeps the process alive', async () => {
    const baseline = liveTimers();
    const fakes = inMemorySharedTokenOptions();
    const handler = withSharedToken(tokenOf, { ...options, ...fakes });

    await handler({}, context);
    await handler({}, context);

    expect(liveTimers()).toBe(baseline);
  });

  it("arms no background refresh of the secret: not even an unref'd timer is left", async () => {
    // Fake timers count every timer, unref'd ones too; promises and I/O callbacks still run.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const handler = withSharedToken(tokenOf, { ...options, ...inMemorySharedTokenOptions() });

      await handler({}, context);
      await new Promise((resolve) => setImmediate(resolve));

      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

/**
 * The scheduled refresher in one process: the in-memory store, a fake provider, virtual time.
 * What crosses processes (the refresher beside many Lambda containers) is in
 * test/integration/scheduled-refresh.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { RefreshOutcome } from 'lambda-shared-token';
import {
  ConfigurationError,
  isSharedTokenError,
  MetricName,
  type RefreshTarget,
  RefreshTokenExpiredError,
  type RefreshTokensOptions,
  refreshTokens,
  ScheduledRefreshError,
  scheduledRefreshHandler,
  TokenRefreshError,
} from 'lambda-shared-token';
import {
  OAuth2RefreshTokenProvider,
  REFRESH_TOKEN_EXPIRED_MESSAGE,
  SCHEDULED_REFRESH_MESSAGE,
} from 'lambda-shared-token/advanced';
import { capturePrinted, parsed } from '../support/capture-output.js';
import { fakeFetch, json } from '../support/fake-fetch.js';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';
import { RecordingLogger, START, World } from './token-manager-harness.js';

const NOW_SECONDS = Math.floor(START / 1000);
// The manager's defaults: skew 30 s, refresh-ahead 300 s, lease 10 s.
const OUTSIDE_WINDOW_SECONDS = NOW_SECONDS + 3600;
const INSIDE_WINDOW_SECONDS = NOW_SECONDS + 200;

describe('TokenManager.refreshIfDue', () => {
  it('should not call the provider when the stored token is outside the refresh-ahead window', async () => {
    const world = new World();
    await world.seedToken({ value: 'stored-secret', expiresAtSeconds: OUTSIDE_WINDOW_SECONDS, version: 3 });
    const refresher = world.container();

    const outcome = await refresher.manager.refreshIfDue();

    expect(outcome).toEqual({ outcome: 'fresh', version: 3, expiresAt: OUTSIDE_WINDOW_SECONDS * 1000 });
    expect(world.provider.calls).toBe(0);
    expect(world.store.applied.claims).toBe(0);
  });

  it('should refresh once, for everybody, when the token is inside the window', async () => {
    const world = new World();
    await world.seedToken({ value: 'stored-secret', expiresAtSeconds: INSIDE_WINDOW_SECONDS, version: 3 });
    const refresher = world.container();

    const outcome = await refresher.manager.refreshIfDue();
    const lambda = await world.container().manager.getToken();
    const again = await refresher.manager.refreshIfDue();

    expect(outcome).toMatchObject({ outcome: 'refreshed', version: 4 });
    expect(lambda.version).toBe(4);
    expect(again).toMatchObject({ outcome: 'fresh', version: 4 });
    expect(world.provider.calls).toBe(1);
    expect(refresher.metrics.count(MetricName.TokenRefreshed)).toBe(1);
  });

  it('should refresh once when there is no item', async () => {
    const world = new World();
    const refresher = world.container();

    const outcome = await refresher.manager.refreshIfDue();

    expect(outcome).toMatchObject({ outcome: 'refreshed', version: 1 });
    expect(world.provider.calls).toBe(1);
  });

  it('should refresh a token that expired (inside the skew)', async () => {
    const world = new World();
    await world.seedToken({ value: 'stored-secret', expiresAtSeconds: NOW_SECONDS + 10, version: 8 });

    const outcome = await world.container().manager.refreshIfDue();

    expect(outcome).toMatchObject({ outcome: 'refreshed', version: 9 });
    expect(world.provider.calls).toBe(1);
  });

  it('should not call the provider while another container holds a live lease', async () => {
    const world = new World();
    await world.seedToken({ value: 'stored-secret', expiresAtSeconds: NOW_SECONDS + 10, version: 8 });
    const held = world.provider.holdNext();
    const lambda = world.container().manager.getToken();
    await world.time.run(held.started);

    const outcome = await world.container().manager.refreshIfDue();
    held.release();
    const token = await world.time.run(lambda);

    expect(outcome).toEqual({ outcome: 'deferred', reason: 'lease-held' });
    expect(world.provider.calls).toBe(1);
    expect(token.version).toBe(9);
  });

  it('should make one provider call when a refresher and Lambdas all find the token due at once', async () => {
    const world = new World();
    await world.seedToken({ value: 'stored-secret', expiresAtSeconds: INSIDE_WINDOW_SECONDS, version: 3 });
    const callers = [
      world.container().manager.refreshIfDue(),
      ...Array.from({ length: 5 }, () => world.container().manager.getToken()),
      world.container().manager.refreshIfDue(),
    ];

    const settled = await world.time.run(Promise.all(callers));

    expect(world.provider.calls).toBe(1);
    expect(settled.some((result) => 'outcome' in result && result.outcome === 'refreshed')).toBe(true);
  });

  it('should not ask the provider again during the shared back-off after a failure', async () => {
    const world = new World();
    world.provider.failNext(new TokenRefreshError('provider down', 'salesforce', { status: 503 }));
    const refresher = world.container();

    const failure = await rejectionOf<unknown>(refresher.manager.refreshIfDue());
    const outcome = await refresher.manager.refreshIfDue();

    expect(isSharedTokenError(failure, 'TokenRefreshError')).toBe(true);
    expect(outcome).toEqual({ outcome: 'deferred', reason: 'backing-off' });
    expect(world.provider.calls).toBe(1);
  });

  it('should leave a still-valid token that would expire before a lease could end', async () => {
    const world = new World();
    // Fresh for a 1 s skew, inside the window, but gone before a 10 s lease ends.
    await world.seedToken({ value: 'stored-secret', expiresAtSeconds: NOW_SECONDS + 5, version: 2 });

    const outcome = await world.container({ skewMs: 1_000 }).manager.refreshIfDue();

    expect(outcome).toMatchObject({ outcome: 'deferred', reason: 'expires-within-lease', version: 2 });
    expect(world.provider.calls).toBe(0);
  });
});

describe('a dead refresh token (invalid_grant)', () => {
  const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-never-logged-');
  const BOOTSTRAP = testSecret('refreshToken', 'bootstrap-refresh-token-never-logged-');

  function refreshTokenWorld() {
    const world = new World();
    const { fetch, sent: sentBodies } = fakeFetch(
      json(400, { error: 'invalid_grant', error_description: `${BOOTSTRAP} revoked` }),
    );
    const provider = new OAuth2RefreshTokenProvider({
      tokenUrl: 'https://login.example.com/oauth2/token',
      clientId: 'client-id',
      clientSecret: CLIENT_SECRET,
      refreshToken: BOOTSTRAP,
      fetch,
    });
    return { world, sentBodies, refresher: world.container({ provider }) };
  }

  it('should raise RefreshTokenExpiredError, count RefreshTokenExpired and log one line an alarm can match', async () => {
    const { refresher, sentBodies } = refreshTokenWorld();

    const error = await rejectionOf<unknown>(refresher.manager.refreshIfDue());

    expect(sentBodies).toHaveLength(1);
    expect(error).toBeInstanceOf(RefreshTokenExpiredError);
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as RefreshTokenExpiredError).oauthError).toBe('invalid_grant');
    expect(refresher.metrics.count(MetricName.RefreshTokenExpired)).toBe(1);
    expect(refresher.metrics.count(MetricName.TokenRefreshFailed)).toBe(1);
    const errors = refresher.logger.calls.filter((call) => call.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: REFRESH_TOKEN_EXPIRED_MESSAGE,
      attributes: { tokenType: 'salesforce', error: 'RefreshTokenExpiredError', oauthError: 'invalid_grant' },
    });
    expect(String(errors[0]?.attributes?.action)).toContain('new refresh token in the secret');
  });

  it('should keep the refresh token and the client secret out of logs, error and summary', async () => {
    const { refresher } = refreshTokenWorld();
    const logger = new RecordingLogger();

    const summary = await refreshTokens([refresher.manager], { logger });

    expect(summary.failed).toEqual([
      {
        tokenType: 'salesforce',
        error: 'RefreshTokenExpiredError',
        oauthError: 'invalid_grant',
        status: 400,
      },
    ]);
    const output = refresher.logger.text() + logger.text() + JSON.stringify(summary);
    expect(output).not.toContain(BOOTSTRAP);
    expect(output).not.toContain(CLIENT_SECRET);
  });
});

/** A target in-process whose answer the test picks. */
function target(tokenType: string, answer: () => Promise<RefreshOutcome>): RefreshTarget {
  return { tokenType, refreshIfDue: answer };
}

describe('refreshTokens', () => {
  it('should refresh the due targets, keep the fresh ones, and isolate a failure', async () => {
    const world = new World();
    await world.seedToken({ value: 'fresh-secret', expiresAtSeconds: OUTSIDE_WINDOW_SECONDS, version: 5 });
    await world.seedToken({
      tokenType: 'webex',
      value: 'due-secret',
      expiresAtSeconds: INSIDE_WINDOW_SECONDS,
      version: 2,
    });
    const logger = new RecordingLogger();
    const leaked = 'message-with-a-secret-in-it';

    const summary = await refreshTokens(
      [
        world.container().manager,
        target('broken', () => Promise.reject(new Error(leaked))),
        world.container({ tokenType: 'webex' }).manager,
        target('denied', () =>
          Promise.reject(
            new TokenRefreshError('denied', 'denied', { status: 401, oauthError: 'invalid_client' }),
          ),
        ),
        target('busy', async () => ({ outcome: 'deferred', reason: 'lease-held' })),
      ],
      { logger },
    );

    expect(world.provider.calls).toBe(1);
    expect(summary).toEqual({
      refreshed: [{ tokenType: 'webex', version: 3, expiresAt: expect.any(Number) }],
      fresh: [
        {
          tokenType: 'salesforce',
          version: 5,
          expiresAt: OUTSIDE_WINDOW_SECONDS * 1000,
          refreshedByOther: false,
        },
      ],
      deferred: [{ tokenType: 'busy', reason: 'lease-held' }],
      failed: [
        { tokenType: 'broken', error: 'Error' },
        { tokenType: 'denied', error: 'TokenRefreshError', oauthError: 'invalid_client', status: 401 },
      ],
      counts: { refreshed: 1, fresh: 1, deferred: 1, failed: 2 },
    });
    expect(logger.calls).toEqual([
      {
        level: 'info',
        message: SCHEDULED_REFRESH_MESSAGE,
        attributes: {
          refreshed: 1,
          fresh: 1,
          deferred: 1,
          failed: 2,
          refreshedTokenTypes: 'webex',
          freshTokenTypes: 'salesforce',
          deferredTokenTypes: 'busy:lease-held',
          failedTokenTypes: 'broken:Error,denied:TokenRefreshError',
        },
      },
    ]);
    expect(logger.text()).not.toContain(leaked);
    expect(logger.text()).not.toContain('fresh-secret');
  });

  it('should run at most `concurrency` targets at once', async () => {
    let running = 0;
    let most = 0;
    const slow = (tokenType: string) =>
      target(tokenType, async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return { outcome: 'fresh', version: 1, expiresAt: START };
      });

    const summary = await refreshTokens(['a', 'b', 'c', 'd', 'e'].map(slow), { concurrency: 2 });

    expect(summary.counts.fresh).toBe(5);
    expect(most).toBe(2);
  });

  it('should refuse no target, a tokenType listed twice, and a concurrency below 1', async () => {
    const fresh = target('a', async () => ({ outcome: 'fresh', version: 1, expiresAt: START }));

    await expect(refreshTokens([])).rejects.toThrow(ConfigurationError);
    await expect(refreshTokens([fresh, fresh])).rejects.toThrow('"a" is listed twice');
    await expect(refreshTokens([fresh], { concurrency: 0 } as RefreshTokensOptions)).rejects.toThrow(
      '"concurrency"',
    );
  });
});

describe('scheduledRefreshHandler', () => {
  const context = { getRemainingTimeInMillis: () => 30_000 };

  it('should return the summary, flush every target and pass the Lambda deadline on', async () => {
    const deadlines: (number | undefined)[] = [];
    let flushed = 0;
    const fresh: RefreshTarget = {
      tokenType: 'a',
      refreshIfDue: async (options) => {
        deadlines.push(options?.deadline);
        return { outcome: 'fresh', version: 1, expiresAt: START };
      },
      flushMetrics: () => {
        flushed++;
      },
    };
    const before = Date.now();

    const summary = await scheduledRefreshHandler([fresh], { logger: new RecordingLogger() })({}, context);

    expect(summary.counts).toEqual({ refreshed: 0, fresh: 1, deferred: 0, failed: 0 });
    expect(flushed).toBe(1);
    expect(deadlines[0]).toBeGreaterThanOrEqual(before + 30_000);
  });

  it('should log the summary, then throw ScheduledRefreshError when a target failed', async () => {
    const logger = new RecordingLogger();
    const handler = scheduledRefreshHandler(
      [
        target('ok', async () => ({ outcome: 'refreshed', version: 2, expiresAt: START })),
        target('dead', () =>
          Promise.reject(new RefreshTokenExpiredError('dead', 'dead', { oauthError: 'invalid_grant' })),
        ),
      ],
      { logger },
    );

    const error = await rejectionOf<unknown>(handler({}, context));

    expect(error).toBeInstanceOf(ScheduledRefreshError);
    expect((error as ScheduledRefreshError).message).toContain('"dead" (RefreshTokenExpiredError)');
    expect((error as ScheduledRefreshError).summary.counts).toMatchObject({ refreshed: 1, failed: 1 });
    expect(logger.calls.map((call) => call.message)).toEqual([SCHEDULED_REFRESH_MESSAGE]);
  });

  it('should not count a deferred target as a failure', async () => {
    const handler = scheduledRefreshHandler(
      [target('busy', async () => ({ outcome: 'deferred', reason: 'backing-off' }))],
      { logger: new RecordingLogger() },
    );

    await expect(handler({}, context)).resolves.toMatchObject({ counts: { deferred: 1, failed: 0 } });
  });
});

describe('scheduledRefreshHandler log lines', () => {
  it("carry the invocation's Lambda context on the summary line of its own logger", async () => {
    const fresh: RefreshTarget = {
      tokenType: 'a',
      refreshIfDue: async () => ({ outcome: 'fresh', version: 1, expiresAt: START }),
    };
    const handler = scheduledRefreshHandler([fresh]);
    const context = {
      awsRequestId: 'refresh-request-1',
      functionName: 'token-refresher',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:token-refresher',
      memoryLimitInMB: '128',
      getRemainingTimeInMillis: () => 30_000,
    };

    const { stdout } = await capturePrinted(() => handler({}, context));

    const summaryLine = parsed(stdout).find((line) => line.message === SCHEDULED_REFRESH_MESSAGE);
    expect(summaryLine).toMatchObject({
      function_request_id: 'refresh-request-1',
      function_name: 'token-refresher',
    });
  });
});

import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  InvalidProviderResponseError,
  isSharedTokenError,
  MetricName,
  TokenRefreshError,
  TokenStoreError,
} from 'lambda-shared-token';
import { SaltCipher } from 'lambda-shared-token/advanced';
import { HOUR_MS, rejectionOf, START, TOKEN_TYPE, World } from './token-manager-harness.js';

const SKEW_MS = 30_000;

let world: World;

beforeEach(() => {
  world = new World();
});

describe('step 5: provider failure', () => {
  it('raises a TokenRefreshError that carries a copy of the provider error as its cause, never its message', async () => {
    const boom = new Error('connection reset');
    world.provider.failNext(boom);
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(isSharedTokenError(error, 'TokenRefreshError')).toBe(true);
    expect((error as TokenRefreshError).cause).toMatchObject({ name: 'Error' });
    expect((error as TokenRefreshError).cause).not.toBe(boom);
    expect(String(((error as TokenRefreshError).cause as Error).message)).not.toContain('connection reset');
    expect((error as TokenRefreshError).tokenType).toBe(TOKEN_TYPE);
  });

  it('logs the failure with the name of its cause, never its message', async () => {
    const reset = new Error('connection reset by 10.0.0.7');
    reset.name = 'FetchError';
    world.provider.failNext(reset);
    const { manager, logger } = world.container();

    await rejectionOf(world.time.run(manager.getToken()));

    const line = logger.calls.find((call) => call.message === 'token refresh failed');
    expect(line?.level).toBe('error');
    expect(line?.attributes).toMatchObject({ error: 'TokenRefreshError', cause: 'FetchError', failures: 1 });
    expect(JSON.stringify(line)).not.toContain('10.0.0.7');
  });

  it('passes a TokenRefreshError of the provider through unchanged', async () => {
    const refused = new TokenRefreshError('HTTP 401 (invalid_client)', TOKEN_TYPE, {
      status: 401,
      oauthError: 'invalid_client',
    });
    world.provider.failNext(refused);
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBe(refused);
    expect((error as TokenRefreshError).status).toBe(401);
  });

  it('releases the lease after a provider failure', async () => {
    world.provider.failNext(new Error('connection reset'));
    const { manager } = world.container();

    await rejectionOf(world.time.run(manager.getToken()));

    const item = world.store.get(TOKEN_TYPE);
    expect(world.store.applied.releases).toBe(1);
    expect(item?.updating).toBe(false);
    expect(item?.lockOwner).toBeUndefined();
    expect(item?.lockExpiresAt).toBeUndefined();
    expect(item?.accessToken).toBeUndefined();
  });

  it('records the shared back-off in the item and on the error, in epoch milliseconds', async () => {
    world.provider.failNext(new Error('connection reset'));
    const { manager, metrics } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    const item = world.store.get(TOKEN_TYPE);
    expect(item?.failures).toBe(1);
    expect(item?.retryAfter).toBe(START + 1_000);
    expect((error as TokenRefreshError).retryAfter).toBe(START + 1_000);
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(1);
  });

  it('makes another container hold off the provider until retryAfter', async () => {
    world.provider.failNext(new Error('connection reset'));
    await rejectionOf(world.time.run(world.container().manager.getToken()));
    world.time.advance(999);
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).retryAfter).toBe(START + 1_000);
    expect(world.provider.calls).toBe(1);
    expect(world.store.counts.claims).toBe(1);
  });

  it('lets the next container refresh at retryAfter and clears the back-off with the commit', async () => {
    world.provider.failNext(new Error('connection reset'));
    await rejectionOf(world.time.run(world.container().manager.getToken()));
    world.time.advance(1_000);
    const { manager } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-1');
    expect(world.provider.calls).toBe(2);
    const item = world.store.get(TOKEN_TYPE);
    expect(item?.failures).toBeUndefined();
    expect(item?.retryAfter).toBeUndefined();
  });

  it('doubles the shared back-off with each failure in a row and caps it at failureBackoffMaxMs', async () => {
    const { manager } = world.container({ failureBackoffMs: 1_000, failureBackoffMaxMs: 4_000 });
    const backoffs: number[] = [];
    const failures: (number | undefined)[] = [];

    for (let attempt = 0; attempt < 5; attempt++) {
      world.provider.failNext(new Error('connection reset'));
      const error = (await rejectionOf(world.time.run(manager.getToken()))) as TokenRefreshError;
      backoffs.push((error.retryAfter ?? 0) - world.time.now());
      failures.push(world.store.get(TOKEN_TYPE)?.failures);
      world.time.advance(backoffs.at(-1) ?? 0);
    }

    expect(backoffs).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(failures).toEqual([1, 2, 3, 4, 5]);
    expect(world.provider.calls).toBe(5);
  });

  it('keeps serving a still-valid token when the refresh of a rejected one fails', async () => {
    const other = world.container();
    const first = await world.time.run(other.manager.getToken());
    world.provider.failNext(new Error('connection reset'));
    await rejectionOf(world.time.run(other.manager.refreshRejected(first)));
    const { manager } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe(first.value);
    expect(world.provider.calls).toBe(2);
  });

  it('keeps the refresh error when the release itself fails, and logs that it could not release', async () => {
    world.provider.failNext(new Error('connection reset'));
    world.store.beforeOperation = (event) => {
      if (event.op === 'release')
        throw new TokenStoreError('DynamoDB release failed: ThrottlingException', TOKEN_TYPE);
    };
    const { manager, logger } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(logger.calls.some((call) => call.level === 'warn' && /release/.test(call.message))).toBe(true);
  });
});

const commitError = (code: string, transient: boolean) =>
  new TokenStoreError(`DynamoDB UpdateItem (commit) failed: ${code}`, TOKEN_TYPE, { code, transient });

describe('step 5: commit failure', () => {
  it('counts a commit DynamoDB refused for good as a failed refresh, logs it, and passes the store error on', async () => {
    const denied = commitError('AccessDeniedException', false);
    world.store.beforeOperation = (event) => {
      if (event.op === 'commit') throw denied;
    };
    const { manager, metrics, logger } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBe(denied);
    // Not transient: not tried again.
    expect(world.store.counts.commits).toBe(1);
    expect(world.provider.calls).toBe(1);
    // The provider's answer is lost: every call must be accounted for (I1).
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshed)).toBe(0);
    const line = logger.calls.find((call) => call.message === 'token refresh failed');
    expect(line?.level).toBe('error');
    expect(line?.attributes).toMatchObject({ outcome: 'commit-failed', error: 'TokenStoreError' });
    // No back-off: the provider did nothing wrong.
    expect(world.store.get(TOKEN_TYPE)?.retryAfter).toBeUndefined();
  });
});

describe('step 5: commit tried again within the lease', () => {
  it('tries a commit that failed transiently again, and commits the one provider answer', async () => {
    let failed = 0;
    world.store.beforeOperation = (event) => {
      if (event.op === 'commit' && failed++ === 0) throw commitError('ECONNRESET', true);
    };
    const { manager, metrics, logger, sleeps } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token).toMatchObject({ value: 'access-token-secret-1', version: 1 });
    expect(world.store.counts.commits).toBe(2);
    expect(world.provider.calls).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshed)).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(0);
    expect(sleeps).toEqual([100]);
    const line = logger.calls.find(
      (call) => call.message === 'token commit failed; trying again before the deadline',
    );
    expect(line?.level).toBe('warn');
    expect(line?.attributes).toMatchObject({ error: 'ECONNRESET', attempt: 1, pauseMs: 100 });
  });

  it('takes a commit that applied, though its answer was lost, as committed: one generation, no lease lost', async () => {
    let lost = 0;
    world.store.afterOperation = (event) => {
      if (event.op === 'commit' && lost++ === 0) throw commitError('ECONNRESET', true);
    };
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token).toMatchObject({ value: 'access-token-secret-1', version: 1 });
    expect(world.store.applied.commits).toBe(1);
    expect(world.store.get(TOKEN_TYPE)?.version).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshed)).toBe(1);
    expect(metrics.count(MetricName.LeaseLost)).toBe(0);
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(0);
  });

  it("goes on past the lease (the commit stays fenced) and starts no attempt after the caller's cutoff", async () => {
    const leaseMs = 2_000;
    const deadline = START + 4_000; // cutoff START + 3_500 with the default deadlineMarginMs
    const attemptsAt: number[] = [];
    const timeouts: (number | undefined)[] = [];
    world.store.beforeOperation = (event) => {
      if (event.op !== 'commit') return;
      attemptsAt.push(world.time.now());
      timeouts.push((event.request as { timeoutMs?: number }).timeoutMs);
      throw commitError('ProvisionedThroughputExceededException', true);
    };
    const { manager, metrics, sleeps } = world.container({ leaseMs });

    const error = await rejectionOf(world.time.run(manager.getToken({ deadline })));

    expect((error as TokenStoreError).code).toBe('ProvisionedThroughputExceededException');
    // 100, 200, 400, 800, 1000 ms: the next pause, 1 s, would end at the cutoff.
    expect(sleeps).toEqual([100, 200, 400, 800, 1_000]);
    expect(attemptsAt).toEqual([0, 100, 300, 700, 1_500, 2_500].map((ms) => START + ms));
    // Each attempt is abandoned at the cutoff: a DynamoDB that never answers cannot hold the caller.
    expect(timeouts).toEqual([3_500, 3_400, 3_200, 2_800, 2_000, 1_000]);
    expect(world.provider.calls).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(1);
  });

  it('answers a claim that applied, though its answer was lost, as granted when it is repeated', async () => {
    const request = { seenVersion: undefined, owner: 'a:1', leaseExpiresAt: START + 5_000, now: START };
    world.store.afterOperation = () => {
      throw commitError('ECONNRESET', true);
    };
    await rejectionOf(world.store.claim(TOKEN_TYPE, request));
    world.store.afterOperation = undefined;

    const repeated = await world.store.claim(TOKEN_TYPE, request);
    const other = await world.store.claim(TOKEN_TYPE, { ...request, owner: 'b:1' });

    expect(repeated.claimed).toBe(true);
    expect(other.claimed).toBe(false);
  });
});

describe('step 5: provider answer', () => {
  it('refuses a token that lives no longer than skewMs, and commits nothing', async () => {
    world.provider.answerNext(() => ({
      accessToken: 'access-token-secret-short',
      expiresAt: START + SKEW_MS,
    }));
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(world.store.counts.commits).toBe(0);
    expect(world.store.get(TOKEN_TYPE)?.accessToken).toBeUndefined();
    expect(world.store.get(TOKEN_TYPE)?.updating).toBe(false);
  });

  it('accepts a token that lives a whole second longer than skewMs', async () => {
    world.provider.answerNext(() => ({
      accessToken: 'access-token-secret-ok',
      expiresAt: START + SKEW_MS + 1_001,
    }));
    const { manager } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-ok');
    expect(token.expiresAt).toBe(START + SKEW_MS + 1_000);
  });

  it('refuses a token that is stale once its expiry is rounded down to the stored second', async () => {
    // 30.5 s passes the check in ms, but the item keeps whole seconds: 30 s, stale for every reader.
    world.provider.answerNext(() => ({
      accessToken: 'access-token-secret-short',
      expiresAt: START + SKEW_MS + 500,
    }));
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(world.store.counts.commits).toBe(0);
  });

  it('refuses an answer without an access token', async () => {
    world.provider.answerNext(() => ({ accessToken: '', expiresAt: START + HOUR_MS }));
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(world.store.counts.commits).toBe(0);
  });

  it('refuses an expiry that is not a finite number', async () => {
    world.provider.answerNext(() => ({ accessToken: 'access-token-secret-x', expiresAt: Number.NaN }));
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(world.store.counts.commits).toBe(0);
  });
});

describe('I5: undecryptable tokens count as missing', () => {
  it('refreshes a tampered ciphertext and counts DecryptFailed, never returning the garbage', async () => {
    await world.seedToken({
      value: 'access-token-secret-seed',
      expiresAtSeconds: START / 1000 + 3_600,
      version: 4,
    });
    const item = world.store.get(TOKEN_TYPE);
    const bytes = Buffer.from(item?.accessToken ?? '', 'base64');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0x01;
    world.store.put({ ...item, tokenType: TOKEN_TYPE, accessToken: bytes.toString('base64') });
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-1');
    expect(token.version).toBe(5);
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
    expect(world.provider.calls).toBe(1);
  });

  it("refreshes an item copied from another tokenType's item", async () => {
    await world.seedToken({
      value: 'access-token-secret-webex',
      expiresAtSeconds: START / 1000 + 3_600,
      version: 2,
      tokenType: 'webex',
    });
    world.store.put({ ...world.store.get('webex'), tokenType: TOKEN_TYPE, updating: false, version: 2 });
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-1');
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
  });

  it('refreshes a token written under a salt this container does not have', async () => {
    const foreign = new SaltCipher({ salts: ['y'.repeat(32)] });
    world.store.put({
      tokenType: TOKEN_TYPE,
      accessToken: await foreign.encrypt('access-token-secret-foreign', TOKEN_TYPE),
      expiresAt: START / 1000 + 3_600,
      updating: false,
      version: 9,
    });
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-1');
    expect(token.version).toBe(10);
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
  });

  it('counts DecryptFailed once per stored generation, however often a waiting container reads it', async () => {
    const foreign = new SaltCipher({ salts: ['y'.repeat(32)] });
    world.store.put({
      tokenType: TOKEN_TYPE,
      accessToken: await foreign.encrypt('access-token-secret-foreign', TOKEN_TYPE),
      expiresAt: START / 1000 + 3_600,
      updating: true,
      lockOwner: 'other-container:1',
      lockExpiresAt: START + 2_000,
      version: 4,
    });
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(world.store.counts.reads).toBeGreaterThanOrEqual(5);
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
    expect(token.version).toBe(5);
  });

  it('refreshes a plaintext token left by the seed in an item without a version', async () => {
    world.store.put({
      tokenType: TOKEN_TYPE,
      accessToken: 'legacy-plaintext-token',
      expiresAt: START / 1000 + 3_600,
    });
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-1');
    expect(token.version).toBe(1);
    expect(world.store.get(TOKEN_TYPE)?.version).toBe(1);
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
  });

  it('does not accept the refresh-token ciphertext as an access token', async () => {
    world.provider.rotateRefreshTokens = true;
    await world.time.run(world.container().manager.getToken());
    const item = world.store.get(TOKEN_TYPE);
    world.store.put({ ...item, tokenType: TOKEN_TYPE, accessToken: item?.refreshToken });
    const { manager, metrics } = world.container();

    const token = await world.time.run(manager.getToken());

    expect(token.value).toBe('access-token-secret-2');
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
  });
});

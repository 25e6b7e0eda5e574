import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { MetricName, TokenRefreshError, TokenStoreError } from 'lambda-shared-token';
import { refreshTokenContext } from '../../layer/lease/lease-holder.js';
import {
  HOUR_MS,
  RecordingLogger,
  RecordingMetrics,
  rejectionOf,
  SALT,
  START,
  TOKEN_TYPE,
  World,
} from './token-manager-harness.js';

let world: World;

beforeEach(() => {
  world = new World();
  world.provider.rotateRefreshTokens = true;
});

describe('refresh token', () => {
  it('stores the refresh token encrypted for its own context, never as plaintext', async () => {
    await world.time.run(world.container().manager.getToken());

    const item = world.store.get(TOKEN_TYPE);

    expect(item?.refreshToken).toEqual(expect.any(String));
    expect(JSON.stringify(item)).not.toContain('refresh-token-secret');
    expect(JSON.stringify(item)).not.toContain('access-token-secret');
    expect(await world.cipher.decrypt(item?.refreshToken ?? '', refreshTokenContext(TOKEN_TYPE))).toBe(
      'refresh-token-secret-1',
    );
  });

  it('asks the first provider call without a refresh token and passes the stored one on the next refresh', async () => {
    const { manager } = world.container();
    await world.time.run(manager.getToken());
    world.time.advance(HOUR_MS);

    await world.time.run(manager.getToken());

    expect(world.provider.requests.map((request) => request.refreshToken)).toEqual([
      undefined,
      'refresh-token-secret-1',
    ]);
  });

  it('replaces the stored refresh token with the rotated one', async () => {
    const { manager } = world.container();
    await world.time.run(manager.getToken());
    world.time.advance(HOUR_MS);
    await world.time.run(manager.getToken());
    world.time.advance(HOUR_MS);

    await world.time.run(manager.getToken());

    expect(world.provider.requests[2]?.refreshToken).toBe('refresh-token-secret-2');
    const stored = world.store.get(TOKEN_TYPE)?.refreshToken ?? '';
    expect(await world.cipher.decrypt(stored, refreshTokenContext(TOKEN_TYPE))).toBe(
      'refresh-token-secret-3',
    );
  });

  it('keeps the stored refresh token when an answer carries none', async () => {
    const { manager } = world.container();
    await world.time.run(manager.getToken());
    world.provider.rotateRefreshTokens = false;
    world.time.advance(HOUR_MS);
    await world.time.run(manager.getToken());
    world.time.advance(HOUR_MS);

    await world.time.run(manager.getToken());

    expect(world.provider.requests[2]?.refreshToken).toBe('refresh-token-secret-1');
  });

  it('tells the provider the stored refresh token does not decrypt, and counts DecryptFailed', async () => {
    const { manager, metrics } = world.container();
    await world.time.run(manager.getToken());
    const item = world.store.get(TOKEN_TYPE);
    world.store.put({ ...item, tokenType: TOKEN_TYPE, refreshToken: item?.accessToken });
    world.time.advance(HOUR_MS);

    const token = await world.time.run(manager.getToken());

    expect(token.version).toBe(2);
    expect(world.provider.requests[1]?.refreshToken).toBeUndefined();
    expect(world.provider.requests[1]?.refreshTokenUndecryptable).toBe(true);
    expect(world.provider.requests[0]?.refreshTokenUndecryptable).toBeUndefined();
    expect(metrics.count(MetricName.DecryptFailed)).toBe(1);
  });
});

describe('I4: nothing secret in logs, metrics or errors', () => {
  /** Every plaintext that must never appear: issued tokens, refresh tokens, the salt, a credential. */
  const SECRET = /access-token-secret|refresh-token-secret|client-secret-value|x{16}/;

  it('keeps token values, refresh tokens, credentials and the salt out of every logger call and metric', async () => {
    const logger = new RecordingLogger();
    const metrics = new RecordingMetrics();
    const container = () => world.container({ logger, metrics, failureBackoffMs: 1 });
    const a = container();
    const b = container();
    // Refresh, refresh ahead, rejection.
    const first = await world.time.run(a.manager.getToken());
    await world.time.run(b.manager.getToken());
    world.time.advance(first.expiresAt - 100_000 - START);
    await world.time.run(a.manager.getToken());
    const current = await world.time.run(a.manager.refreshRejected(first.version + 1));
    // A failure whose message and cause carry a credential.
    const leaky = new Error('invalid_client: client_secret=client-secret-value', {
      cause: new Error('client-secret-value'),
    });
    world.provider.failNext(leaky);
    // Past the bound on rejection-driven refreshes (current replaced a rejected token).
    world.time.advance(10_000);
    const failure = await rejectionOf(world.time.run(b.manager.refreshRejected(current)));
    // A failed refresh ahead, a release that fails, an undecryptable item.
    world.time.advance(HOUR_MS - 200_000);
    world.provider.failNext(leaky);
    world.store.beforeOperation = (event) => {
      if (event.op === 'release')
        throw new TokenStoreError('DynamoDB release failed: ThrottlingException', TOKEN_TYPE);
    };
    await world.time.run(a.manager.getToken());
    world.store.beforeOperation = undefined;
    const item = world.store.get(TOKEN_TYPE);
    world.store.put({
      ...item,
      tokenType: TOKEN_TYPE,
      updating: false,
      lockOwner: undefined,
      lockExpiresAt: undefined,
      accessToken: item?.refreshToken,
    });
    world.time.advance(20_000);
    await world.time.run(container().manager.getToken());
    // A take-over and a lost lease.
    world.time.advance(HOUR_MS);
    const hold = world.provider.holdNext();
    const slow = container().manager.getToken();
    await hold.started;
    await world.time.run(container().manager.getToken());
    hold.release();
    await world.time.run(slow);

    const levels = new Set(logger.calls.map((call) => call.level));
    expect([...levels].sort()).toEqual(['error', 'info', 'warn']);
    expect(logger.calls.length).toBeGreaterThanOrEqual(8);
    expect(logger.text()).not.toMatch(SECRET);
    expect(logger.text()).not.toContain(SALT);
    expect(JSON.stringify(metrics.points)).not.toMatch(SECRET);
    expect((failure as TokenRefreshError).message).not.toMatch(SECRET);
    expect(metrics.count(MetricName.LeaseLost)).toBe(1);
    expect(metrics.count(MetricName.LockTakeover)).toBe(1);
    expect(metrics.count(MetricName.DecryptFailed)).toBeGreaterThanOrEqual(1);
  });

  it('keeps the access token out of every rendering of a token it hands out', async () => {
    const token = await world.time.run(world.container().manager.getToken());

    const renderings = [JSON.stringify(token), String(token), inspect(token), JSON.stringify({ token })];

    expect(token.value).toBe('access-token-secret-1');
    for (const rendering of renderings) expect(rendering).not.toMatch(SECRET);
  });

  it('keeps the credential of a failed provider call out of the error message', async () => {
    world.provider.failNext(new Error('client_secret=client-secret-value'));
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(String(error)).not.toMatch(SECRET);
  });
});

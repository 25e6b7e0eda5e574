/**
 * A refresh token the provider rotated is never lost silently. When the holder cannot
 * store it (the commit failed for good, or its lease was taken over), the item keeps the old one,
 * which the next holder sends: a metric an alarm watches, and one error line saying what to do.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { MetricName, TokenStoreError } from 'lambda-shared-token';
import { ROTATED_REFRESH_TOKEN_LOST_MESSAGE } from '../../layer/lease/lease-holder.js';
import { HOUR_MS, rejectionOf, START, TOKEN_TYPE, World } from './token-manager-harness.js';

const SECRET = /refresh-token-secret|access-token-secret/;

let world: World;

beforeEach(() => {
  world = new World();
  world.provider.rotateRefreshTokens = true;
});

const deniedCommit = () =>
  new TokenStoreError('DynamoDB UpdateItem (commit) failed: AccessDeniedException', TOKEN_TYPE, {
    code: 'AccessDeniedException',
  });

/** A first generation committed (its refresh token stored), then the hour passed: the next refresh rotates it. */
async function secondRefreshDue(): Promise<void> {
  await world.time.run(world.container().manager.getToken());
  world.time.advance(HOUR_MS);
}

describe('a rotated refresh token that cannot be stored', () => {
  it('is counted and logged at error level when the commit fails for good', async () => {
    await secondRefreshDue();
    world.store.beforeOperation = (event) => {
      if (event.op === 'commit') throw deniedCommit();
    };
    const { manager, metrics, logger } = world.container();

    await rejectionOf(world.time.run(manager.getToken()));

    expect(world.provider.requests[1]?.refreshToken).toBe('refresh-token-secret-1');
    expect(metrics.count(MetricName.RotatedRefreshTokenLost)).toBe(1);
    const line = logger.calls.find((call) => call.message === ROTATED_REFRESH_TOKEN_LOST_MESSAGE);
    expect(line?.level).toBe('error');
    expect(line?.attributes).toMatchObject({ tokenType: TOKEN_TYPE, outcome: 'commit-failed' });
    expect(String(line?.attributes?.action)).toContain('put a new refresh token in the secret');
    expect(logger.text()).not.toMatch(SECRET);
  });

  it('is counted and logged when the lease was taken over before the commit', async () => {
    await secondRefreshDue();
    const hold = world.provider.holdNext();
    const slow = world.container();
    const pending = slow.manager.getToken();
    await hold.started;
    // The holder hangs past its lease (10 s); another container takes over and commits.
    world.time.advance(10_001);
    await world.time.run(world.container().manager.getToken());
    hold.release();
    await world.time.run(pending);

    expect(slow.metrics.count(MetricName.LeaseLost)).toBe(1);
    expect(slow.metrics.count(MetricName.RotatedRefreshTokenLost)).toBe(1);
    expect(
      slow.logger.calls.find((call) => call.message === ROTATED_REFRESH_TOKEN_LOST_MESSAGE)?.attributes,
    ).toMatchObject({ outcome: 'lease-lost' });
    expect(slow.logger.text()).not.toMatch(SECRET);
  });

  it('is not reported when the provider did not rotate it (it answered the one it was sent)', async () => {
    await secondRefreshDue();
    world.provider.answerNext((request) => ({
      accessToken: 'access-token-secret-x',
      expiresAt: world.time.now() + HOUR_MS,
      ...(request.refreshToken !== undefined && { refreshToken: request.refreshToken }),
    }));
    world.store.beforeOperation = (event) => {
      if (event.op === 'commit') throw deniedCommit();
    };
    const { manager, metrics } = world.container();

    await rejectionOf(world.time.run(manager.getToken()));

    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(1);
    expect(metrics.count(MetricName.RotatedRefreshTokenLost)).toBe(0);
  });

  it('keeps trying a transient commit failure past the lease until the cutoff, and stores the rotated token', async () => {
    await secondRefreshDue();
    let failures = 0;
    world.store.beforeOperation = (event) => {
      // DynamoDB unavailable for 3 s, longer than the 2-s lease.
      if (event.op === 'commit' && world.time.now() < START + HOUR_MS + 3_000) {
        failures++;
        throw new TokenStoreError('DynamoDB UpdateItem (commit) failed: ServiceUnavailable', TOKEN_TYPE, {
          code: 'ServiceUnavailable',
          transient: true,
        });
      }
    };
    const { manager, metrics } = world.container({ leaseMs: 2_000 });

    const token = await world.time.run(manager.getToken({ deadline: START + HOUR_MS + 10_000 }));

    expect(failures).toBeGreaterThan(1);
    expect(token.version).toBe(2);
    expect(metrics.count(MetricName.RotatedRefreshTokenLost)).toBe(0);
    const item = world.store.get(TOKEN_TYPE);
    expect(await world.cipher.decrypt(item?.refreshToken ?? '', `${TOKEN_TYPE}\u0000refreshToken`)).toBe(
      'refresh-token-secret-2',
    );
  });
});

/**
 * The fleet-wide bound on rejection-driven refreshes (step 7, `rejectionRefreshIntervalMs`,
 * default 10 s): a version that itself replaced a rejected token moments ago is not refreshed
 * again, whoever rejects it; a revocation of a token refreshed for expiry always is.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { isSharedTokenError, MetricName, type RejectionRefreshLimitedError } from 'lambda-shared-token';
import { rejectionOf, TOKEN_TYPE, World } from './token-manager-harness.js';

const DEFAULT_INTERVAL_MS = 10_000;

let world: World;

beforeEach(() => {
  world = new World();
});

describe('the bound on rejection-driven refreshes, on default options', () => {
  it('refreshes a revocation of a token just committed for its cold start: exactly one provider call', async () => {
    const { manager } = world.container();
    const first = await world.time.run(manager.getToken());

    const second = await world.time.run(manager.refreshRejected(first));

    expect(second.version).toBe(2);
    expect(world.provider.calls).toBe(2);
    expect(world.store.get(TOKEN_TYPE)?.rejectedVersion).toBe(1);
  });

  it('surfaces a rejection of a version that replaced a rejected token moments ago, without a provider call', async () => {
    const a = world.container();
    const b = world.container();
    const first = await world.time.run(a.manager.getToken());
    const second = await world.time.run(a.manager.refreshRejected(first));
    world.time.advance(DEFAULT_INTERVAL_MS - 1_000);

    const error = await rejectionOf(world.time.run(b.manager.refreshRejected(second)));

    expect(isSharedTokenError(error, 'RejectionRefreshLimitedError')).toBe(true);
    expect((error as RejectionRefreshLimitedError).version).toBe(2);
    expect(world.provider.calls).toBe(2);
    expect(b.metrics.count(MetricName.RejectionRefreshLimited)).toBe(1);
    expect(b.logger.calls.some((call) => call.attributes?.outcome === 'limited')).toBe(true);
  });

  it('keeps serving the version it would not refresh, from memory, in the container that rejected it', async () => {
    const { manager, metrics } = world.container();
    const first = await world.time.run(manager.getToken());
    const second = await world.time.run(manager.refreshRejected(first));
    await rejectionOf(world.time.run(manager.refreshRejected(second)));
    const readsBefore = world.store.counts.reads;

    const next = await world.time.run(manager.getToken());

    expect(next.version).toBe(2);
    expect(world.store.counts.reads).toBe(readsBefore);
    expect(metrics.count(MetricName.RejectionRefreshLimited)).toBe(1);
  });

  it('refreshes a rejection of that version once the interval has passed', async () => {
    const { manager } = world.container();
    const first = await world.time.run(manager.getToken());
    const second = await world.time.run(manager.refreshRejected(first));
    world.time.advance(DEFAULT_INTERVAL_MS);

    const third = await world.time.run(manager.refreshRejected(second));

    expect(third.version).toBe(3);
    expect(world.provider.calls).toBe(3);
  });

  it('makes at most 2 provider calls for 30 rejections of the newest token across 3 containers in 3 s', async () => {
    const containers = [world.container(), world.container(), world.container()];
    for (const { manager } of containers) await world.time.run(manager.getToken());

    for (let request = 0; request < 30; request++) {
      const { manager } = containers[request % containers.length]!;
      const token = await world.time.run(manager.getToken());
      await world.time.run(manager.refreshRejected(token)).catch(() => undefined);
      world.time.advance(100);
    }

    expect(world.provider.calls).toBe(2);
    expect(world.store.get(TOKEN_TYPE)?.version).toBe(2);
  });

  it('clears rejectedVersion when the next generation replaces an expired token', async () => {
    const { manager } = world.container();
    const first = await world.time.run(manager.getToken());
    const second = await world.time.run(manager.refreshRejected(first));
    world.time.advance(second.expiresAt - world.time.now());

    const third = await world.time.run(manager.getToken());

    expect(third.version).toBe(3);
    expect(world.store.get(TOKEN_TYPE)?.rejectedVersion).toBeUndefined();
  });

  it('lifts the bound for a version whose retry succeeded: its revocation is refreshed at once', async () => {
    const a = world.container();
    const b = world.container();
    const first = await world.time.run(a.manager.getToken());
    const second = await world.time.run(a.manager.refreshRejected(first));

    await world.time.run(a.manager.confirmRejectionRefresh(second));
    const third = await world.time.run(b.manager.refreshRejected(second));

    expect(third.version).toBe(3);
    expect(world.provider.calls).toBe(3);
    expect(world.store.counts.confirms).toBe(1);
  });

  it('confirms only a generation this container committed: another container confirms nothing', async () => {
    const a = world.container();
    const b = world.container();
    const first = await world.time.run(a.manager.getToken());
    await world.time.run(b.manager.getToken());
    const second = await world.time.run(a.manager.refreshRejected(first));
    const secondInB = await world.time.run(b.manager.refreshRejected(first));

    await world.time.run(b.manager.confirmRejectionRefresh(secondInB));
    const error = await rejectionOf(world.time.run(b.manager.refreshRejected(second)));

    expect(isSharedTokenError(error, 'RejectionRefreshLimitedError')).toBe(true);
    expect(world.store.counts.confirms).toBe(0);
  });

  it('is off with rejectionRefreshIntervalMs 0: every rejection of the newest version refreshes', async () => {
    const { manager } = world.container({ rejectionRefreshIntervalMs: 0 });
    const first = await world.time.run(manager.getToken());
    const second = await world.time.run(manager.refreshRejected(first));

    const third = await world.time.run(manager.refreshRejected(second));

    expect(third.version).toBe(3);
  });
});

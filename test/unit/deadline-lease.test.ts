/**
 * A caller with little time left must not poison the fleet. It claims no lease that
 * cannot cover the provider's own timeout and the commit; and a refresh its own deadline cuts
 * short is not a provider failure (no back-off, no `failures`). All on the virtual clock.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  isSharedTokenError,
  type LockWaitTimeoutError,
  MetricName,
  type TokenRefreshError,
} from 'lambda-shared-token';
import { rejectionOf, START, TOKEN_TYPE, World } from './token-manager-harness.js';

const START_SECONDS = START / 1000;

let world: World;

beforeEach(() => {
  world = new World();
});

/** The next provider call takes `ms` of virtual time, then fails as an aborted fetch does. */
function providerHangsFor(ms: number): void {
  const { sleep } = world.time.sleeper();
  world.provider.answerNext(async () => {
    await sleep(ms);
    throw new DOMException('This operation was aborted', 'TimeoutError');
  });
}

describe('no lease that cannot cover the provider', () => {
  it("does not claim when the time left is shorter than the provider's timeout plus 1 s for the commit", async () => {
    world.provider.timeoutMs = 5_000;
    const { manager, logger } = world.container();

    // 3 s left, 2.5 s once deadlineMarginMs (500 ms) is kept: a refresh needs 6 s.
    const error = await rejectionOf(world.time.run(manager.getToken({ deadline: START + 3_000 })));

    expect(isSharedTokenError(error, 'LockWaitTimeoutError')).toBe(true);
    expect((error as LockWaitTimeoutError).reason).toBe('too-little-time');
    expect((error as LockWaitTimeoutError).neededMs).toBe(6_000);
    expect((error as Error).message).toContain('needs 6000 ms');
    expect((error as Error).message).toContain('2500 ms');
    expect(world.store.counts.claims).toBe(0);
    expect(world.provider.calls).toBe(0);
    expect(logger.calls.find((call) => call.message.startsWith('not refreshing'))?.attributes).toMatchObject({
      neededMs: 6_000,
      leftMs: 2_500,
    });
  });

  it('claims once the time left covers the provider and the commit, with a lease cut to that time', async () => {
    world.provider.timeoutMs = 5_000;
    const { manager } = world.container();
    let leaseEnd: number | undefined;
    world.store.beforeOperation = (event) => {
      if (event.op === 'claim') leaseEnd = (event.request as { leaseExpiresAt: number }).leaseExpiresAt;
    };

    const token = await world.time.run(manager.getToken({ deadline: START + 6_500 }));

    expect(token.version).toBe(1);
    expect(leaseEnd).toBe(START + 6_000);
  });

  it('needs no more than the configured lease when leaseMs is shorter than the provider timeout', async () => {
    world.provider.timeoutMs = 5_000;
    const { manager } = world.container({ leaseMs: 2_000 });

    const token = await world.time.run(manager.getToken({ deadline: START + 2_500 }));

    expect(token.version).toBe(1);
    expect(world.provider.calls).toBe(1);
  });

  it('needs the whole configured lease for a provider that declares no timeout', async () => {
    world.provider.timeoutMs = undefined;
    const { manager } = world.container({ leaseMs: 4_000 });

    const error = await rejectionOf(world.time.run(manager.getToken({ deadline: START + 4_499 })));

    expect((error as LockWaitTimeoutError).reason).toBe('too-little-time');
    expect((error as LockWaitTimeoutError).neededMs).toBe(4_000);
    expect(world.provider.calls).toBe(0);
  });

  it('a rejection with 900 ms left does not claim; a container with 10 s left refreshes at once, no back-off', async () => {
    world.provider.timeoutMs = 1_000;
    await world.seedToken({ value: 'token-v1-secret', expiresAtSeconds: START_SECONDS + 3_600, version: 1 });
    const short = world.container();
    const long = world.container();

    const error = await rejectionOf(
      world.time.run(short.manager.refreshRejected(1, { deadline: START + 900 })),
    );
    const token = await world.time.run(long.manager.refreshRejected(1, { deadline: START + 10_000 }));

    expect((error as LockWaitTimeoutError).reason).toBe('too-little-time');
    expect(token.version).toBe(2);
    expect(world.provider.calls).toBe(1);
    const item = world.store.get(TOKEN_TYPE);
    expect(item?.failures).toBeUndefined();
    expect(item?.retryAfter).toBeUndefined();
  });

  it('leaves refresh-ahead to a caller with more time, and serves the still-valid token meanwhile', async () => {
    world.provider.timeoutMs = 5_000;
    const { manager } = world.container();
    await world.time.run(manager.getToken({ deadline: START + 20_000 })); // v1, an hour-long token
    world.time.advance(3_600_000 - 250_000); // inside its refresh-ahead window (the last 5 minutes)
    const claimsBefore = world.store.counts.claims;

    const served = await world.time.run(manager.getToken({ deadline: world.time.now() + 3_000 }));

    expect(served.version).toBe(1);
    expect(world.store.counts.claims).toBe(claimsBefore);
  });

  it('refreshes ahead for a caller with time enough (the twin of the test above)', async () => {
    world.provider.timeoutMs = 5_000;
    const { manager } = world.container();
    await world.time.run(manager.getToken({ deadline: START + 20_000 }));
    world.time.advance(3_600_000 - 250_000);

    const served = await world.time.run(manager.getToken({ deadline: world.time.now() + 6_500 }));

    expect(served.version).toBe(2);
  });

  it("defers the scheduled refresher as no-time-left when it cannot cover the provider's timeout", async () => {
    world.provider.timeoutMs = 5_000;
    const { manager } = world.container();

    const outcome = await world.time.run(manager.refreshIfDue({ deadline: START + 4_000 }));

    expect(outcome).toMatchObject({ outcome: 'deferred', reason: 'no-time-left' });
    expect(world.provider.calls).toBe(0);
  });
});

describe("a refresh cut short by the caller's deadline is not a provider failure", () => {
  it('releases the lease without a back-off, counts RefreshCutShort, and throws the deadline error', async () => {
    world.provider.timeoutMs = 1_000;
    // 3 s left: the lease is cut to 2.5 s, 2 s of it for the provider. The call outlasts that
    // (the claim itself was slow, or the machine is busy): the holder's own budget aborts it.
    providerHangsFor(2_100);
    const { manager, metrics } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken({ deadline: START + 3_000 })));

    expect(isSharedTokenError(error, 'LockWaitTimeoutError')).toBe(true);
    expect((error as LockWaitTimeoutError).reason).toBe('refresh-cut-short');
    const item = world.store.get(TOKEN_TYPE);
    expect(item?.updating).toBe(false);
    expect(item?.lockOwner).toBeUndefined();
    expect(item?.retryAfter).toBeUndefined();
    expect(item?.failures).toBeUndefined();
    expect(metrics.count(MetricName.RefreshCutShort)).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(0);

    // The next container does not back off: it asks the provider at once.
    const token = await world.time.run(
      world.container().manager.getToken({ deadline: world.time.now() + 10_000 }),
    );
    expect(token.version).toBe(1);
    expect(world.provider.calls).toBe(2);
  });

  it('still books a provider that outlasts a full, uncut lease as a failure with the shared back-off', async () => {
    world.provider.timeoutMs = 1_000;
    providerHangsFor(2_100);
    const { manager, metrics } = world.container({ leaseMs: 2_500 });

    const error = await rejectionOf(world.time.run(manager.getToken({ deadline: START + 30_000 })));

    expect(isSharedTokenError(error, 'TokenRefreshError')).toBe(true);
    expect((error as TokenRefreshError).retryAfter).toBe(START + 2_100 + 1_000);
    expect(world.store.get(TOKEN_TYPE)?.failures).toBe(1);
    expect(metrics.count(MetricName.TokenRefreshFailed)).toBe(1);
    expect(metrics.count(MetricName.RefreshCutShort)).toBe(0);
  });

  it("books the provider's own failure inside a cut lease as a provider failure", async () => {
    world.provider.timeoutMs = 1_000;
    world.provider.failNext(new Error('connection reset'));
    const { manager } = world.container();

    const error = await rejectionOf(world.time.run(manager.getToken({ deadline: START + 3_000 })));

    expect(isSharedTokenError(error, 'TokenRefreshError')).toBe(true);
    expect(world.store.get(TOKEN_TYPE)?.failures).toBe(1);
  });
});

describe('every store call of a refresh is bounded', () => {
  it("releases the lease within the caller's cutoff", async () => {
    world.provider.failNext(new Error('connection reset'));
    const released: (number | undefined)[] = [];
    world.store.beforeOperation = (event) => {
      if (event.op === 'release') released.push((event.request as { timeoutMs?: number }).timeoutMs);
    };
    const { manager } = world.container();

    await rejectionOf(world.time.run(manager.getToken({ deadline: START + 10_000 })));

    // Until the caller's cutoff (deadline less deadlineMarginMs), not without a bound.
    expect(released).toEqual([9_500]);
  });
});

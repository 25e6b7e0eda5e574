/**
 * Waiters that wake when the commit is due: the item's refresh duration, the poll schedule built
 * on it, and a waiter driven by it on the injectable clock. The schedule's speed
 * is measured in `make bench` (the waiters section); here only what it must never do: wait past
 * a dead lease (I2), poll in one instant, or read faster at the cap than without it.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { MetricName } from 'lambda-shared-token';
import { pollDelay } from '../../layer/lease/lease-timing.js';
import {
  expectedCommit,
  MIN_COMMIT_SPREAD_MS,
  nextRefreshDuration,
} from '../../layer/lease/refresh-duration.js';
import type { TokenRecord } from '../../layer/store/token-record.js';
import { type Container, START, TOKEN_TYPE, World } from './token-manager-harness.js';

const POLL = { pollInitialMs: 50, pollMaxMs: 1_000 };
const LEASE_MS = 10_000;

/** An item whose lease was claimed at START, after refreshes that took `refreshMs` ± `deviationMs`. */
function leasedItem(refreshMs: number, deviationMs: number): TokenRecord {
  return {
    tokenType: TOKEN_TYPE,
    version: 4,
    updating: true,
    lockOwner: 'holder:1',
    lockClaimedAt: START,
    lockExpiresAt: START + LEASE_MS,
    refreshMs,
    refreshDeviationMs: deviationMs,
  };
}

const delayAt = (record: TokenRecord, now: number, random: () => number, attempt = 0) =>
  pollDelay({ ...POLL, random }, attempt, record, now, START + 60_000);

describe('the refresh duration the item keeps', () => {
  it('takes a first sample as it is, with a tenth of it as deviation', () => {
    expect(nextRefreshDuration({}, 1_500)).toEqual({ refreshMs: 1_500, refreshDeviationMs: 150 });
  });

  it('moves a quarter of the way to each new sample, the deviation too (RFC 6298)', () => {
    const next = nextRefreshDuration({ refreshMs: 1_500, refreshDeviationMs: 150 }, 1_700);
    // 1500 + (1700 - 1500) / 4; 150 + (|200| - 150) / 4 = 162.5, rounded.
    expect(next).toEqual({ refreshMs: 1_550, refreshDeviationMs: 163 });
  });

  it('narrows to the floor for a provider that never varies', () => {
    let duration = nextRefreshDuration({}, 800);
    for (let i = 0; i < 30; i++) duration = nextRefreshDuration(duration ?? {}, 800);
    expect(duration?.refreshMs).toBe(800);
    // Whole milliseconds: the deviation settles at a rounding's width, under the spread's floor.
    expect(duration?.refreshDeviationMs).toBeLessThanOrEqual(2);
    const expected = expectedCommit({ ...leasedItem(800, 0), ...duration });
    expect(expected).toEqual({ at: START + 800, spreadMs: MIN_COMMIT_SPREAD_MS });
  });

  it('keeps the last figures, as a plain pair, when the clock stepped back between claim and commit', () => {
    const record = leasedItem(900, 40);
    expect(nextRefreshDuration(record, -5)).toEqual({ refreshMs: 900, refreshDeviationMs: 40 });
    expect(nextRefreshDuration({}, Number.NaN)).toBeUndefined();
  });

  it('expects no commit from an item without a claim time or without a duration', () => {
    expect(expectedCommit({ ...leasedItem(900, 40), lockClaimedAt: undefined })).toBeUndefined();
    expect(expectedCommit({ ...leasedItem(900, 40), refreshMs: undefined })).toBeUndefined();
    expect(expectedCommit(leasedItem(900, 40))).toEqual({ at: START + 900, spreadMs: 80 });
  });
});

describe('pollDelay with an expected commit', () => {
  const item = leasedItem(1_500, 50); // due at START + 1500, spread 100 ms

  it('sleeps until the window around the expected commit, the wake spread across it by jitter', () => {
    const wakes = [0, 0.25, 0.5, 0.75, 0.999].map((r) => START + 100 + delayAt(item, START + 100, () => r));
    expect(wakes[0]).toBe(START + 1_450);
    expect(wakes[2]).toBe(START + 1_500);
    expect(wakes[4]).toBeCloseTo(START + 1_549.9, 5);
    expect(wakes).toEqual([...wakes].sort((a, b) => a - b));
  });

  it('polls every spread / 2 to spread inside the window', () => {
    expect(delayAt(item, START + 1_520, () => 0)).toBe(50);
    expect(delayAt(item, START + 1_520, () => 1)).toBe(100);
  });

  it('past the window, backs off with the time past it, from pollInitialMs up to pollMaxMs', () => {
    const closes = START + 1_600;
    const bases = [1, 100, 400, 5_000].map((late) => delayAt(item, closes + late, () => 1));
    expect(bases).toEqual([50, 100, 400, 1_000]);
    // Equal jitter: never under half the base, so the cap's read rate is the schedule's without a window.
    expect(delayAt(item, closes + 5_000, () => 0)).toBe(500);
  });

  it('never sleeps past the lease end plus 1 ms (I2), nor past the cutoff', () => {
    const shortLease = { ...item, lockExpiresAt: START + 1_000 };
    expect(delayAt(shortLease, START + 100, () => 0.5)).toBe(901);
    expect(pollDelay({ ...POLL, random: () => 0.5 }, 0, item, START + 100, START + 700)).toBe(600);
  });

  it('falls back to doubling from pollInitialMs when the item expects nothing', () => {
    const blind = { ...item, refreshMs: undefined };
    expect([0, 1, 2, 5, 9].map((attempt) => delayAt(blind, START, () => 1, attempt))).toEqual([
      50, 100, 200, 1_000, 1_000,
    ]);
  });
});

describe('a waiter on the injectable clock', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });

  /** A refresh by `holder` that the provider answers `ms` after the claim; resolves with its token. */
  async function refreshTaking(holder: Container, ms: number, rejected?: number) {
    const hold = world.provider.holdNext();
    const pending =
      rejected === undefined ? holder.manager.getToken() : holder.manager.refreshRejected(rejected);
    await world.time.run(hold.started);
    const claimedAt = world.time.now();
    world.time.at(claimedAt + ms, () => hold.release());
    return { pending, claimedAt };
  }

  it('records the time from the claim granted to the commit in the item at each commit', async () => {
    const holder = world.container();
    const first = await refreshTaking(holder, 1_500);
    await world.time.run(first.pending);
    expect(world.store.get(TOKEN_TYPE)).toMatchObject({ refreshMs: 1_500, refreshDeviationMs: 150 });
    expect(world.store.get(TOKEN_TYPE)?.lockClaimedAt).toBeUndefined();

    const second = await refreshTaking(holder, 1_700, 1);
    expect(world.store.get(TOKEN_TYPE)?.lockClaimedAt).toBe(second.claimedAt);
    await world.time.run(second.pending);
    expect(world.store.get(TOKEN_TYPE)).toMatchObject({ refreshMs: 1_550, refreshDeviationMs: 163 });
  });

  it('sleeps until the expected commit and has the token with one poll', async () => {
    const holder = world.container();
    const first = await refreshTaking(holder, 1_500);
    const v1 = await world.time.run(first.pending);
    const waiter = world.container({ random: () => 0.75 });
    await world.time.run(waiter.manager.getToken());
    const readsBefore = waiter.metrics.count(MetricName.TokenStoreRead);

    const refresh = await refreshTaking(holder, 1_500, v1.version);
    const token = await world.time.run(waiter.manager.refreshRejected(v1.version));

    expect(token.version).toBe(2);
    // Due at claim + 1500, spread 2 x 150: a wake drawn 3/4 across [1350, 1650] after the claim.
    expect(waiter.wokeAt).toEqual([refresh.claimedAt + 1_575]);
    // The rejection's read, then the one poll that finds the token.
    expect(waiter.metrics.count(MetricName.TokenStoreRead) - readsBefore).toBe(2);
    expect(waiter.metrics.values(MetricName.LockWaitMs)).toEqual([1_575]);
    expect(world.provider.calls).toBe(2);
  });

  it('still takes over 1 ms after the lease of a holder that never commits (I2), reading no faster than the cap', async () => {
    const holder = world.container();
    const first = await refreshTaking(holder, 1_500);
    const v1 = await world.time.run(first.pending);
    const crashed = world.container();
    const hold = world.provider.holdNext();
    void crashed.manager.refreshRejected(v1.version);
    await world.time.run(hold.started);
    const lockExpiresAt = world.store.get(TOKEN_TYPE)?.lockExpiresAt ?? 0;
    const waiter = world.container({ random: () => 0.999 });

    const token = await world.time.run(waiter.manager.refreshRejected(v1.version));

    expect(token.version).toBe(2);
    expect(waiter.wokeAt.at(-1)).toBe(lockExpiresAt + 1);
    expect(waiter.metrics.count(MetricName.LockTakeover)).toBe(1);
    // After the first wake, no delay above the cap, and the capped ones at least half of it.
    const afterWake = waiter.sleeps.slice(1, -1);
    expect(Math.max(...afterWake)).toBeLessThanOrEqual(POLL.pollMaxMs);
    expect(afterWake.filter((ms) => ms >= 999).length).toBeGreaterThan(0);
    expect(world.provider.calls).toBe(3);
  });
});

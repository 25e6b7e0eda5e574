/**
 * The bench's model of waiters (scripts/bench/expected-commit-model.ts) plays the layer's own
 * pollDelay. Checked here against the exact expectation of the doubling schedule (stats.ts), and
 * for what the expected commit must buy: fewer reads and less delay for a steady provider.
 */
import { describe, expect, it } from '@jest/globals';
import {
  fleetReadsWithHistory,
  playWaiter,
  playWaiters,
  seededRandom,
} from '../../scripts/bench/expected-commit-model.js';
import { modelFleetReads, modelWaiter, shippedPollSchedule } from '../../scripts/bench/stats.js';

const SCHEDULE = shippedPollSchedule();

describe('the waiter model', () => {
  it('draws the same numbers from the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const drawn = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(drawn);
    expect(drawn.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('reads once when the token is already committed', () => {
    expect(playWaiter(SCHEDULE, undefined, 2_000, 1_500, seededRandom(1))).toEqual([2_000]);
  });

  it('without history plays the doubling schedule: its reads match the exact expectation within 3 %', () => {
    for (const refreshMs of [150, 1_500, 5_000]) {
      const played = playWaiters(SCHEDULE, { refreshMs, noise: 0 }, false, 4_000);
      const exact = modelWaiter(SCHEDULE, refreshMs);
      expect(Math.abs(played.reads - exact.reads) / exact.reads).toBeLessThan(0.03);
    }
  });

  it('with a steady provider wakes at the commit: under 3 reads and under 30 ms of delay on average', () => {
    for (const refreshMs of [150, 1_500, 5_000]) {
      const played = playWaiters(SCHEDULE, { refreshMs, noise: 0 }, true);
      expect(played.reads).toBeLessThanOrEqual(3);
      expect(played.delayMean).toBeLessThan(30);
      expect(played.delayMean).toBeLessThan(modelWaiter(SCHEDULE, refreshMs).delayMean);
    }
  });

  it('gives 10,000 waiters arriving at once a busier second no worse than the doubling schedule’s', () => {
    const informed = fleetReadsWithHistory(SCHEDULE, { refreshMs: 1_000, noise: 0.2 }, 10_000, 0, true);
    const blind = modelFleetReads({
      ...SCHEDULE,
      containers: 10_000,
      arrivalSpreadMs: 0,
      refreshMs: 1_000,
      bucketMs: 100,
      horizonMs: 5_000,
    });
    expect(informed.readsPerContainer).toBeLessThan(3);
    expect(informed.busiestSecondReads).toBeLessThan(blind.busiestSecondReads);
  });
});

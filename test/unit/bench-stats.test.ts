import { describe, expect, it } from '@jest/globals';
import { seededRandom } from '../../scripts/bench/expected-commit-model.js';
import {
  cappedReadsPerSecond,
  countPerBucket,
  expectedClaimWrites,
  logSpaced,
  modelFleetReads,
  modelWaiter,
  peakRatePerSecond,
  spread,
  waiterReadDensity,
} from '../../scripts/bench/stats.js';

const EPOCH = 1_767_225_600_000; // 2026-01-01T00:00:00Z, in ms: the times the bench records are epoch ms.

/** One waiter played out the way TokenManager.pollDelay schedules it: reads until one follows the commit. */
function sampleWaiter(
  random: () => number,
  pollInitialMs: number,
  pollMaxMs: number,
  windowMs: number,
): { reads: number; delay: number } {
  let at = 0;
  let reads = 1;
  for (let poll = 0; at <= windowMs; poll++) {
    const base = Math.min(pollMaxMs, pollInitialMs * 2 ** poll);
    at += base / 2 + (random() * base) / 2;
    reads++;
  }
  return { reads, delay: at - windowMs };
}

describe('spread', () => {
  it('gives nearest-rank p50 and p99 with min, max and mean', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 down to 1, unsorted on purpose

    expect(spread(values)).toEqual({ count: 100, min: 1, p50: 50, p99: 99, max: 100, mean: 50.5 });
  });

  it('gives zeros for no values', () => {
    expect(spread([])).toEqual({ count: 0, min: 0, p50: 0, p99: 0, max: 0, mean: 0 });
  });
});

describe('countPerBucket', () => {
  it('counts epoch-ms times per slice from the origin, with empty slices as zeros and earlier times dropped', () => {
    const times = [EPOCH - 1, EPOCH, EPOCH + 999, EPOCH + 2_500, EPOCH + 2_999];

    expect(countPerBucket(times, EPOCH, 1_000)).toEqual([2, 0, 2]);
  });

  it('refuses a slice of zero width', () => {
    expect(() => countPerBucket([EPOCH], EPOCH, 0)).toThrow(RangeError);
  });
});

describe('peakRatePerSecond', () => {
  it('finds a burst that straddles two fixed slices', () => {
    // 6 calls within 100 ms around EPOCH + 1000: fixed 1 s slices would split them 3 and 3.
    const burst = [950, 960, 970, 1_010, 1_020, 1_040].map((ms) => EPOCH + ms);
    const times = [EPOCH, ...burst, EPOCH + 5_000];

    expect(peakRatePerSecond(times, 100)).toBe(60);
    expect(peakRatePerSecond(times, 1_000)).toBe(6); // fixed slices: 4 and 3
  });

  it('gives 0 for no calls', () => {
    expect(peakRatePerSecond([], 1_000)).toBe(0);
  });
});

describe('waiterReadDensity', () => {
  it('makes exactly one read after the commit, whatever the schedule', () => {
    const windowMs = 1_234;
    const density = waiterReadDensity({ pollInitialMs: 50, pollMaxMs: 1_000 }, windowMs, windowMs + 1_001);
    const after = density.slice(windowMs + 1).reduce((sum, p) => sum + p, 0);

    expect(after).toBeCloseTo(1, 9);
  });
});

describe('modelWaiter', () => {
  it('polls once more when the commit follows the first read at once, after one delay of the first interval', () => {
    // Fixed 100 ms polls: the delay is uniform on 50..100 ms.
    const waiter = modelWaiter({ pollInitialMs: 100, pollMaxMs: 100 }, 0);

    expect(waiter.reads).toBeCloseTo(2, 9);
    expect(waiter.delayMean).toBeCloseTo(75, 6);
    expect(waiter.delayP50).toBe(75);
  });

  it('never leaves the token waiting longer than the cap', () => {
    for (const windowMs of [0, 40, 333, 1_500, 4_000]) {
      const waiter = modelWaiter({ pollInitialMs: 50, pollMaxMs: 1_000 }, windowMs);
      expect(waiter.delayP99).toBeLessThanOrEqual(1_000);
      expect(waiter.delayP50).toBeGreaterThan(0);
    }
  });

  it('agrees with the schedule played out 20,000 times', () => {
    const random = seededRandom(42);
    const trials = Array.from({ length: 20_000 }, () => sampleWaiter(random, 50, 1_000, 1_500));
    const sampledReads = trials.reduce((sum, t) => sum + t.reads, 0) / trials.length;
    const sampledDelay = trials.reduce((sum, t) => sum + t.delay, 0) / trials.length;

    const waiter = modelWaiter({ pollInitialMs: 50, pollMaxMs: 1_000 }, 1_500);

    expect(Math.abs(waiter.reads - sampledReads) / sampledReads).toBeLessThan(0.01);
    expect(Math.abs(waiter.delayMean - sampledDelay) / sampledDelay).toBeLessThan(0.02);
  });

  it('refuses a cap below the first delay', () => {
    expect(() => modelWaiter({ pollInitialMs: 100, pollMaxMs: 50 }, 0)).toThrow(RangeError);
  });
});

describe('modelFleetReads', () => {
  it('counts one read per container when the token is there before anybody arrives', () => {
    const fleet = modelFleetReads({
      containers: 1_000,
      arrivalSpreadMs: 1_000,
      refreshMs: 0,
      pollInitialMs: 50,
      pollMaxMs: 1_000,
      bucketMs: 100,
      horizonMs: 2_000,
    });

    expect(fleet.totalReads).toBeCloseTo(1_000, 6);
    expect(fleet.readsPerBucket.slice(0, 10).every((reads) => Math.abs(reads - 100) < 1e-6)).toBe(true);
    expect(fleet.peakReadsPerSecond).toBeCloseTo(1_000, 6);
    expect(fleet.busiestSecondReads).toBeCloseTo(1_000, 6);
  });

  it('settles at one read per three quarters of the cap per waiter while a slow refresh lasts', () => {
    const fleet = modelFleetReads({
      containers: 10_000,
      arrivalSpreadMs: 0,
      refreshMs: 30_000,
      pollInitialMs: 50,
      pollMaxMs: 1_000,
      bucketMs: 1_000,
      horizonMs: 30_000,
    });
    const steady = fleet.readsPerBucket.slice(15, 29);

    for (const perSecond of steady) {
      expect(
        Math.abs(perSecond - 10_000 * cappedReadsPerSecond({ pollInitialMs: 50, pollMaxMs: 1_000 })),
      ).toBeLessThan(0.02 * 13_333);
    }
  });

  it('puts every first read of a fleet arriving at once in the first slice', () => {
    const fleet = modelFleetReads({
      containers: 500,
      arrivalSpreadMs: 0,
      refreshMs: 1_000,
      pollInitialMs: 50,
      pollMaxMs: 1_000,
      bucketMs: 10,
      horizonMs: 3_000,
    });

    // The first read at 0 and no poll before 25 ms.
    expect(fleet.readsPerBucket[0]).toBeCloseTo(500, 6);
    // Reads at 0, 37, 112, 262 and 562 ms on average: five in the first second, and a sliding second holds no more.
    expect(fleet.busiestSecondReads).toBeGreaterThan(5 * 500 * 0.95);
    expect(fleet.busiestSecondReads).toBeLessThanOrEqual(fleet.totalReads);
    expect(fleet.readsPerBucket[1]).toBeCloseTo(0, 9);
    expect(fleet.readsPerContainer).toBeCloseTo(
      modelWaiter({ pollInitialMs: 50, pollMaxMs: 1_000 }, 1_000).reads,
      6,
    );
  });
});

describe('expectedClaimWrites', () => {
  it('has every container claim when they all arrive inside the claim window', () => {
    expect(expectedClaimWrites(10_000, 0, 10)).toBe(10_000);
    expect(expectedClaimWrites(10_000, 10, 10)).toBe(10_000);
  });

  it('has only the arrivals of the claim window claim when arrivals are spread wider', () => {
    expect(expectedClaimWrites(10_000, 1_000, 10)).toBe(100);
    expect(expectedClaimWrites(10, 100_000, 10)).toBe(1);
  });
});

describe('logSpaced', () => {
  it('spaces values by a constant ratio and includes both ends', () => {
    const values = logSpaced(100, 10_000, 3);

    expect(values[0]).toBeCloseTo(100, 9);
    expect(values[1]).toBeCloseTo(1_000, 9);
    expect(values[2]).toBeCloseTo(10_000, 9);
  });
});

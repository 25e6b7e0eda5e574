/** The simulator's rule for the library's timing options: defaults unless a flag or the token's life says otherwise. */
import { describe, expect, it } from '@jest/globals';
import {
  containerTiming,
  effectiveTiming,
  LIBRARY_TIMING_DEFAULTS,
  TIMING_OPTION_NAMES,
  timingForTokenLife,
} from '../../scripts/simulator/timing-options.js';

describe('LIBRARY_TIMING_DEFAULTS', () => {
  it("is what the library resolves, the rejection interval's included", () => {
    expect(LIBRARY_TIMING_DEFAULTS).toEqual({
      skewMs: 30_000,
      refreshAheadMs: 300_000,
      leaseMs: 10_000,
      pollInitialMs: 50,
      pollMaxMs: 1_000,
      failureBackoffMs: 1_000,
      rejectionRefreshIntervalMs: 10_000,
    });
    expect(Object.keys(LIBRARY_TIMING_DEFAULTS)).toEqual([...TIMING_OPTION_NAMES]);
  });
});

describe('timingForTokenLife', () => {
  it('changes nothing for tokens of 2 minutes and more', () => {
    for (const ttl of [120, 300, 3600, 7200]) expect(timingForTokenLife(ttl)).toEqual({});
  });

  it('replaces the skew, the lease and the rejection interval of 8-s tokens (the demo)', () => {
    expect(timingForTokenLife(8)).toEqual({ skewMs: 800, leaseMs: 2_000, rejectionRefreshIntervalMs: 2_000 });
  });

  it('replaces each default once it is longer than a quarter of the life', () => {
    expect(timingForTokenLife(119)).toEqual({ skewMs: 11_900 });
    expect(timingForTokenLife(40)).toEqual({ skewMs: 4_000 });
    expect(timingForTokenLife(39)).toEqual({
      skewMs: 3_900,
      leaseMs: 9_750,
      rejectionRefreshIntervalMs: 9_750,
    });
    expect(timingForTokenLife(4)).toEqual({ skewMs: 400, leaseMs: 1_000, rejectionRefreshIntervalMs: 1_000 });
    expect(timingForTokenLife(1)).toEqual({
      skewMs: 100,
      leaseMs: 250,
      rejectionRefreshIntervalMs: 250,
      failureBackoffMs: 100,
    });
  });

  it('never touches refresh-ahead (the library bounds it) nor the polls', () => {
    for (let ttl = 1; ttl <= 300; ttl++) {
      const options = timingForTokenLife(ttl);
      expect(options).not.toHaveProperty('refreshAheadMs');
      expect(options).not.toHaveProperty('pollInitialMs');
      expect(options).not.toHaveProperty('pollMaxMs');
    }
  });

  it('leaves every token fresh on arrival and refresh-ahead a lease that fits', () => {
    for (let ttl = 1; ttl <= 300; ttl++) {
      const ttlMs = ttl * 1000;
      const timing = effectiveTiming(timingForTokenLife(ttl));
      // The library refuses a token that lives no longer than the skew ("stale on arrival").
      expect(timing.skewMs).toBeLessThan(ttlMs);
      // Refresh-ahead opens at half the life at the latest; a claim must outlive its lease.
      expect(timing.skewMs + timing.leaseMs).toBeLessThan(ttlMs / 2);
      expect(timing.rejectionRefreshIntervalMs).toBeLessThanOrEqual(ttlMs / 4);
      expect(timing.failureBackoffMs).toBeLessThanOrEqual(ttlMs / 4);
    }
  });
});

describe('containerTiming', () => {
  it('passes nothing on long tokens when nothing is set', () => {
    expect(containerTiming({}, 300)).toEqual({ options: {}, reasons: {} });
  });

  it("passes the caller's options as they are, and says why each option is there", () => {
    expect(containerTiming({ leaseMs: 1_500, pollMaxMs: 250 }, 8)).toEqual({
      options: { skewMs: 800, leaseMs: 1_500, rejectionRefreshIntervalMs: 2_000, pollMaxMs: 250 },
      reasons: {
        skewMs: 'token-life',
        leaseMs: 'caller',
        rejectionRefreshIntervalMs: 'token-life',
        pollMaxMs: 'caller',
      },
    });
    expect(containerTiming({ skewMs: 0 }, 300)).toEqual({
      options: { skewMs: 0 },
      reasons: { skewMs: 'caller' },
    });
  });

  it('ignores options that are not timing options, and unset ones', () => {
    const set = { containers: 3, leaseMs: undefined } as Parameters<typeof containerTiming>[0];
    expect(containerTiming(set, 300)).toEqual({ options: {}, reasons: {} });
  });
});

describe('effectiveTiming', () => {
  it('is the library defaults under what was passed', () => {
    expect(effectiveTiming({ skewMs: 800 })).toEqual({ ...LIBRARY_TIMING_DEFAULTS, skewMs: 800 });
  });
});

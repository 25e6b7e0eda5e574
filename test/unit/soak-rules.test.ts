import { describe, expect, it } from '@jest/globals';
import type { SimulationReport } from '../../scripts/simulator/simulation.js';
import {
  checkGapExplained,
  checkSample,
  type GapSample,
  type GapState,
  initialGapState,
  STALL_MS,
  stallReason,
} from '../../scripts/soak/invariant-rules.js';
import { type ContainerMemory, judgeMemory, MAX_GROWTH_MIB } from '../../scripts/soak/memory-rules.js';
import { judgeSoak } from '../../scripts/soak/verdict.js';

const EPOCH_MS = 1_795_000_000_000; // 2026-11-19, in ms: samples carry epoch ms.
const MIB = 2 ** 20;

/** Feeds the samples in order; returns the final state and every violation. */
function run(samples: Omit<GapSample, 'at' | 'done'>[]): { state: GapState; violations: string[] } {
  let state = initialGapState();
  const violations: string[] = [];
  samples.forEach((sample, i) => {
    const checked = checkSample(state, { ...sample, at: EPOCH_MS + i * 1000, done: i * 100 });
    state = checked.state;
    violations.push(...checked.violations);
  });
  return { state, violations };
}

describe('per-sample invariants', () => {
  it('accepts a run where every token is committed, one in flight at a time', () => {
    const { state, violations } = run([
      { issuedBefore: 0, issuedAfter: 1, generations: 0 }, // one refresh in flight
      { issuedBefore: 5, issuedAfter: 5, generations: 5 },
      { issuedBefore: 9, issuedAfter: 10, generations: 9 },
      { issuedBefore: 12, issuedAfter: 12, generations: 12 },
    ]);
    expect(violations).toEqual([]);
    expect(state.maxGapLow).toBe(0);
  });

  it('accepts a gap that grows with wasted refreshes and shrinks by the one commit in flight', () => {
    const { violations } = run([
      { issuedBefore: 4, issuedAfter: 4, generations: 2 }, // one wasted, one in flight
      { issuedBefore: 7, issuedAfter: 7, generations: 6 }, // the in-flight one committed: gap 2 -> 1
    ]);
    expect(violations).toEqual([]);
  });

  it('R1: fails a generation committed without an issued token', () => {
    const { violations } = run([{ issuedBefore: 3, issuedAfter: 3, generations: 4 }]);
    expect(violations).toEqual([expect.stringContaining('(R1)')]);
  });

  it('R2: fails a version that goes back', () => {
    const { violations } = run([
      { issuedBefore: 6, issuedAfter: 6, generations: 6 },
      { issuedBefore: 7, issuedAfter: 7, generations: 5 },
    ]);
    expect(violations).toEqual(expect.arrayContaining([expect.stringContaining('(R2, I3)')]));
  });

  it('R3: fails a gap that shrinks by two, even when the totals balance at the end', () => {
    const { violations } = run([
      { issuedBefore: 5, issuedAfter: 5, generations: 3 }, // gap 2: one wasted + one in flight at most
      { issuedBefore: 8, issuedAfter: 8, generations: 8 }, // gap 0: two of the old tokens committed
    ]);
    expect(violations).toEqual([expect.stringContaining('(R3)')]);
  });

  it('R3: judges against the largest earlier gap, not only the previous sample', () => {
    const { violations } = run([
      { issuedBefore: 10, issuedAfter: 10, generations: 7 }, // gap 3
      { issuedBefore: 11, issuedAfter: 11, generations: 9 }, // gap 2: allowed (-1)
      { issuedBefore: 12, issuedAfter: 12, generations: 11 }, // gap 1: two below the largest
    ]);
    expect(violations).toEqual([expect.stringContaining('fell from 3 to 1')]);
  });

  it('R3 counts tokens issued during the version read on the side that allows more commits', () => {
    // 2 issued before the read, 4 after: two tokens issued while reading may be the ones committed.
    const { violations } = run([
      { issuedBefore: 2, issuedAfter: 2, generations: 0 },
      { issuedBefore: 2, issuedAfter: 4, generations: 3 },
    ]);
    expect(violations).toEqual([]);
  });
});

describe('R4: the largest gap against the failed refreshes reported at the end', () => {
  const { state } = run([
    { issuedBefore: 3, issuedAfter: 3, generations: 3 },
    { issuedBefore: 9, issuedAfter: 9, generations: 5 }, // gap 4
    { issuedBefore: 10, issuedAfter: 10, generations: 7 },
  ]);

  it('passes when failed + lost refreshes + one in flight cover it', () => {
    expect(checkGapExplained(state, 3)).toBeUndefined();
  });

  it('fails when they do not', () => {
    expect(checkGapExplained(state, 2)).toMatch(/reached 4 .* more than the 2 failed or lost refreshes/);
  });
});

describe('stall watch', () => {
  const at = (ms: number, done: number, state = initialGapState()): GapState =>
    checkSample(state, { at: EPOCH_MS + ms, done, issuedBefore: 0, issuedAfter: 0, generations: 0 }).state;

  it('fails a fleet that completed nothing for STALL_MS', () => {
    const state = at(STALL_MS, 40, at(0, 40));
    expect(stallReason(state, EPOCH_MS + STALL_MS, 100)).toMatch(
      /no invocation completed for 30 s \(40\/100 done\)/,
    );
  });

  it('accepts a fleet that moved within STALL_MS, and a finished one', () => {
    const moving = at(STALL_MS, 41, at(1000, 40));
    expect(stallReason(moving, EPOCH_MS + STALL_MS + 1, 100)).toBeUndefined();
    const finished = at(STALL_MS * 2, 100, at(0, 100));
    expect(stallReason(finished, EPOCH_MS + STALL_MS * 2, 100)).toBeUndefined();
  });
});

describe('memory rule', () => {
  const container = (
    index: number,
    mib: Partial<Record<keyof ContainerMemory, number>>,
  ): ContainerMemory => ({
    index,
    firstRssBytes: (mib.firstRssBytes ?? 70) * MIB,
    warmRssBytes: (mib.warmRssBytes ?? 100) * MIB,
    peakRssBytes: (mib.peakRssBytes ?? 110) * MIB,
    midRssBytes: (mib.midRssBytes ?? 104) * MIB,
    lastRssBytes: (mib.lastRssBytes ?? 105) * MIB,
  });

  it('passes flat containers and reports the largest growth', () => {
    const verdict = judgeMemory([container(0, {}), container(1, { lastRssBytes: 110 })]);
    expect(verdict).toEqual({ maxGrowthMiB: 10, maxSecondHalfGrowthMiB: 6, maxGrowthIndex: 1, reasons: [] });
  });

  it('judges from the warm baseline, not the first invocation', () => {
    // 70 -> 105 is warm-up; 100 -> 105 is what counts.
    expect(judgeMemory([container(0, { firstRssBytes: 70, warmRssBytes: 100 })]).reasons).toEqual([]);
  });

  it('fails a container that grew past the bound', () => {
    const verdict = judgeMemory([container(0, {}), container(3, { lastRssBytes: 100 + MAX_GROWTH_MIB + 1 })]);
    expect(verdict.maxGrowthIndex).toBe(3);
    expect(verdict.reasons).toEqual([
      `container 3 grew ${MAX_GROWTH_MIB + 1} MiB (100 -> ${100 + MAX_GROWTH_MIB + 1} MiB), more than ${MAX_GROWTH_MIB} MiB`,
    ]);
    // At the bound exactly, it passes.
    expect(judgeMemory([container(0, { lastRssBytes: 100 + MAX_GROWTH_MIB })]).reasons).toEqual([]);
  });

  it('falls back to the first RSS without a warm sample, and fails a container without RSS', () => {
    const cold = container(0, { warmRssBytes: 0, firstRssBytes: 70, lastRssBytes: 70 + MAX_GROWTH_MIB + 5 });
    expect(judgeMemory([cold]).reasons).toEqual([
      expect.stringContaining(`container 0 grew ${MAX_GROWTH_MIB + 5} MiB`),
    ]);
    expect(judgeMemory([container(1, { lastRssBytes: 0 })]).reasons).toEqual(['container 1 reported no RSS']);
  });
});

describe('end-of-run verdict', () => {
  const report = (overrides: Partial<SimulationReport>): SimulationReport =>
    ({
      invocations: 1000,
      containers: 4,
      succeeded: 990,
      failed: 10,
      killed: 0,
      providerTokenCalls: 50,
      tokensIssued: 50,
      tokenGenerations: 48,
      secretsInOutput: 0,
      errors: { 'SalesforceApiError:INVALID_SESSION_ID': 10 },
      metrics: { TokenRefreshFailed: 2 },
      ...overrides,
    }) as SimulationReport;
  const gap = { state: run([{ issuedBefore: 50, issuedAfter: 50, generations: 48 }]).state, violations: [] };
  const flat = { maxGrowthMiB: 3, maxSecondHalfGrowthMiB: 1, maxGrowthIndex: 0, reasons: [] };

  it('passes a run whose provider calls are all explained', () => {
    expect(judgeSoak(report({}), gap, flat)).toEqual({ pass: true, reasons: [] });
  });

  it('fails a token served that was never committed', () => {
    expect(judgeSoak(report({ uncommittedTokensServed: 2 }), gap, flat).reasons).toEqual([
      '2 token(s) served that were never committed',
    ]);
  });

  it('fails an unexplained provider call (I1), a secret in the output, a sample violation', () => {
    const verdict = judgeSoak(
      report({ providerTokenCalls: 51, tokensIssued: 51, secretsInOutput: 1 }),
      {
        ...gap,
        violations: ['at 3 s: x (R3)'],
      },
      flat,
    );
    expect(verdict.pass).toBe(false);
    expect(verdict.reasons).toEqual(
      expect.arrayContaining([
        '1 provider call(s) beyond one per generation (I1)',
        '1 secret value(s) in the output (I4)',
        'at 3 s: x (R3)',
      ]),
    );
  });

  it('allows TokenRefreshError only after failed refreshes, and never LockWaitTimeoutError', () => {
    const errors = { TokenRefreshError: 30, 'SalesforceApiError:INVALID_SESSION_ID': 5 };
    expect(judgeSoak(report({ errors }), gap, flat).pass).toBe(true);
    const noFailure = report({ errors, metrics: {}, tokenGenerations: 50 });
    const balanced = {
      state: run([{ issuedBefore: 50, issuedAfter: 50, generations: 50 }]).state,
      violations: [],
    };
    expect(judgeSoak(noFailure, balanced, flat).reasons).toEqual([
      'errors outside the allowed set: TokenRefreshError x30',
    ]);
    expect(judgeSoak(report({ errors: { LockWaitTimeoutError: 1 } }), gap, flat).reasons).toEqual([
      'errors outside the allowed set: LockWaitTimeoutError x1',
    ]);
  });

  it('fails more stale-on-arrival invocations than failed refreshes', () => {
    const verdict = judgeSoak(report({ errors: { InvalidProviderResponseError: 3 } }), gap, flat);
    expect(verdict.reasons).toEqual([
      '3 invocations failed with InvalidProviderResponseError, more than the 2 failed refreshes',
    ]);
  });

  it('fails memory that grew', () => {
    const grown = {
      maxGrowthMiB: 70,
      maxSecondHalfGrowthMiB: 40,
      maxGrowthIndex: 2,
      reasons: ['container 2 grew 40 MiB'],
    };
    expect(judgeSoak(report({}), gap, grown).reasons).toEqual(['container 2 grew 40 MiB']);
  });
});

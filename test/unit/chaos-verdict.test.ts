/** The chaos matrix's rules: each one must be able to fail a row, with a reason that names it. */
import { describe, expect, it } from '@jest/globals';
import { atLeast, atMost, exactly, onLibraryDefaults } from '../../scripts/chaos/checks.js';
import { SCENARIOS } from '../../scripts/chaos/scenarios.js';
import { type ChaosRow, chaosSummary, chaosTable } from '../../scripts/chaos/table.js';
import {
  describeRange,
  judge,
  type ScenarioExpectation,
  unexplainedProviderCalls,
} from '../../scripts/chaos/verdict.js';
import type { SimulationReport } from '../../scripts/simulator/simulation.js';
import { TIMING_OPTION_NAMES } from '../../scripts/simulator/timing-options.js';

/** A clean run: 8 containers x 2 invocations, one provider call, one generation. */
function report(overrides: Partial<SimulationReport> = {}): SimulationReport {
  return {
    engine: 'dynamodb-local',
    entry: 'middleware',
    cipher: 'salt',
    tokenTtlSeconds: 3600,
    tunedOptions: {},
    tunedBy: {},
    containers: 8,
    invocations: 16,
    succeeded: 16,
    failed: 0,
    killed: 0,
    providerTokenCalls: 1,
    tokensIssued: 1,
    refreshReplays: 0,
    tokenGenerations: 1,
    dynamoReads: 8,
    dynamoWrites: 2,
    maxWaitMs: 120,
    maxOverheadMs: 300,
    maxPastDeadlineMs: 0,
    overheadMsP50: 0.1,
    overheadMsP99: 200,
    apiCalls: 16,
    apiRejected: 0,
    apiRateLimited: 0,
    secretFetches: 8,
    kmsCalls: 0,
    kmsCallsByOperation: {},
    cacheHits: 8,
    lockTakeovers: 0,
    leaseLost: 0,
    decryptFailed: 0,
    errors: {},
    metrics: { TokenRefreshed: 1 },
    secretsInOutput: 0,
    uncommittedTokensServed: 0,
    maxContainerRssMiB: 80,
    elapsedMs: 3000,
    ...overrides,
  };
}

const noFailures: ScenarioExpectation = { failed: { min: 0, max: 0 }, invocationTimeoutMs: 15_000 };

describe('judge', () => {
  it('passes a clean run', () => {
    expect(judge(report(), noFailures)).toEqual({ pass: true, reasons: [] });
  });

  it('fails a second provider call for one generation (I1)', () => {
    const verdict = judge(report({ providerTokenCalls: 2, tokensIssued: 2 }), noFailures);
    expect(verdict.pass).toBe(false);
    expect(verdict.reasons).toEqual(['1 provider call(s) beyond one per generation (I1)']);
  });

  it('accepts calls a failed refresh, a lost lease or a killed holder accounts for', () => {
    const run = report({
      providerTokenCalls: 4,
      tokenGenerations: 1,
      killed: 1,
      invocations: 16,
      metrics: { TokenRefreshFailed: 1, LeaseLost: 1 },
    });
    expect(unexplainedProviderCalls(run)).toBe(0);
    expect(unexplainedProviderCalls({ ...run, providerTokenCalls: 5 })).toBe(1);
  });

  it('fails a generation committed without an issued token', () => {
    const verdict = judge(report({ tokensIssued: 0 }), noFailures);
    expect(verdict.reasons).toContain('1 generations committed from 0 issued tokens');
  });

  it('fails a token served that was never committed, and a run that could not check it', () => {
    expect(judge(report({ uncommittedTokensServed: 1 }), noFailures).reasons).toEqual([
      '1 token(s) served that were never committed',
    ]);
    const { uncommittedTokensServed: _, ...unchecked } = report();
    expect(judge(unchecked, noFailures).reasons).toEqual(['the run could not check the tokens served']);
  });

  it('fails a secret in the output (I4) and a wait past the deadline (I2)', () => {
    const verdict = judge(report({ secretsInOutput: 2, maxOverheadMs: 15_001 }), noFailures);
    expect(verdict.reasons).toEqual([
      '2 secret value(s) in the output (I4)',
      'an invocation spent 15001 ms getting its token, past its 15000 ms deadline (I2)',
    ]);
  });

  it('fails an invocation that spent time past its own deadline, in a fleet of mixed deadlines (I2)', () => {
    const verdict = judge(report({ maxOverheadMs: 2_100, maxPastDeadlineMs: 100 }), noFailures);
    expect(verdict.reasons).toEqual([
      'an invocation spent 100 ms past its own deadline getting its token (I2)',
    ]);
  });

  it('fails failures outside the expected range, both ways', () => {
    const failedOne = report({ failed: 1, succeeded: 15, errors: { TokenRefreshError: 1 } });
    expect(judge(failedOne, { ...noFailures, errors: /^TokenRefreshError$/ }).reasons).toEqual([
      '1 failed invocations, expected 0',
    ]);
    const all: ScenarioExpectation = { ...noFailures, failed: { min: 'all', max: 'all' } };
    expect(judge(report({ failed: 15 }), all).reasons).toEqual(['15 failed invocations, expected all (16)']);
  });

  it("does not count a killed container's invocations as expected failures", () => {
    const run = report({ killed: 1, failed: 14, succeeded: 0 });
    const all: ScenarioExpectation = { ...noFailures, failed: { min: 'all', max: 'all' } };
    expect(judge(run, all).pass).toBe(true);
  });

  it('fails an error name the scenario does not allow', () => {
    const run = report({ failed: 2, errors: { TokenStoreError: 1, TypeError: 1 } });
    const verdict = judge(run, { ...noFailures, failed: { min: 0, max: 2 }, errors: /^TokenStoreError$/ });
    expect(verdict.reasons).toEqual(['unexpected errors: TypeError']);
  });

  it("runs the scenario's own checks, on report figures and on metric totals", () => {
    const checks = [
      exactly('tokenGenerations', 2),
      atLeast('TokenRefreshFailed', 1),
      atMost('failed', 'apiRateLimited'),
    ];
    const verdict = judge(report({ failed: 0 }), { ...noFailures, checks });
    expect(verdict.reasons).toEqual([
      'tokenGenerations is 1, expected exactly 2',
      'TokenRefreshFailed is 0, expected at least 1',
    ]);
    expect(exactly('failed', 'all')(report({ failed: 16 }))).toBeUndefined();
    expect(atMost('failed', 'apiRateLimited')(report({ failed: 3, apiRateLimited: 2 }))).toBe(
      'failed is 3, expected at most 2 (apiRateLimited)',
    );
  });
});

describe('onLibraryDefaults', () => {
  it('passes a run on the library defaults and names every option that was changed', () => {
    expect(onLibraryDefaults(report())).toBeUndefined();
    const tuned = report({
      tunedOptions: { skewMs: 800, leaseMs: 2_000 },
      tunedBy: { skewMs: 'token-life' },
    });
    expect(onLibraryDefaults(tuned)).toBe(
      "options changed from the library's defaults: skewMs=800, leaseMs=2000",
    );
  });
});

describe('describeRange', () => {
  it('shows a single number, a range, or all', () => {
    expect(describeRange({ min: 0, max: 0 }, 16)).toBe('0');
    expect(describeRange({ min: 0, max: 'all' }, 16)).toBe('0..16');
    expect(describeRange({ min: 'all', max: 'all' }, 16)).toBe('all (16)');
  });
});

describe('chaosTable', () => {
  const row = (name: string, overrides: Partial<ChaosRow> = {}): ChaosRow => ({
    name,
    injected: 'HTTP 500 | once',
    expectedFailed: { min: 0, max: 0 },
    report: report(),
    verdict: { pass: true, reasons: [] },
    elapsedMs: 2_000,
    ...overrides,
  });

  it('has one row per scenario with the figures and the verdict, pipes escaped', () => {
    const table = chaosTable([
      row('provider-500'),
      row('holder-killed', {
        report: undefined,
        verdict: { pass: false, reasons: ['Error: 1 container(s) ended without a result'] },
      }),
    ]).split('\n');
    expect(table).toHaveLength(4);
    expect(table[2]).toBe(
      '| provider-500 | HTTP 500 \\| once | 1 / 1 | 0 / 0 of 16 | 120 | 300 | 0 | PASS |',
    );
    expect(table[3]).toBe(
      '| holder-killed | HTTP 500 \\| once | - | - | - | - | - | FAIL: Error: 1 container(s) ended without a result |',
    );
  });

  it('sums up passes and failures', () => {
    const rows = [row('a'), row('b', { verdict: { pass: false, reasons: ['x'] } })];
    expect(chaosSummary(rows, 61_400)).toBe('2 scenarios, 1 passed, 1 failed in 61 s');
  });
});

describe('the matrix', () => {
  it('has unique names, each with what it injects', () => {
    const names = SCENARIOS.map((scenario) => scenario.name);
    expect(new Set(names).size).toBe(names.length);
    for (const scenario of SCENARIOS) expect(scenario.injected.length).toBeGreaterThan(10);
  });

  it('covers every fault the issue names', () => {
    const names = SCENARIOS.map((scenario) => scenario.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'holder-killed',
        'holder-frozen',
        'provider-500',
        'provider-timeout',
        'provider-slow',
        'provider-invalid-grant',
        'provider-invalid-client',
        'provider-malformed-json',
        'expires-in-0',
        'expires-in-negative',
        'expires-in-absurd',
        'refresh-token-reused',
        'dynamo-throttled',
        'dynamo-connection-resets',
        'dynamo-answers-dropped',
        'dynamo-latency',
        'dynamo-unreachable-warm',
        'dynamo-unreachable-cold',
        'secrets-manager-down-warm',
        'secrets-manager-down-cold',
        'ciphertext-tampered',
        'ciphertext-truncated',
        'ciphertext-swapped',
        'ciphertext-wrong-salt',
        'clock-skew',
        // Hostile timing and input.
        'short-and-long-deadlines',
        'same-owner-id',
        'dynamo-commit-blackholed',
        'kms-stalled',
        'secrets-manager-stalled',
        'provider-huge-answer',
        'provider-slow-drip',
        'deadline-while-waiting',
        'rate-limit-storm',
        'auth-403-storm',
        'provider-down-then-back',
      ]),
    );
  });

  it('runs fleets on 300-s and 120-s tokens with no timing option set, checking one generation', () => {
    for (const name of ['library-defaults-300s', 'library-defaults-120s']) {
      const scenario = SCENARIOS.find((candidate) => candidate.name === name);
      expect(scenario).toBeDefined();
      for (const option of TIMING_OPTION_NAMES) expect(scenario!.options).not.toHaveProperty(option);
      expect(scenario!.expect.checks).toContain(onLibraryDefaults);
      const oneGeneration = report({ tunedOptions: {} });
      for (const check of scenario!.expect.checks ?? []) expect(check(oneGeneration)).toBeUndefined();
    }
  });

  it('runs the plain Middy attachment (.use) through a revocation', () => {
    const scenario = SCENARIOS.find((candidate) => candidate.name === 'auth-403-middy-use');
    expect(scenario?.options).toMatchObject({ entry: 'middy-use', revokeAfterFirstInvocation: true });
  });
});

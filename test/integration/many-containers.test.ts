/**
 * The invariants with many containers: each container is a child process with its own
 * memory, running the Salesforce example handler with its secret from the local Secrets
 * Manager; all share one item in DynamoDB Local (dynalite where there is no Java). Every
 * scenario runs twice: handlers through the Middy middleware, and through the core API.
 */
import { describe, expect, it } from '@jest/globals';
import type { Entry } from '../../scripts/simulator/protocol.js';
import {
  type SimulationOptions,
  runSimulation as simulate,
  runSimulationDetailed as simulateDetailed,
} from '../../scripts/simulator/simulation.js';

// Seconds-long tokens and short leases keep each scenario within seconds.
const FAST = { pollInitialMs: 25, pollMaxMs: 250 } as const;

describe.each<Entry>(['middleware', 'core'])('Many containers sharing one token (%s)', (entry) => {
  const runSimulation = (options: SimulationOptions) => simulate({ ...options, entry });

  it('makes exactly one provider call when 50 cold containers start on an empty table', async () => {
    const report = await runSimulation({ containers: 50, invocations: 2, providerLatencyMs: 200, ...FAST });

    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(100);
    expect(report.providerTokenCalls).toBe(1);
    expect(report.tokenGenerations).toBe(1);
    expect(report.secretsInOutput).toBe(0);
    // Each container fetched the secret once, at its cold start.
    expect(report.secretFetches).toBe(50);
    expect(report.metrics.TokenRefreshed).toBe(1);
  }, 120_000);

  it('makes exactly one provider call when 100 containers reject the same version at once', async () => {
    const report = await runSimulation({
      containers: 100,
      invocations: 2,
      revokeAfterFirstInvocation: true,
      providerLatencyMs: 100,
      ...FAST,
    });

    expect(report.failed).toBe(0);
    // One call for the cold start, one for the whole storm of rejections.
    expect(report.apiRejected).toBe(100);
    expect(report.providerTokenCalls).toBe(2);
    expect(report.tokenGenerations).toBe(2);
    // Each of the 100 refreshed once and ran its handler once more, successfully.
    expect(report.metrics.ProviderRejected).toBe(100);
    expect(report.metrics.RetrySucceeded).toBe(100);
    expect(report.metrics.TokenRefreshed).toBe(2);
  }, 180_000);

  it('delays the others by at most the lease plus one poll when the holder is SIGKILLed mid-refresh', async () => {
    const leaseMs = 1_500;
    const providerLatencyMs = 400;
    const { report, refreshingAt, killedAt } = await simulateDetailed({
      entry,
      containers: 20,
      invocations: 2,
      killHolder: true,
      leaseMs,
      providerLatencyMs,
      ...FAST,
    });

    expect(report.killed).toBe(1);
    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(19 * 2);
    expect(report.lockTakeovers).toBe(1);
    expect(report.tokenGenerations).toBe(1);
    // The killed holder may have cost the one call it made, never more.
    expect(report.providerTokenCalls).toBeLessThanOrEqual(2);
    // I2, measured where it applies: from the kill to a survivor refreshing in its place. The
    // holder's lease began at its claim, just before the kill; the waiters wake at its end.
    expect(refreshingAt).toHaveLength(2);
    expect(refreshingAt[1]! - killedAt!).toBeLessThanOrEqual(leaseMs + FAST.pollMaxMs);
    // And nobody took over early: a waiter waited about the whole lease.
    expect(report.maxWaitMs).toBeGreaterThanOrEqual(leaseMs - providerLatencyMs);
  }, 120_000);

  it('keeps the newer token when a frozen holder resumes after its lease was taken over', async () => {
    const leaseMs = 1_000;
    const report = await runSimulation({
      containers: 10,
      invocations: 2,
      freezeHolderMs: leaseMs * 3,
      leaseMs,
      ...FAST,
    });

    expect(report.failed).toBe(0);
    expect(report.leaseLost).toBe(1);
    expect(report.lockTakeovers).toBe(1);
    // The frozen holder's answer was never committed: one generation, two provider answers.
    expect(report.tokenGenerations).toBe(1);
    expect(report.providerTokenCalls).toBe(2);
  }, 120_000);

  it.each(['tampered', 'swapped', 'wrong-salt'] as const)(
    'refreshes a %s ciphertext in the table and never hands it out',
    async (seed) => {
      const report = await runSimulation({ containers: 10, invocations: 2, seed, ...FAST });

      expect(report.failed).toBe(0);
      expect(report.decryptFailed).toBeGreaterThanOrEqual(1);
      expect(report.providerTokenCalls).toBe(1);
      expect(report.tokenGenerations).toBe(1);
      // A garbage token shown to the data API would have been rejected there.
      expect(report.apiRejected).toBe(0);
    },
    120_000,
  );

  it('lets nobody wait past its deadline when the provider is slower than the invocation', async () => {
    const invocationTimeoutMs = 1_200;
    const report = await runSimulation({
      containers: 10,
      invocations: 1,
      providerLatencyMs: 5_000,
      invocationTimeoutMs,
      ...FAST,
    });

    expect(report.succeeded).toBe(0);
    expect(report.failed).toBe(10);
    expect(Object.keys(report.errors).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/LockWaitTimeoutError|TokenRefreshError/)]),
    );
    for (const name of Object.keys(report.errors))
      expect(name).toMatch(/^(LockWaitTimeoutError|TokenRefreshError)$/);
    expect(report.maxOverheadMs).toBeLessThanOrEqual(invocationTimeoutMs);
  }, 60_000);

  it('serves warm invocations from memory with zero DynamoDB calls', async () => {
    const report = await runSimulation({ containers: 1, invocations: 50 });

    expect(report.failed).toBe(0);
    // The cold invocation: one read, one claim, one commit. The 49 warm ones: nothing.
    expect(report.dynamoReads).toBe(1);
    expect(report.dynamoWrites).toBe(2);
    expect(report.cacheHits).toBe(49);
  }, 60_000);

  it('makes one provider call per generation while tokens expire and get revoked under load', async () => {
    const report = await runSimulation({
      containers: 20,
      invocations: 40,
      tokenTtlSeconds: 2,
      // Longer than the token: every refresh happens after expiry, under the TTL hold.
      leaseMs: 2_000,
      rejectRate: 0.01,
      providerLatencyMs: 50,
      thinkMs: 20,
      ...FAST,
    });

    expect(report.tokenGenerations).toBeGreaterThanOrEqual(2);
    expect(report.providerTokenCalls).toBe(report.tokenGenerations);
    // The Powertools metrics, read from every container's EMF output, agree with the provider.
    expect(report.metrics.TokenRefreshed).toBe(report.providerTokenCalls);
    expect(report.metrics.TokenRefreshFailed ?? 0).toBe(0);
    expect(report.metrics.ProviderRejected).toBe(
      report.apiRejected - (report.errors['SalesforceApiError:INVALID_SESSION_ID'] ?? 0),
    );
    // An invocation fails only when the token it got after its one refresh is revoked too.
    for (const name of Object.keys(report.errors)) expect(name).toBe('SalesforceApiError:INVALID_SESSION_ID');
    expect(report.secretsInOutput).toBe(0);
  }, 120_000);

  it('never refreshes on a rate-limit 403 (REQUEST_LIMIT_EXCEEDED): it surfaces as it is', async () => {
    const report = await runSimulation({ containers: 10, invocations: 10, rateLimitRate: 0.2, ...FAST });

    expect(report.apiRateLimited).toBeGreaterThan(0);
    expect(report.failed).toBe(report.apiRateLimited);
    expect(report.errors).toEqual({ 'SalesforceApiError:REQUEST_LIMIT_EXCEEDED': report.apiRateLimited });
    expect(report.providerTokenCalls).toBe(1);
    expect(report.metrics.ProviderRejected ?? 0).toBe(0);
  }, 120_000);
});

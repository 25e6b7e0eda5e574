/**
 * The scheduled refresher beside the Lambdas, each its own process: 10 simulated containers
 * run the Salesforce example while one more process runs the scheduled refresher (the
 * example's targets through `scheduledRefreshHandler`) every second, all against one
 * DynamoDB Local table, one local Secrets Manager and one local Salesforce. The provider's own
 * counter against the table's version counter proves I1 for the refresher and the Lambdas together.
 */
import { describe, expect, it } from '@jest/globals';
import { runSimulation } from '../../scripts/simulator/simulation.js';

// 20 s tokens, leases of 5 s (a quarter), the containers' window 10 s (a half); 30 invocations
// 750 ms apart outlast one token, so the run needs at least two generations. The refresher's
// window is the containers' plus its 1 s interval.
// Not shorter: the provider call gets 80% of the lease, and on a loaded CI machine the first
// call of a cold process (fetch's own start-up, on 2 CPUs shared by 11 processes and DynamoDB
// Local all starting at once) overran the 1.6 s of 8 s tokens. That is a failed refresh with
// the shared back-off, by design (the chaos rows test it), and not what this test is about.
const SCENARIO = {
  containers: 10,
  invocations: 30,
  tokenTtlSeconds: 20,
  thinkMs: 750,
  providerLatencyMs: 100,
  refresherEveryMs: 1_000,
  pollInitialMs: 25,
  pollMaxMs: 250,
} as const;

describe('The scheduled refresher and the Lambdas together', () => {
  it('make one provider call per token generation, most of them by the refresher', async () => {
    const report = await runSimulation(SCENARIO);
    const refresher = report.refresher!;

    // The error names first: a failure says what failed, not only how many.
    expect(report.errors).toEqual({});
    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(300);
    expect(report.tokenGenerations).toBeGreaterThanOrEqual(2);
    expect(report.providerTokenCalls).toBe(report.tokenGenerations);
    expect(report.metrics.TokenRefreshed).toBe(report.tokenGenerations);
    expect(refresher.errors).toEqual({});
    expect(refresher.failedRuns).toBe(0);
    // Its summaries and its own provider calls agree: every refresh it reported was one call.
    expect(refresher.refreshed).toBe(refresher.providerCalls);
    expect(refresher.providerCalls * 2).toBeGreaterThan(report.tokenGenerations);
    // Between refreshes it found the token outside its window and did not ask the provider.
    expect(refresher.fresh).toBeGreaterThan(0);
    expect(report.secretsInOutput).toBe(0);
  }, 180_000);

  it('still make one provider call per generation when rejections make the Lambdas refresh too', async () => {
    const report = await runSimulation({ ...SCENARIO, rejectRate: 0.03, entry: 'core' });

    expect(report.apiRejected).toBeGreaterThan(0);
    expect(report.providerTokenCalls).toBe(report.tokenGenerations);
    expect(report.refresher!.runs).toBeGreaterThan(0);
    expect(report.secretsInOutput).toBe(0);
  }, 180_000);
});

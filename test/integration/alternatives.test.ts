/**
 * The bench measures this project side by side with what users build instead
 * (scripts/alternatives/): each of them must run on the simulation's stack as it is, or the
 * bench compares against a strategy that fails every invocation for a reason of its own (its
 * secret parser, say), not for the reason the bench shows. Three containers each, one at a time
 * (no race: the races are the bench's), counted, never timed.
 */
import { describe, expect, it } from '@jest/globals';
import type { AlternativeStrategy } from '../../scripts/alternatives/index.js';
import { runSimulation } from '../../scripts/simulator/simulation.js';

describe.each<AlternativeStrategy>(['each-refreshes', 'claim-or-fail', 'process-single-flight'])(
  'the %s alternative on the simulation stack',
  (strategy) => {
    it('reads the secret, gets a token from the provider and serves every invocation', async () => {
      const report = await runSimulation({ strategy, containers: 1, invocations: 3 });

      expect(report.errors).toEqual({});
      expect(report.failed).toBe(0);
      expect(report.succeeded).toBe(3);
      expect(report.providerTokenCalls).toBeGreaterThanOrEqual(1);
    }, 120_000);
  },
);

/**
 * The invariants every simulated run keeps, whatever it injects: judged the same way by the chaos
 * matrix (scripts/chaos) and the soak (scripts/soak), from the simulator's report.
 */
import type { SimulationReport } from './report.js';

/** A run's verdict, chaos row or soak: it passes when no rule gave a reason. */
export interface Verdict {
  pass: boolean;
  /** Why it failed: one short sentence per broken rule, no secret in any. */
  reasons: string[];
}

/** Invocations that ran: a SIGKILLed container's never did. */
export function invocationsRun(report: SimulationReport): number {
  return report.invocations - report.killed * (report.invocations / report.containers);
}

/**
 * Provider calls that committed nothing and are accounted for by the container that made them: a
 * failed refresh (`TokenRefreshFailed`), a lease lost before the commit (`LeaseLost`), or the one
 * call of a holder that was SIGKILLed.
 */
export function providerCallsAccountedFor(report: SimulationReport): number {
  return (report.metrics.TokenRefreshFailed ?? 0) + (report.metrics.LeaseLost ?? 0) + report.killed;
}

/** Provider calls beyond one per generation that nothing accounts for: a second call for one generation (I1). */
export function unexplainedProviderCalls(report: SimulationReport): number {
  return Math.max(0, report.providerTokenCalls - report.tokenGenerations - providerCallsAccountedFor(report));
}

/** Why the run broke an invariant, one short sentence each (no secret in any); empty when it kept them all. */
export function fleetInvariantViolations(report: SimulationReport): string[] {
  const reasons: string[] = [];
  const extra = unexplainedProviderCalls(report);
  if (extra > 0) reasons.push(`${extra} provider call(s) beyond one per generation (I1)`);
  if (report.tokensIssued < report.tokenGenerations) {
    reasons.push(
      `${report.tokenGenerations} generations committed from ${report.tokensIssued} issued tokens`,
    );
  }
  if (report.uncommittedTokensServed !== undefined && report.uncommittedTokensServed > 0) {
    reasons.push(`${report.uncommittedTokensServed} token(s) served that were never committed`);
  }
  if (report.secretsInOutput > 0)
    reasons.push(`${report.secretsInOutput} secret value(s) in the output (I4)`);
  return reasons;
}

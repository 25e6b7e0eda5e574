/**
 * The verdict of one chaos scenario: the invariants every scenario must keep, then what the
 * scenario itself expects. Pure, so the rules are unit-tested apart from the runs.
 */
import type { SimulationReport } from '../simulator/simulation.js';

/** Failed invocations a scenario expects, inclusive bounds; `'all'` is every invocation that ran. */
export interface FailedRange {
  min: number | 'all';
  max: number | 'all';
}

export interface ScenarioExpectation {
  failed: FailedRange;
  /** Every error name of a failed invocation must match (names, and codes after a colon). @default none allowed */
  errors?: RegExp;
  /** Each invocation's deadline: nobody may spend longer getting its token (I2). */
  invocationTimeoutMs: number;
  /** More checks of this scenario; each returns why it failed, or undefined. */
  checks?: ((report: SimulationReport) => string | undefined)[];
}

export interface Verdict {
  pass: boolean;
  /** Why it failed: one short sentence per broken rule, no secret in any. */
  reasons: string[];
}

/** `0`, `3`, `0..8`, `all (24)`: the expected range as the table shows it. */
export function describeRange(range: FailedRange, invocations: number): string {
  const [min, max] = bounds(range, invocations);
  if (min === max) return range.min === 'all' ? `all (${max})` : String(max);
  return `${min}..${max}`;
}

function bounds(range: FailedRange, invocations: number): [number, number] {
  return [range.min === 'all' ? invocations : range.min, range.max === 'all' ? invocations : range.max];
}

/** Invocations that ran: a SIGKILLed container's never did. */
export function invocationsRun(report: SimulationReport): number {
  return report.invocations - report.killed * (report.invocations / report.containers);
}

/**
 * Provider calls a scenario may make beyond one per generation: each call that committed nothing
 * is accounted for by the container that made it (a failed refresh, a lease lost before the
 * commit, or the one call of a holder that was SIGKILLed). Anything else is a second call for
 * one generation (I1).
 */
export function unexplainedProviderCalls(report: SimulationReport): number {
  const explained =
    report.tokenGenerations +
    (report.metrics.TokenRefreshFailed ?? 0) +
    (report.metrics.LeaseLost ?? 0) +
    report.killed;
  return Math.max(0, report.providerTokenCalls - explained);
}

export function judge(report: SimulationReport, expectation: ScenarioExpectation): Verdict {
  const reasons: string[] = [];
  const extra = unexplainedProviderCalls(report);
  if (extra > 0) reasons.push(`${extra} provider call(s) beyond one per generation (I1)`);
  if (report.tokensIssued < report.tokenGenerations) {
    reasons.push(
      `${report.tokenGenerations} generations committed from ${report.tokensIssued} issued tokens`,
    );
  }
  if (report.uncommittedTokensServed === undefined) reasons.push('the run could not check the tokens served');
  else if (report.uncommittedTokensServed > 0) {
    reasons.push(`${report.uncommittedTokensServed} token(s) served that were never committed`);
  }
  if (report.secretsInOutput > 0)
    reasons.push(`${report.secretsInOutput} secret value(s) in the output (I4)`);
  if (report.maxOverheadMs > expectation.invocationTimeoutMs) {
    reasons.push(
      `an invocation spent ${report.maxOverheadMs} ms getting its token, past its ${expectation.invocationTimeoutMs} ms deadline (I2)`,
    );
  }
  const runnable = invocationsRun(report);
  const [min, max] = bounds(expectation.failed, runnable);
  if (report.failed < min || report.failed > max) {
    reasons.push(
      `${report.failed} failed invocations, expected ${describeRange(expectation.failed, runnable)}`,
    );
  }
  const unexpected = Object.keys(report.errors).filter((name) => !expectation.errors?.test(name));
  if (unexpected.length > 0) reasons.push(`unexpected errors: ${unexpected.sort().join(', ')}`);
  for (const check of expectation.checks ?? []) {
    const reason = check(report);
    if (reason !== undefined) reasons.push(reason);
  }
  return { pass: reasons.length === 0, reasons };
}

/**
 * The verdict of one chaos scenario: the invariants every scenario must keep, then what the
 * scenario itself expects. Pure, so the rules are unit-tested apart from the runs.
 */
import { fleetInvariantViolations, invocationsRun, type Verdict } from '../simulator/fleet-invariants.js';
import type { SimulationReport } from '../simulator/simulation.js';
import type { ChaosCheck } from './checks.js';

export { unexplainedProviderCalls } from '../simulator/fleet-invariants.js';

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
  checks?: ChaosCheck[];
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

export function judge(report: SimulationReport, expectation: ScenarioExpectation): Verdict {
  const reasons = fleetInvariantViolations(report);
  // Every scenario runs the local provider: the check of the tokens served must have run
  // (the check decrypts with the salt: a KMS run cannot make it, and says so by its cipher).
  if (report.uncommittedTokensServed === undefined && report.cipher === 'salt')
    reasons.push('the run could not check the tokens served');
  if (report.maxOverheadMs > expectation.invocationTimeoutMs) {
    reasons.push(
      `an invocation spent ${report.maxOverheadMs} ms getting its token, past its ${expectation.invocationTimeoutMs} ms deadline (I2)`,
    );
  }
  if (report.maxPastDeadlineMs > 0) {
    reasons.push(
      `an invocation spent ${report.maxPastDeadlineMs} ms past its own deadline getting its token (I2)`,
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

/**
 * The soak's end-of-run verdict: I1 on the totals (the chaos runner's rule, reused), the samples'
 * invariants, R4 once the failed refreshes are known, the secret scan, the allowed errors, flat memory.
 */
import { unexplainedProviderCalls } from '../chaos/verdict.js';
import type { SimulationReport } from '../simulator/simulation.js';
import { checkGapExplained, type GapState } from './invariant-rules.js';
import type { MemoryVerdict } from './memory-rules.js';

/**
 * The only ways an invocation may fail in the soak, and why each one is legitimate:
 *
 * - `SalesforceApiError:INVALID_SESSION_ID`: the data API revoked the token (rejectRate), the
 *   middleware refreshed once and ran the handler again, and the new token was revoked too (or had
 *   already been revoked by another container's call). The design surfaces the second rejection.
 *
 * Anything else (TokenRefreshError, LockWaitTimeoutError, InvalidProviderResponseError, a crash) fails
 * the soak until it is understood; see RESULTS.md for what the runs showed.
 */
export const ALLOWED_ERRORS: readonly string[] = ['SalesforceApiError:INVALID_SESSION_ID'];

export interface SoakVerdict {
  pass: boolean;
  reasons: string[];
}

export function judgeSoak(
  report: SimulationReport,
  gap: { state: GapState; violations: string[] },
  memory: MemoryVerdict,
  allowedErrors: readonly string[] = ALLOWED_ERRORS,
): SoakVerdict {
  const reasons: string[] = [];
  const extra = unexplainedProviderCalls(report);
  if (extra > 0) reasons.push(`${extra} provider call(s) beyond one per generation (I1)`);
  if (report.tokensIssued < report.tokenGenerations) {
    reasons.push(
      `${report.tokenGenerations} generations committed from ${report.tokensIssued} issued tokens`,
    );
  }
  const shown = gap.violations.slice(0, 5);
  reasons.push(...shown);
  if (gap.violations.length > shown.length) {
    reasons.push(`... and ${gap.violations.length - shown.length} more sample violation(s)`);
  }
  const wasted = (report.metrics.TokenRefreshFailed ?? 0) + (report.metrics.LeaseLost ?? 0) + report.killed;
  const unexplainedGap = checkGapExplained(gap.state, wasted);
  if (unexplainedGap) reasons.push(unexplainedGap);
  if (gap.state.samples === 0) reasons.push('no sample was taken while the containers ran');
  if (report.secretsInOutput > 0)
    reasons.push(`${report.secretsInOutput} secret value(s) in the output (I4)`);
  if (report.succeeded === 0) reasons.push('no invocation succeeded');
  const unexpected = Object.keys(report.errors).filter((name) => !allowedErrors.includes(name));
  if (unexpected.length > 0) {
    reasons.push(
      `errors outside the allowed set: ${unexpected
        .sort()
        .map((name) => `${name} x${report.errors[name]}`)
        .join(', ')}`,
    );
  }
  reasons.push(...memory.reasons);
  return { pass: reasons.length === 0, reasons };
}

/**
 * One line of `doctor`: a check that passed (`ok`), failed (`FAIL`, with the cause and the fix, as
 * a troubleshooting table has them: symptom, cause, fix) or could not run (`skip`, saying what it
 * needs). Nothing in a check's text is a secret value: names of tables, secrets, fields, keys and
 * AWS error names only.
 */

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id for scripts: `table.ttl`, `secret.content`, ... (docs/operations.md). */
  id: string;
  /** What was checked, for the human column. */
  title: string;
  status: CheckStatus;
  /** What was found: the symptom when it failed. */
  summary: string;
  /** Why it is a problem, and what it causes (failures only). */
  cause?: string;
  /** What to do about it (failures only). */
  fix?: string;
}

export function ok(id: string, title: string, summary: string): CheckResult {
  return { id, title, status: 'ok', summary };
}

export function fail(id: string, title: string, summary: string, cause: string, fix: string): CheckResult {
  return { id, title, status: 'fail', summary, cause, fix };
}

export function skip(id: string, title: string, summary: string): CheckResult {
  return { id, title, status: 'skip', summary };
}

/** `doctor` for a human (one line per check, cause and fix under a failure) and for scripts (`--json`). */
import { plural } from '../text-format.js';
import type { CheckResult } from './check.js';

const LABEL = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

export function renderChecks(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.title.length));
  const indent = ' '.repeat(4 + 2 + width + 2);
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${LABEL[result.status]}  ${result.title.padEnd(width)}  ${result.summary}`);
    if (result.cause !== undefined) lines.push(`${indent}cause: ${result.cause}`);
    if (result.fix !== undefined) lines.push(`${indent}fix:   ${result.fix}`);
  }
  lines.push('', verdict(results));
  return `${lines.join('\n')}\n`;
}

/** `{ "ok": false, "checks": [...] }`: the same checks, fields named as in {@link CheckResult}. */
export function checksJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: results.every((result) => result.status !== 'fail'), checks: results }, null, 2)}\n`;
}

function verdict(results: readonly CheckResult[]): string {
  const failed = results.filter((result) => result.status === 'fail').length;
  const skipped = results.filter((result) => result.status === 'skip').length;
  const ran = results.length - skipped;
  const skips = skipped === 0 ? '' : ` (${skipped} skipped)`;
  return failed === 0
    ? `All ${plural(ran, 'check')} passed${skips}.`
    : `${failed} of ${plural(ran, 'check')} failed${skips}.`;
}

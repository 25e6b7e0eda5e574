/** The chaos run as a Markdown table: one row per scenario, the figures that decide its verdict. */

import { invocationsRun, type Verdict } from '../simulator/fleet-invariants.js';
import type { SimulationReport } from '../simulator/simulation.js';
import { describeRange, type FailedRange } from './verdict.js';

export interface ChaosRow {
  name: string;
  injected: string;
  expectedFailed: FailedRange;
  /** Undefined when the run itself broke (a deadlock, a crash): the verdict says why. */
  report: SimulationReport | undefined;
  verdict: Verdict;
  elapsedMs: number;
}

const HEADER = [
  'scenario',
  'injected',
  'provider calls / generations',
  'failed (expected / actual)',
  'longest wait ms',
  'longest token ms',
  'secrets in output',
  'verdict',
];

/** `|` would end a cell early. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

export function chaosTable(rows: readonly ChaosRow[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const { report } = row;
    const figures = report
      ? [
          `${report.providerTokenCalls} / ${report.tokenGenerations}`,
          `${describeRange(row.expectedFailed, invocationsRun(report))} / ${report.failed} of ${invocationsRun(report)}`,
          String(report.maxWaitMs),
          // Time an invocation spent getting its token, failed ones included: within its deadline (I2).
          String(report.maxOverheadMs),
          String(report.secretsInOutput),
        ]
      : ['-', '-', '-', '-', '-'];
    const verdict = row.verdict.pass ? 'PASS' : `FAIL: ${row.verdict.reasons.join('; ')}`;
    lines.push(`| ${[row.name, row.injected, ...figures, verdict].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** `24 scenarios, 24 passed, 0 failed in 143 s`. */
export function chaosSummary(rows: readonly ChaosRow[], elapsedMs: number): string {
  const passed = rows.filter((row) => row.verdict.pass).length;
  return `${rows.length} scenarios, ${passed} passed, ${rows.length - passed} failed in ${Math.round(elapsedMs / 1000)} s`;
}

/** What every benchmark section hands back: tables for the Markdown, figures for the JSON. */

export interface BenchContext {
  /** `make bench QUICK=1`: fewer containers and iterations, the whole run in at most 90 s. */
  quick: boolean;
  /** Progress for the person watching (stderr); never part of the results. */
  log(line: string): void;
}

export interface Table {
  columns: string[];
  rows: (string | number)[][];
}

export interface BenchSection {
  /** Stable key in the JSON: `expired-token`, `warm-path`, ... */
  id: string;
  title: string;
  /** One sentence on what was measured and how. */
  method: string;
  tables: Table[];
  /**
   * Verdicts and caveats, printed under the tables. Where this project is behind an
   * alternative, a note says so plainly.
   */
  notes: string[];
  /** Every measured figure, for the JSON file (ratios and counts; times in ms). */
  figures: Record<string, unknown>;
  /** How many of `tables` docs/benchmarks.md shows (the headline ones). @default 1 */
  readmeTables?: number;
  /** Must-hold checks of the issue; a false one fails `make bench` after printing everything. */
  checks: { name: string; ok: boolean; detail: string }[];
  /**
   * Goals set as ratios to an alternative in the same run. One not reached does not fail the
   * run: the table says by how much, and `why` where the section can tell (its timeline).
   */
  goals?: Goal[];
  /** More pictures for results/, by file name (`-quick` is added before `.svg` in a QUICK run). */
  files?: Record<string, string>;
}

export interface Goal {
  name: string;
  /** The goal as written, e.g. `p50 ≤ 1.0 × single flight`. */
  target: string;
  /** What this run measured, in the goal's own terms. */
  measured: string;
  met: boolean;
  /** When not met: by how much and why. */
  why?: string;
}

export type BenchSectionRunner = (context: BenchContext) => Promise<BenchSection>;

/** Rounds for display: 2 significant decimals under 10, 1 under 100, none above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs < 10 ? 2 : abs < 100 ? 1 : 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

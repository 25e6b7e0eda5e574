import type { BenchSection, Goal, Table } from './section.js';

export function tableToMarkdown(table: Table): string {
  const header = `| ${table.columns.join(' | ')} |`;
  const rule = `| ${table.columns.map(() => '---').join(' | ')} |`;
  const rows = table.rows.map((row) => `| ${row.map(String).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** The whole run as Markdown: bench.md, which docs/benchmarks.md summarises. */
export function benchToMarkdown(sections: BenchSection[], meta: { mode: string; machine: string }): string {
  const parts = [`Run: ${meta.mode}, ${meta.machine}.`];
  for (const section of sections) {
    parts.push(`### ${section.title}`, section.method);
    for (const table of section.tables) parts.push(tableToMarkdown(table));
    if (section.goals && section.goals.length > 0) parts.push(tableToMarkdown(goalsTable(section.goals)));
    if (section.notes.length > 0) parts.push(section.notes.map((note) => `- ${note}`).join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}

/** The goals of a section, each with what was measured and, when missed, by how much and why. */
export function goalsTable(goals: readonly Goal[]): Table {
  return {
    columns: ['goal', 'target', 'measured', 'reached'],
    rows: goals.map((goal) => [
      goal.name,
      goal.target,
      goal.measured,
      goal.met ? 'yes' : `no${goal.why ? `: ${goal.why}` : ''}`,
    ]),
  };
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/**
 * docs/benchmarks.md's copy of the latest full run: each section's title and its headline tables
 * (`readmeTables`, the first by default); the notes and the rest stay in bench.md, which it links.
 */
export function readmeSummary(
  sections: BenchSection[],
  meta: { mode: string; machine: string; date: string },
): string {
  const parts = [
    `Latest full run (${meta.machine}, ${meta.date.slice(0, 10)}); every figure and note: [bench.md](../scripts/bench/results/bench.md).`,
  ];
  for (const section of sections) {
    const tables = section.tables.slice(0, section.readmeTables ?? 1);
    if (section.goals && section.goals.length > 0) tables.push(goalsTable(section.goals));
    if (tables.length > 0) parts.push(`**${section.title}**`, ...tables.map(tableToMarkdown));
  }
  return parts.join('\n\n');
}

/** `readme` with the text between the bench markers replaced; unchanged when the markers are missing. */
export function replaceReadmeSummary(readme: string, summary: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end < start) return readme;
  return `${readme.slice(0, start + README_START.length)}\n${summary}\n${readme.slice(end)}`;
}

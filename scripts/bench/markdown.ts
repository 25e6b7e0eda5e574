import type { BenchSection, Table } from './section.js';

export function tableToMarkdown(table: Table): string {
  const header = `| ${table.columns.join(' | ')} |`;
  const rule = `| ${table.columns.map(() => '---').join(' | ')} |`;
  const rows = table.rows.map((row) => `| ${row.map(String).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** The whole run as Markdown: what the README's benchmark section shows. */
export function benchToMarkdown(sections: BenchSection[], meta: { mode: string; machine: string }): string {
  const parts = [`Run: ${meta.mode}, ${meta.machine}.`];
  for (const section of sections) {
    parts.push(`### ${section.title}`, section.method);
    for (const table of section.tables) parts.push(tableToMarkdown(table));
    if (section.notes.length > 0) parts.push(section.notes.map((note) => `- ${note}`).join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}

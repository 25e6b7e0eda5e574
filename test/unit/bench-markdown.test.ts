import { describe, expect, it } from '@jest/globals';
import {
  README_END,
  README_START,
  readmeSummary,
  replaceReadmeSummary,
  tableToMarkdown,
} from '../../scripts/bench/markdown.js';
import type { BenchSection } from '../../scripts/bench/section.js';

const section = (id: string, rows: (string | number)[][]): BenchSection => ({
  id,
  title: `Section ${id}`,
  method: 'how',
  tables: [
    { columns: ['a', 'b'], rows },
    { columns: ['x'], rows: [['second table']] },
  ],
  notes: ['a note'],
  figures: {},
  checks: [],
});

describe('bench Markdown', () => {
  it('renders a table with a header rule and one line per row', () => {
    expect(tableToMarkdown({ columns: ['a', 'b'], rows: [[1, 'two']] })).toBe(
      '| a | b |\n| --- | --- |\n| 1 | two |',
    );
  });

  it('puts each section title and only its first table in the README summary', () => {
    const summary = readmeSummary([section('one', [[1, 2]]), section('two', [[3, 4]])], {
      mode: 'full',
      machine: '2 cores',
      date: '2026-11-22T08:00:00.000Z',
    });

    expect(summary).toContain('**Section one**');
    expect(summary).toContain('| 3 | 4 |');
    expect(summary).not.toContain('second table');
    expect(summary).toContain('2026-11-22');
  });

  it('replaces only the text between the markers, and leaves a README without them alone', () => {
    const readme = `intro\n${README_START}\nold table\n${README_END}\noutro\n`;

    const updated = replaceReadmeSummary(readme, 'new table');

    expect(updated).toBe(`intro\n${README_START}\nnew table\n${README_END}\noutro\n`);
    expect(replaceReadmeSummary('no markers here', 'new table')).toBe('no markers here');
  });
});

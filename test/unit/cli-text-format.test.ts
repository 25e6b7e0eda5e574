/** How the commands write durations and tables (cli/text-format.ts). */
import { describe, expect, it } from '@jest/globals';
import { formatDuration, plural, relative, renderTable } from '../../cli/text-format.js';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [8_249, '8.2s'],
    [42_900, '42s'],
    [12 * 60_000 + 5_000, '12m 5s'],
    [3 * 3_600_000 + 12 * 60_000, '3h 12m'],
    [2 * 86_400_000 + 4 * 3_600_000, '2d 4h'],
    [-125_000, '2m 5s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('relative', () => {
  it('says "in" for a time ahead and "ago" for one behind', () => {
    const now = Date.UTC(2030, 0, 1);

    expect(relative(now + 90_000, now)).toBe('in 1m 30s');
    expect(relative(now - 90_000, now)).toBe('1m 30s ago');
  });
});

describe('plural', () => {
  it('counts a noun', () => {
    expect([plural(1, 'failure'), plural(2, 'failure'), plural(0, 'check')]).toEqual([
      '1 failure',
      '2 failures',
      '0 checks',
    ]);
  });
});

describe('renderTable', () => {
  it('pads each column to its widest cell, two spaces apart, the last one unpadded', () => {
    const text = renderTable(
      ['A', 'LONG HEADER', 'Z'],
      [
        ['wide cell', 'x', 'last'],
        ['b', '', ''],
      ],
    );

    expect(text.split('\n')).toEqual(['A          LONG HEADER  Z', 'wide cell  x            last', 'b']);
  });
});

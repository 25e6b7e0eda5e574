/**
 * The bench's timeline (scripts/bench/timeline.ts) and its goals table, on a run written out by
 * hand: which calls belong to the invocation, when the commit landed, what the table and the
 * picture show.
 */
import { describe, expect, it } from '@jest/globals';
import { goalsTable } from '../../scripts/bench/markdown.js';
import { phaseTable, timelineOf, timelineSvg } from '../../scripts/bench/timeline.js';
import type { TracedCall } from '../../scripts/simulator/dynamo-trace.js';
import type { ContainerResult } from '../../scripts/simulator/protocol.js';
import type { DetailedSimulation } from '../../scripts/simulator/simulation.js';

const T = Date.UTC(2026, 11, 3, 12); // a real epoch, in ms

function result(index: number, tokenAt: (number | null)[]): ContainerResult {
  return {
    index,
    succeeded: tokenAt.filter((at) => at !== null).length,
    failed: tokenAt.filter((at) => at === null).length,
    errors: {},
    overheadMs: [],
    maxOverheadMs: 0,
    maxPastDeadlineMs: 0,
    providerCalls: 0,
    rssBytes: 0,
    firstRssBytes: 0,
    tokenAt,
    startedAt: tokenAt.map(() => T),
    cpuMs: [10, 20 + index],
  };
}

const call = (container: number, kind: TracedCall['kind'], at: number, took: number): TracedCall => ({
  container,
  kind,
  receivedAt: T + at,
  answeredAt: T + at + took,
});

/** Two containers: a cold start (invocation 0) before 1 000 ms, then a storm (invocation 1). */
const run = {
  results: [result(1, [T + 900, T + 2_400]), result(0, [T + 800, T + 2_300])],
  refreshingAt: [T + 100, T + 2_100],
  killedAt: undefined,
  report: {} as DetailedSimulation['report'],
  dynamoCalls: [
    call(0, 'read', 0, 5),
    call(0, 'claim-won', 10, 5),
    call(0, 'commit', 700, 5),
    call(0, 'read', 2_000, 5),
    call(0, 'claim-won', 2_020, 10),
    call(1, 'read', 2_001, 5),
    call(1, 'claim-failed', 2_021, 20),
    call(1, 'poll', 2_350, 10),
    call(0, 'commit', 2_280, 10),
  ],
} satisfies DetailedSimulation;

describe('timelineOf', () => {
  it('keeps the calls after the last token of the invocation before, counted from the first of them', () => {
    const timeline = timelineOf(run, 1);

    expect(timeline.origin).toBe(T + 2_000);
    expect(timeline.calls.map((c) => c.kind).sort()).toEqual(
      ['claim-failed', 'claim-won', 'commit', 'poll', 'read', 'read'].sort(),
    );
    expect(timeline.providerAskedAt).toEqual([100]);
    expect(timeline.committedAt).toBe(290);
    expect(timeline.tokenAt).toEqual([300, 400]); // in container order
    expect(timeline.cpuMs).toEqual([20, 21]);
  });

  it('tables each kind of call with its count and times, then the holder, the tokens and the CPU', () => {
    const table = phaseTable(timelineOf(run, 1), 'storm');
    const byWhat = Object.fromEntries(table.rows.map((row) => [row[0], row.slice(1)]));

    expect(byWhat['first read (consistent)']).toEqual([2, '0 – 1', '5 / 5', 0.01]);
    expect(byWhat['claim, failed condition']).toEqual([1, '21 – 21', '20 / 20', 0.02]);
    expect(byWhat['the holder asks the provider; DynamoDB answers its commit']?.[2]).toBe(
      'commit answered at 290',
    );
    expect(byWhat['containers have their token']?.[1]).toBe('300 – 400');
  });

  it('draws one bar per call and one dot per token', () => {
    const svg = timelineSvg(timelineOf(run, 1), 'Storm <2>');
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('Storm &lt;2&gt;');
    // 6 calls, the provider's bar, the background, and the legend's swatches.
    expect(svg.match(/<rect /g)?.length).toBeGreaterThanOrEqual(6 + 1 + 1);
  });
});

describe('goalsTable', () => {
  it('says yes, or no with by how much and why', () => {
    const table = goalsTable([
      { name: 'a', target: '≤ 1', measured: '0.5', met: true },
      { name: 'b', target: '≤ 1', measured: '2', met: false, why: '1 × over; the CPU' },
    ]);
    expect(table.rows.map((row) => row[3])).toEqual(['yes', 'no: 1 × over; the CPU']);
  });
});

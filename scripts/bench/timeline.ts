/**
 * Where the time of one fleet goes (the rejection storm, the cold start): every DynamoDB call of
 * this project's run, told apart by container and kind (scripts/simulator/dynamo-trace.ts), the
 * holder's provider call, each container's token, and the CPU each invocation burned. A table of
 * phases and a picture: one line per container, one mark per call.
 */
import type { TracedCall, TracedCallKind } from '../simulator/dynamo-trace.js';
import type { DetailedSimulation } from '../simulator/simulation.js';
import { round, type Table } from './section.js';
import { spread } from './stats.js';

export interface Timeline {
  /** Epoch ms everything below counts from: the first call of the invocation measured. */
  origin: number;
  /** The calls of that invocation, from `origin` on. */
  calls: TracedCall[];
  /** ms after origin: each holder's provider call. */
  providerAskedAt: number[];
  /** ms after origin: the holder's commit, as DynamoDB answered it. */
  committedAt: number | undefined;
  /** ms after origin, per container (index order): its token in hand; null when it failed. */
  tokenAt: (number | null)[];
  /** ms after origin, per container: when its invocation started. */
  startedAt: number[];
  /** CPU ms each container's invocation took. */
  cpuMs: number[];
}

/**
 * The timeline of invocation `invocation` (0: the first) of a traced run. A call belongs to it when
 * it was received after the last container finished the invocation before (the barrier) and, when
 * another invocation follows, no later than the last container finished this one.
 */
export function timelineOf(run: DetailedSimulation, invocation: number): Timeline {
  const { results, dynamoCalls, refreshingAt } = run;
  const lastTokenAt = (of: number) =>
    Math.max(...results.map((r) => r.tokenAt[of] ?? Number.NEGATIVE_INFINITY));
  const barrier = invocation === 0 ? Number.NEGATIVE_INFINITY : lastTokenAt(invocation - 1);
  const followed = results.some((r) => r.tokenAt.length > invocation + 1);
  const until = followed ? lastTokenAt(invocation) : Number.POSITIVE_INFINITY;
  const inside = (at: number) => at > barrier && at <= until;
  const calls = dynamoCalls.filter((call) => inside(call.receivedAt) && call.container !== undefined);
  const origin = Math.min(...calls.map((call) => call.receivedAt));
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const commit = calls.find((call) => call.kind === 'commit');
  return {
    origin,
    calls: calls.map((call) => ({
      ...call,
      receivedAt: call.receivedAt - origin,
      answeredAt: call.answeredAt - origin,
    })),
    providerAskedAt: refreshingAt.filter(inside).map((at) => at - origin),
    committedAt: commit && commit.answeredAt - origin,
    tokenAt: sorted.map((r) => {
      const at = r.tokenAt[invocation];
      return typeof at === 'number' ? at - origin : null;
    }),
    startedAt: sorted.map((r) => (r.startedAt[invocation] ?? origin) - origin),
    cpuMs: sorted.map((r) => r.cpuMs[invocation] ?? 0),
  };
}

const KIND_LABEL: Record<TracedCallKind, string> = {
  read: 'first read (consistent)',
  poll: 'poll (eventually consistent)',
  'claim-won': 'claim, won',
  'claim-failed': 'claim, failed condition',
  commit: 'commit',
  'commit-failed': 'commit, fence failed',
  release: 'release',
  other: 'other write (confirm)',
};

/** One row per kind of call: how many, when the first and last were sent, how long DynamoDB took. */
export function phaseTable(timeline: Timeline, label: string): Table {
  const rows: (string | number)[][] = [];
  for (const kind of Object.keys(KIND_LABEL) as TracedCallKind[]) {
    const of = timeline.calls.filter((call) => call.kind === kind);
    if (of.length === 0) continue;
    const took = spread(of.map((call) => call.answeredAt - call.receivedAt));
    rows.push([
      KIND_LABEL[kind],
      of.length,
      `${Math.min(...of.map((c) => c.receivedAt))} – ${Math.max(...of.map((c) => c.receivedAt))}`,
      `${round(took.p50)} / ${round(took.max)}`,
      round(of.reduce((sum, call) => sum + call.answeredAt - call.receivedAt, 0) / 1000),
    ]);
  }
  const tokens = timeline.tokenAt.filter((at): at is number => at !== null);
  const cpu = spread(timeline.cpuMs);
  rows.push([
    'the holder asks the provider; DynamoDB answers its commit',
    timeline.providerAskedAt.length,
    timeline.providerAskedAt.join(', '),
    timeline.committedAt === undefined ? '-' : `commit answered at ${timeline.committedAt}`,
    '-',
  ]);
  if (tokens.length > 0) {
    const got = spread(tokens);
    rows.push([
      'containers have their token',
      tokens.length,
      `${got.min} – ${got.max}`,
      `p50 at ${round(got.p50)}, p99 at ${round(got.p99)}`,
      '-',
    ]);
  }
  rows.push([
    'CPU per invocation (user + system, this container’s process)',
    timeline.cpuMs.length,
    '-',
    `${round(cpu.p50)} / ${round(cpu.max)}`,
    round(timeline.cpuMs.reduce((sum, ms) => sum + ms, 0) / 1000),
  ]);
  return {
    columns: [`${label}: what`, 'count', 'sent at, ms after the first call', 'took p50 / max ms', 'sum s'],
    rows,
  };
}

const COLOURS: Record<TracedCallKind, string> = {
  read: '#1f77b4',
  poll: '#9a9a9a',
  'claim-won': '#2ca02c',
  'claim-failed': '#d62728',
  commit: '#000000',
  'commit-failed': '#8c564b',
  release: '#ff7f0e',
  other: '#bcbd22',
};

/** One line per container: each call a bar from sent to answered, the token a dot; the provider call in orange. */
export function timelineSvg(timeline: Timeline, title: string): string {
  const lanes = timeline.tokenAt.length;
  const laneHeight = lanes > 60 ? 4 : 8;
  const left = 60;
  const top = 34;
  const width = 760;
  const plotWidth = width - left - 20;
  const ends = [
    ...timeline.calls.map((call) => call.answeredAt),
    ...timeline.tokenAt.filter((at): at is number => at !== null),
  ];
  const span = Math.max(1, ...ends);
  const x = (ms: number) => round(left + (Math.max(0, ms) / span) * plotWidth);
  const y = (lane: number) => top + lane * laneHeight;
  const legend: [string, string][] = [
    ...(Object.keys(COLOURS) as TracedCallKind[])
      .filter((kind) => timeline.calls.some((call) => call.kind === kind))
      .map((kind): [string, string] => [COLOURS[kind], KIND_LABEL[kind]]),
    ['#ff7f0e', 'provider call to commit (top)'],
    ['#9467bd', 'token in hand'],
  ];
  const axis = top + lanes * laneHeight + 4;
  const height = axis + 26 + Math.ceil(legend.length / 4) * 12;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="16" font-size="13">${escapeXml(title)}</text>`,
    `<text x="8" y="${top - 4}">container</text>`,
  ];
  for (const at of timeline.providerAskedAt) {
    const end = timeline.committedAt ?? at;
    parts.push(
      `<rect x="${x(at)}" y="${top - 8}" width="${Math.max(1, x(end) - x(at))}" height="5" fill="#ff7f0e"/>`,
    );
  }
  for (const call of timeline.calls) {
    if (call.container === undefined || call.container >= lanes) continue;
    parts.push(
      `<rect x="${x(call.receivedAt)}" y="${y(call.container)}" width="${Math.max(1, x(call.answeredAt) - x(call.receivedAt))}" height="${laneHeight - 1}" fill="${COLOURS[call.kind]}"/>`,
    );
  }
  timeline.tokenAt.forEach((at, lane) => {
    if (at !== null)
      parts.push(
        `<circle cx="${x(at)}" cy="${y(lane) + laneHeight / 2}" r="${laneHeight / 2}" fill="#9467bd"/>`,
      );
  });
  parts.push(`<line x1="${left}" y1="${axis}" x2="${left + plotWidth}" y2="${axis}" stroke="#333"/>`);
  for (let i = 0; i <= 5; i++) {
    const ms = (span * i) / 5;
    parts.push(`<text x="${x(ms)}" y="${axis + 14}" text-anchor="middle">${Math.round(ms)} ms</text>`);
  }
  legend.forEach(([colour, label], i) => {
    const lx = left + (i % 4) * 175;
    const ly = axis + 26 + Math.floor(i / 4) * 12;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="8" height="8" fill="${colour}"/>`);
    parts.push(`<text x="${lx + 11}" y="${ly}">${escapeXml(label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

import { describe, expect, it } from '@jest/globals';
import {
  escapeXml,
  linearScale,
  linearTicks,
  lineChartSvg,
  logScale,
  logTicks,
  seriesPath,
} from '../../scripts/bench/svg-chart.js';

const COUNTS = [1, 10, 50, 100, 200];

/** The `d` of every series line (stroke-width 2, M and L commands only), as [x, y] pairs. */
function seriesLines(svg: string): [number, number][][] {
  const paths = [...svg.matchAll(/<path d="(M[^"]*)" fill="none" stroke="[^"]+" stroke-width="2"/g)];
  return paths.map(([, d]) =>
    d!.split(' ').map((command) => {
      const [x, y] = command.slice(1).split(',').map(Number);
      return [x!, y!];
    }),
  );
}

function threeSeriesChart(yScale: 'log' | 'linear' = 'log'): string {
  return lineChartSvg({
    title: 'Provider calls for one expired token',
    xLabel: 'containers',
    yLabel: 'provider calls',
    xScale: 'log',
    yScale,
    xTicks: COUNTS,
    series: [
      { label: 'this project', points: COUNTS.map((x) => ({ x, y: 1 })) },
      { label: 'each refreshes', points: COUNTS.map((x) => ({ x, y: x })) },
      { label: 'claim-or-fail', points: COUNTS.map((x) => ({ x, y: 1 })), dash: '6 3' },
    ],
  });
}

describe('linearScale', () => {
  it('maps the ends of the domain to the ends of the range and the middle to the middle', () => {
    const scale = linearScale([0, 200], [40, 380]);
    expect([scale(0), scale(100), scale(200)]).toEqual([40, 210, 380]);
  });

  it('maps a larger value to a smaller pixel when the range is inverted, as a y axis is', () => {
    const scale = linearScale([0, 10], [220, 30]);
    expect(scale(10)).toBe(30);
    expect(scale(2)).toBeGreaterThan(scale(8));
  });

  it('puts every value of a zero-width domain in the middle of the range', () => {
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
  });
});

describe('logScale', () => {
  it('puts 10 halfway between 1 and 100', () => {
    const scale = logScale([1, 100], [0, 300]);
    expect(scale(1)).toBe(0);
    expect(scale(10)).toBeCloseTo(150, 10);
    expect(scale(100)).toBe(300);
  });

  it('refuses a domain that reaches zero', () => {
    expect(() => logScale([0, 100], [0, 300])).toThrow(RangeError);
  });

  it('refuses to place zero or a negative value', () => {
    const scale = logScale([1, 100], [0, 300]);
    expect(() => scale(0)).toThrow(/cannot place 0/);
    expect(() => scale(-3)).toThrow(RangeError);
  });
});

describe('ticks', () => {
  it('gives the powers of ten around the data on a log axis', () => {
    expect(logTicks(1, 200)).toEqual([1, 10, 100, 1000]);
    expect(logTicks(3, 70)).toEqual([1, 10, 100]);
  });

  it('gives round steps from a tick at or below the minimum to one at or above the maximum', () => {
    expect(linearTicks(0, 200)).toEqual([0, 50, 100, 150, 200]);
    expect(linearTicks(0, 9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(0.3, 0.9, 3)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('gives the one value when the range is a single value', () => {
    expect(linearTicks(7, 7)).toEqual([7]);
  });
});

describe('seriesPath', () => {
  it('moves to the first point and draws a line to each next one, through the scales', () => {
    const path = seriesPath(
      [
        { x: 0, y: 0 },
        { x: 5, y: 10 },
        { x: 10, y: 5 },
      ],
      linearScale([0, 10], [0, 100]),
      linearScale([0, 10], [200, 0]),
    );
    expect(path).toBe('M0,200 L50,0 L100,100');
  });
});

describe('lineChartSvg', () => {
  it('draws one line per series with one point per x value', () => {
    const lines = seriesLines(threeSeriesChart());
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toHaveLength(COUNTS.length);
  });

  it('places the same x value at the same pixel in every series, in increasing order', () => {
    const lines = seriesLines(threeSeriesChart());
    const xs = lines[0]!.map(([x]) => x);
    for (const line of lines) expect(line.map(([x]) => x)).toEqual(xs);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
  });

  it('draws y = x as a straight line on log-log axes', () => {
    const [, growing] = seriesLines(threeSeriesChart());
    const slopes = growing!.slice(1).map(([x, y], i) => (y - growing![i]![1]) / (x - growing![i]![0]));
    for (const slope of slopes) expect(slope).toBeCloseTo(slopes[0]!, 1);
    expect(slopes[0]).toBeLessThan(0); // more calls is higher up: a smaller SVG y
  });

  it('draws a constant series flat, at the bottom of a log axis that starts at 1', () => {
    const [flat, growing] = seriesLines(threeSeriesChart());
    const ys = new Set(flat!.map(([, y]) => y));
    expect(ys.size).toBe(1);
    expect([...ys][0]).toBeGreaterThan(Math.max(...growing!.slice(1).map(([, y]) => y)));
  });

  it('has a title, a legend entry per series and the requested size', () => {
    const svg = threeSeriesChart();
    expect(svg).toContain('>Provider calls for one expired token</text>');
    for (const label of ['this project', 'each refreshes', 'claim-or-fail'])
      expect(svg).toContain(`>${label}</text>`);
    expect(svg).toMatch(/^<svg [^>]*width="400" height="260"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('labels the x axis with the ticks it is given', () => {
    const svg = threeSeriesChart();
    for (const count of COUNTS) expect(svg).toContain(`>${count}</text>`);
  });

  it('escapes markup in labels', () => {
    const svg = lineChartSvg({
      title: 'calls <per> "generation" & more',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ label: "a'b", points: [{ x: 1, y: 1 }] }],
    });
    expect(svg).toContain(`>${escapeXml('calls <per> "generation" & more')}</text>`);
    expect(svg).not.toContain('<per>');
    expect(svg).toContain('a&#39;b');
  });

  it('refuses a zero on a log y axis instead of drawing it somewhere', () => {
    expect(() =>
      lineChartSvg({
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        yScale: 'log',
        series: [{ label: 's', points: [{ x: 1, y: 0 }] }],
      }),
    ).toThrow(RangeError);
  });

  it('draws zeros on a linear y axis, at the bottom', () => {
    const svg = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          label: 's',
          points: [
            { x: 1, y: 0 },
            { x: 2, y: 4 },
          ],
        },
      ],
    });
    const [line] = seriesLines(svg);
    expect(line![0]![1]).toBeGreaterThan(line![1]![1]);
  });
});

/**
 * A small SVG line chart, no dependency: title, two axes with ticks, one line per series
 * with a marker on each point, a legend. Enough for the benchmark's "provider calls against
 * containers"; the scale and tick logic is exported for the unit tests.
 */

export type ScaleKind = 'linear' | 'log';

/** Maps a data value to a pixel coordinate. */
export type Scale = (value: number) => number;

export type Marker = 'circle' | 'square' | 'triangle';

export interface ChartSeries {
  label: string;
  /** One point per x; drawn in this order. */
  points: readonly { x: number; y: number }[];
  /** @default a palette colour by position */
  color?: string;
  /** SVG stroke-dasharray, e.g. '6 3'. @default solid */
  dash?: string;
  /** @default a marker by position: circle, square, triangle */
  marker?: Marker;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** @default 400 */
  width?: number;
  /** @default 260 */
  height?: number;
  /** @default 'linear' */
  xScale?: ScaleKind;
  /** @default 'linear' */
  yScale?: ScaleKind;
  /** Ticks on the x axis. @default computed from the data's range */
  xTicks?: readonly number[];
}

const PALETTE = ['#1b7837', '#c0392b', '#2c5aa0', '#8e44ad'];
const MARKERS: readonly Marker[] = ['circle', 'square', 'triangle'];
const MARGIN = { top: 30, right: 14, bottom: 38, left: 46 };
const INSET = 8;
const FONT = 'font-family="sans-serif"';

/** `domain` onto `range`, straight. A zero-width domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d0 === d1) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** `domain` onto `range` by log10; both ends must be positive. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  if (!(domain[0] > 0 && domain[1] > 0)) {
    throw new RangeError(`a log scale needs a positive domain (got ${domain[0]} to ${domain[1]})`);
  }
  const inner = linearScale([Math.log10(domain[0]), Math.log10(domain[1])], range);
  return (value) => {
    if (!(value > 0)) throw new RangeError(`a log scale cannot place ${value}`);
    return inner(Math.log10(value));
  };
}

/** Powers of ten from the one at or below `min` to the one at or above `max`. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0 && max >= min)) throw new RangeError(`log ticks need 0 < min <= max (got ${min}, ${max})`);
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent++) {
    ticks.push(10 ** exponent);
  }
  return ticks;
}

/** About `count` round ticks (steps of 1, 2 or 5 times a power of ten) covering [min, max]. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max >= min)) throw new RangeError(`linear ticks need min <= max (got ${min}, ${max})`);
  if (min === max) return [min];
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  // The tolerance keeps float noise ((0.9 - 0.3) / 3 > 0.2) from skipping a step size.
  const step = ([1, 2, 5, 10].find((factor) => factor * power >= rough * (1 - 1e-9)) ?? 10) * power;
  const ticks: number[] = [];
  const first = Math.floor(min / step + 1e-9);
  for (let i = first; ; i++) {
    const tick = Number((i * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

/** The SVG path of a series: `M` to the first point, `L` to each next one. */
export function seriesPath(points: readonly { x: number; y: number }[], x: Scale, y: Scale): string {
  return points.map((point, i) => `${i === 0 ? 'M' : 'L'}${px(x(point.x))},${px(y(point.y))}`).join(' ');
}

/** Text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 400;
  const height = options.height ?? 260;
  const all = options.series.flatMap((series) => series.points);
  if (all.length === 0) throw new RangeError('a chart needs at least one point');
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
  const xs = all.map((point) => point.x);
  const ys = all.map((point) => point.y);
  const xKind = options.xScale ?? 'linear';
  const yKind = options.yScale ?? 'linear';
  const xTicks = options.xTicks ?? ticksFor(xKind, Math.min(...xs), Math.max(...xs));
  const yTicks = ticksFor(yKind, yKind === 'log' ? Math.min(...ys) : Math.min(0, ...ys), Math.max(...ys));
  const xDomain = [Math.min(...xs, ...xTicks), Math.max(...xs, ...xTicks)] as const;
  const yDomain = [Math.min(...ys, ...yTicks), Math.max(...ys, ...yTicks)] as const;
  // A few pixels inside the axes, so a point at the origin sits on neither axis nor its labels.
  const x = (xKind === 'log' ? logScale : linearScale)(xDomain, [plot.left + INSET, plot.right - INSET]);
  const y = (yKind === 'log' ? logScale : linearScale)(yDomain, [plot.bottom - INSET, plot.top]);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" ${FONT} font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (const tick of yTicks) {
    const ty = px(y(tick));
    parts.push(
      `<line x1="${plot.left}" y1="${ty}" x2="${plot.right}" y2="${ty}" stroke="#e4e4e4"/>`,
      `<text x="${plot.left - 5}" y="${px(ty + 3.5)}" text-anchor="end" ${FONT} font-size="10">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of xTicks) {
    const tx = px(x(tick));
    parts.push(
      `<line x1="${tx}" y1="${plot.bottom}" x2="${tx}" y2="${plot.bottom + 4}" stroke="#333"/>`,
      `<text x="${tx}" y="${plot.bottom + 15}" text-anchor="middle" ${FONT} font-size="10">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<path d="M${plot.left},${plot.top} V${plot.bottom} H${plot.right}" fill="none" stroke="#333"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${height - 6}" text-anchor="middle" ${FONT} font-size="11">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(12,${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="11">${escapeXml(options.yLabel)}</text>`,
  );
  options.series.forEach((series, i) => {
    const color = series.color ?? PALETTE[i % PALETTE.length]!;
    const marker = series.marker ?? MARKERS[i % MARKERS.length]!;
    const dash = series.dash !== undefined ? ` stroke-dasharray="${escapeXml(series.dash)}"` : '';
    parts.push(
      `<path d="${seriesPath(series.points, x, y)}" fill="none" stroke="${escapeXml(color)}" stroke-width="2"${dash}/>`,
    );
    for (const point of series.points) parts.push(markerSvg(marker, x(point.x), y(point.y), color));
    // Legend, top left inside the plot: the lines start together at the bottom left.
    const ly = plot.top + 10 + i * 15;
    parts.push(
      `<line x1="${plot.left + 8}" y1="${ly}" x2="${plot.left + 30}" y2="${ly}" stroke="${escapeXml(color)}" stroke-width="2"${dash}/>`,
      markerSvg(marker, plot.left + 19, ly, color),
      `<text x="${plot.left + 36}" y="${ly + 3.5}" ${FONT} font-size="10">${escapeXml(series.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function ticksFor(kind: ScaleKind, min: number, max: number): number[] {
  return kind === 'log' ? logTicks(min, max) : linearTicks(min, max);
}

function markerSvg(marker: Marker, cx: number, cy: number, color: string): string {
  const fill = `fill="${escapeXml(color)}"`;
  if (marker === 'square') return `<rect x="${px(cx - 3)}" y="${px(cy - 3)}" width="6" height="6" ${fill}/>`;
  if (marker === 'triangle') {
    return `<path d="M${px(cx)},${px(cy - 4)} L${px(cx + 4)},${px(cy + 3)} L${px(cx - 4)},${px(cy + 3)} Z" ${fill}/>`;
  }
  return `<circle cx="${px(cx)}" cy="${px(cy)}" r="4.5" fill="#fff" stroke="${escapeXml(color)}" stroke-width="2"/>`;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

/** One decimal is plenty for a pixel. */
function px(value: number): number {
  return Math.round(value * 10) / 10;
}

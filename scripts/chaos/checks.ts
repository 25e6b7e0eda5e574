/**
 * A scenario's own checks, beyond the invariants every scenario keeps (verdict.ts): a figure of
 * the report, or a metric total from the containers' Powertools output, compared to a number or
 * to another figure.
 */
import { invocationsRun } from '../simulator/fleet-invariants.js';
import type { SimulationReport } from '../simulator/simulation.js';

export type ChaosCheck = (report: SimulationReport) => string | undefined;

/** Numeric fields of the report; any other name is a metric (`TokenRefreshFailed`, `LeaseLost`). */
type Figure = {
  [K in keyof SimulationReport]-?: SimulationReport[K] extends number ? K : never;
}[keyof SimulationReport];

function figure(report: SimulationReport, name: string): number {
  const value = (report as unknown as Record<string, unknown>)[name];
  return typeof value === 'number' ? value : (report.metrics[name] ?? 0);
}

/** A number, another figure's name, or `'all'` (every invocation that ran). */
type Target = number | Figure | 'all';

function resolve(report: SimulationReport, target: Target): number {
  if (typeof target === 'number') return target;
  if (target === 'all') return invocationsRun(report);
  return figure(report, target);
}

function compare(
  name: Figure | string,
  target: Target,
  holds: (actual: number, expected: number) => boolean,
  relation: string,
): ChaosCheck {
  return (report) => {
    const actual = figure(report, name);
    const expected = resolve(report, target);
    if (holds(actual, expected)) return undefined;
    const of = typeof target === 'string' ? ` (${target})` : '';
    return `${name} is ${actual}, expected ${relation} ${expected}${of}`;
  };
}

export const exactly = (name: Figure | string, target: Target): ChaosCheck =>
  compare(name, target, (actual, expected) => actual === expected, 'exactly');

export const atLeast = (name: Figure | string, target: Target): ChaosCheck =>
  compare(name, target, (actual, expected) => actual >= expected, 'at least');

export const atMost = (name: Figure | string, target: Target): ChaosCheck =>
  compare(name, target, (actual, expected) => actual <= expected, 'at most');

/** The containers ran on the library's defaults: the simulator passed no timing option (report's `tunedOptions`). */
export const onLibraryDefaults: ChaosCheck = ({ tunedOptions }) => {
  const changed = Object.entries(tunedOptions).map(([name, value]) => `${name}=${value}`);
  return changed.length === 0
    ? undefined
    : `options changed from the library's defaults: ${changed.join(', ')}`;
};

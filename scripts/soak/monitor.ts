/**
 * What the soak keeps from the simulator's samples: the invariant state and its violations, a compact
 * time series, each container's warm and peak RSS, and the stall watch that aborts a deadlocked fleet.
 */
import type { SimulationMonitor, SimulationSample } from '../simulator/simulation.js';
import { checkSample, type GapState, initialGapState, stallReason } from './invariant-rules.js';
import { WARM_FRACTION } from './memory-rules.js';

/** One row of the time series (`--json`). */
export interface SeriesPoint {
  /** Seconds since the containers went. */
  t: number;
  done: number;
  issued: number;
  generations: number;
  /** Largest container RSS at that moment, MiB. */
  maxRssMiB: number;
  /** Each container's RSS at its last progress report, MiB. */
  rssMiB: number[];
}

export interface SoakMonitor extends SimulationMonitor {
  readonly series: SeriesPoint[];
  /** Sample violations, each with the second of the run it happened at. */
  readonly violations: string[];
  state(): GapState;
  /** Per container: RSS when it had done WARM_FRACTION of its invocations (0 if never sampled), and the peak. */
  memory(): { warmRssBytes: number; midRssBytes: number; peakRssBytes: number }[];
}

interface SoakMonitorOptions {
  everyMs: number;
  containers: number;
  invocationsPerContainer: number;
  /** Called with a reason when the fleet stalls; the soak aborts the run. */
  onStall(reason: string): void;
  /** Called after every sample (progress line). */
  onSample?(point: SeriesPoint): void;
}

export function createSoakMonitor(options: SoakMonitorOptions): SoakMonitor {
  let state = initialGapState();
  let startedAt: number | undefined;
  let stalled = false;
  const series: SeriesPoint[] = [];
  const violations: string[] = [];
  const warm = new Array<number>(options.containers).fill(0);
  const mid = new Array<number>(options.containers).fill(0);
  const peak = new Array<number>(options.containers).fill(0);
  const warmAt = Math.max(1, Math.ceil(options.invocationsPerContainer * WARM_FRACTION));
  const midAt = Math.max(1, Math.ceil(options.invocationsPerContainer / 2));
  const total = options.containers * options.invocationsPerContainer;
  return {
    everyMs: options.everyMs,
    series,
    violations,
    state: () => state,
    memory: () =>
      warm.map((warmRssBytes, index) => ({
        warmRssBytes,
        midRssBytes: mid[index] ?? 0,
        peakRssBytes: peak[index] ?? 0,
      })),
    sample(sample: SimulationSample): void {
      startedAt ??= sample.at;
      const t = Math.round((sample.at - startedAt) / 100) / 10;
      const generations = sample.version - sample.initialVersion;
      const checked = checkSample(state, {
        at: sample.at,
        issuedBefore: sample.providerBefore?.tokensIssued ?? 0,
        issuedAfter: sample.providerAfter?.tokensIssued ?? 0,
        generations,
        done: sample.done,
      });
      state = checked.state;
      for (const violation of checked.violations) violations.push(`at ${t} s: ${violation}`);
      let maxRss = 0;
      sample.containers.forEach((container, index) => {
        if (warm[index] === 0 && container.done >= warmAt) warm[index] = container.rssBytes;
        if (mid[index] === 0 && container.done >= midAt) mid[index] = container.rssBytes;
        peak[index] = Math.max(peak[index] ?? 0, container.rssBytes);
        maxRss = Math.max(maxRss, container.rssBytes);
      });
      const point = {
        t,
        done: sample.done,
        issued: sample.providerAfter?.tokensIssued ?? 0,
        generations,
        maxRssMiB: Math.round(maxRss / 2 ** 20),
        rssMiB: sample.containers.map((container) => Math.round(container.rssBytes / 2 ** 20)),
      };
      series.push(point);
      options.onSample?.(point);
      const stall = sample.final ? undefined : stallReason(state, sample.at, total);
      if (stall && !stalled) {
        stalled = true;
        options.onStall(stall);
      }
    },
  };
}

/**
 * The poll schedule the layer ships (layer/lease/lease-timing.ts `pollDelay`), played out for many
 * waiters on one lease: each reads once when it arrives, then sleeps and reads until a read comes
 * after the holder's commit. With the item's refresh duration (the expected commit) and without
 * it (the doubling schedule). The layer's own function draws every delay, so the model cannot
 * drift from the code; a seeded random source makes every run give the same figures.
 */
import { pollDelay } from '../../layer/lease/lease-timing.js';
import type { TokenRecord } from '../../layer/store/token-record.js';
import { type PollSchedule, peakRatePerSecond } from './stats.js';

/** A provider whose refresh takes `refreshMs` × (1 + u), u uniform in [-noise, +noise]. */
export interface RefreshLatency {
  refreshMs: number;
  /** 0.2: ±20 %. */
  noise: number;
}

export interface PlayedWaiters {
  /** Reads per waiter, its first one included. */
  reads: number;
  /** After the commit, ms. */
  delayMean: number;
  delayP50: number;
  delayP99: number;
}

/** A small fast generator (mulberry32): the same seed, the same figures. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Long enough that no waiter reaches the lease end; the I2 bound is the unit tests' business. */
const LEASE_MS = 60_000;

/**
 * One waiter arriving `arrivesAt` ms after the claim; the commit lands `commitAt` ms after it. The
 * item carries the fleet's history when `history` is given (a converged one: the mean, and the
 * mean deviation of the latency), else none. Returns the read times (ms after the claim).
 */
export function playWaiter(
  schedule: PollSchedule,
  history: { refreshMs: number; refreshDeviationMs: number } | undefined,
  arrivesAt: number,
  commitAt: number,
  random: () => number,
): number[] {
  const record: TokenRecord = {
    tokenType: 'model',
    version: 1,
    updating: true,
    lockClaimedAt: 0,
    lockExpiresAt: LEASE_MS,
    ...history,
  };
  const options = { ...schedule, random };
  const reads = [arrivesAt];
  let now = arrivesAt;
  for (let attempt = 0; now < commitAt; attempt++) {
    now += pollDelay(options, attempt, record, now, LEASE_MS * 2);
    reads.push(now);
  }
  return reads;
}

/** The mean deviation of a uniform ±noise latency: what the item's estimator settles at. */
export function converged({ refreshMs, noise }: RefreshLatency) {
  return { refreshMs, refreshDeviationMs: Math.round((refreshMs * noise) / 2) };
}

/**
 * `samples` waiters, each arriving at the claim (the worst case: it waits the whole refresh), on
 * refreshes drawn from `latency`; with the item's converged history or without any.
 */
export function playWaiters(
  schedule: PollSchedule,
  latency: RefreshLatency,
  withHistory: boolean,
  samples = 2_000,
  seed = 1,
): PlayedWaiters {
  const random = seededRandom(seed);
  const history = withHistory ? converged(latency) : undefined;
  let reads = 0;
  const delays: number[] = [];
  for (let i = 0; i < samples; i++) {
    const commitAt = latency.refreshMs * (1 + latency.noise * (2 * random() - 1));
    const times = playWaiter(schedule, history, 0, commitAt, random);
    reads += times.length;
    delays.push(times.at(-1)! - commitAt);
  }
  delays.sort((a, b) => a - b);
  return {
    reads: reads / samples,
    delayMean: delays.reduce((sum, d) => sum + d, 0) / samples,
    delayP50: delays[Math.floor(samples * 0.5)]!,
    delayP99: delays[Math.floor(samples * 0.99)]!,
  };
}

/**
 * `containers` waiters arriving uniformly over `arrivalSpreadMs` on one lease claimed at 0 (a
 * refresh of `latency`), each reading until it has the token; `sampled` of them are played and
 * scaled. The busiest 1 s of reads on the item, and the reads of the whole fleet.
 */
export function fleetReadsWithHistory(
  schedule: PollSchedule,
  latency: RefreshLatency,
  containers: number,
  arrivalSpreadMs: number,
  withHistory: boolean,
  sampled = 4_000,
  seed = 7,
): { totalReads: number; busiestSecondReads: number; readsPerContainer: number } {
  const random = seededRandom(seed);
  const history = withHistory ? converged(latency) : undefined;
  const commitAt = latency.refreshMs;
  const times: number[] = [];
  const played = Math.min(sampled, containers);
  for (let i = 0; i < played; i++) {
    const arrivesAt = arrivalSpreadMs === 0 ? 0 : ((i + 0.5) * arrivalSpreadMs) / played;
    times.push(...playWaiter(schedule, history, arrivesAt, commitAt, random));
  }
  const scale = containers / played;
  return {
    totalReads: times.length * scale,
    // Reads per second over the busiest 1 s window: the reads in it.
    busiestSecondReads: peakRatePerSecond(times, 1_000) * scale,
    readsPerContainer: times.length / played,
  };
}

/**
 * Pure arithmetic for the waiters, take-over and at-scale sections: spreads of delays,
 * request rates over time, and the expected read rate of a fleet that polls one item
 * with capped exponential back-off and equal jitter (the schedule of TokenManager.pollDelay).
 */
import { resolveTokenManagerOptions } from '../../layer/lease/token-manager-options.js';
import { percentile } from '../simulator/report.js';

export { percentile };

export interface Spread {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank p50 and p99, min, max and mean of `values` (all 0 for none). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { count: 0, min: 0, p50: 0, p99: 0, max: 0, mean: 0 };
  return {
    count: values.length,
    min: Math.min(...values),
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: Math.max(...values),
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
  };
}

/** How many of `times` (epoch ms) fall in each `bucketMs` slice from `origin`; times before it are dropped. */
export function countPerBucket(times: readonly number[], origin: number, bucketMs: number): number[] {
  if (!(bucketMs > 0)) throw new RangeError('bucketMs must be > 0');
  const buckets: number[] = [];
  for (const time of times) {
    if (time < origin) continue;
    const index = Math.floor((time - origin) / bucketMs);
    while (buckets.length <= index) buckets.push(0);
    buckets[index]! += 1;
  }
  return buckets;
}

/**
 * The busiest `windowMs` of `times`, as a rate per second: a sliding window, so a burst
 * that straddles two fixed buckets is not halved.
 */
export function peakRatePerSecond(times: readonly number[], windowMs: number): number {
  if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return (most * 1000) / windowMs;
}

export interface PollSchedule {
  /** First delay between reads. */
  pollInitialMs: number;
  /** Cap of the doubling delay. */
  pollMaxMs: number;
}

/** The poll settings TokenManager resolves by default, read from the layer so the bench never drifts from them. */
export function shippedPollSchedule(): PollSchedule {
  const unused = {} as never;
  const { pollInitialMs, pollMaxMs } = resolveTokenManagerOptions({
    tokenType: 'bench',
    store: unused,
    cipher: unused,
    provider: unused,
  });
  return { pollInitialMs, pollMaxMs };
}

export interface FleetReadModel extends PollSchedule {
  containers: number;
  /** Containers make their first read uniformly spread over this long; 0: all in the same instant. */
  arrivalSpreadMs: number;
  /** The holder commits this long after the first arrival; a read after it finds the token. */
  refreshMs: number;
  /** Width of the slices of the answer. */
  bucketMs: number;
  /** Reads after this are not counted. */
  horizonMs: number;
}

export interface FleetReads {
  /** Expected reads of the whole fleet in each slice of `bucketMs` from the first arrival. */
  readsPerBucket: number[];
  totalReads: number;
  readsPerContainer: number;
  /** The busiest slice, as reads per second. */
  peakReadsPerSecond: number;
  /** Reads in the busiest 1 s window (sliding by 1 ms): what a per-second limit sees. */
  busiestSecondReads: number;
}

/** Arrival instants a fleet spread over `spreadMs` is cut into (its weight is split evenly). */
const ARRIVAL_STEPS = 200;
/** A waiter still polling with less probability than this is dropped from the sum. */
const NEGLIGIBLE = 1e-9;

/**
 * Expected DynamoDB reads over time when `containers` arrive on an expired token and wait
 * for one holder: each reads once on arrival, and while the token is not there polls again
 * after a delay drawn uniformly from [b/2, b] (equal jitter), b = min(pollMaxMs, pollInitialMs * 2^k);
 * it stops after the first read that follows the commit. Computed on a 1 ms grid by
 * convolving the delay distributions, so the answer is an expectation, not a sample.
 */
export function modelFleetReads(model: FleetReadModel): FleetReads {
  const { containers, arrivalSpreadMs, refreshMs, bucketMs, horizonMs } = model;
  if (!(model.pollInitialMs > 0) || model.pollMaxMs < model.pollInitialMs) {
    throw new RangeError('pollInitialMs must be > 0 and pollMaxMs >= pollInitialMs');
  }
  if (!(bucketMs > 0) || !(horizonMs > 0) || containers < 0 || arrivalSpreadMs < 0 || refreshMs < 0) {
    throw new RangeError('bucketMs and horizonMs must be > 0; containers, arrivalSpreadMs, refreshMs >= 0');
  }
  const grid = Math.ceil(horizonMs);
  const readsAt = new Float64Array(grid);
  const arrivals =
    arrivalSpreadMs === 0
      ? [{ at: 0, weight: containers }]
      : Array.from({ length: ARRIVAL_STEPS }, (_, i) => ({
          at: ((i + 0.5) * arrivalSpreadMs) / ARRIVAL_STEPS,
          weight: containers / ARRIVAL_STEPS,
        }));
  for (const { at, weight } of arrivals) {
    addOneWaiter(readsAt, Math.round(at), refreshMs - at, weight, model);
  }
  const readsPerBucket = new Array<number>(Math.ceil(grid / bucketMs)).fill(0);
  const prefix = new Float64Array(grid + 1);
  for (let t = 0; t < grid; t++) {
    readsPerBucket[Math.floor(t / bucketMs)]! += readsAt[t]!;
    prefix[t + 1] = prefix[t]! + readsAt[t]!;
  }
  let busiestSecondReads = 0;
  for (let t = 0; t < grid; t++) {
    busiestSecondReads = Math.max(busiestSecondReads, prefix[Math.min(grid, t + 1000)]! - prefix[t]!);
  }
  const totalReads = prefix[grid]!;
  return {
    readsPerBucket,
    totalReads,
    readsPerContainer: containers === 0 ? 0 : totalReads / containers,
    peakReadsPerSecond: (Math.max(0, ...readsPerBucket) * 1000) / bucketMs,
    busiestSecondReads,
  };
}

/**
 * Adds to `readsAt` the expected reads of `weight` waiters arriving at `arrivedAt`, whose
 * token is committed `windowMs` after their arrival (negative: it was there already).
 */
function addOneWaiter(
  readsAt: Float64Array,
  arrivedAt: number,
  windowMs: number,
  weight: number,
  schedule: PollSchedule,
): void {
  if (arrivedAt >= readsAt.length) return;
  const density = waiterReadDensity(schedule, windowMs, readsAt.length - arrivedAt);
  for (let t = 0; t < density.length; t++) readsAt[arrivedAt + t]! += weight * density[t]!;
}

/**
 * Expected reads of one waiter at each millisecond after its first read (index 0, which is
 * always made), when the token is committed `windowMs` after that first read: a read that
 * finds no token (made at or before `windowMs`) is followed by another one; the first read
 * after `windowMs` finds the token and is the last. Reads at `gridMs` or later are dropped.
 */
export function waiterReadDensity(schedule: PollSchedule, windowMs: number, gridMs: number): Float64Array {
  const grid = Math.max(1, Math.ceil(gridMs));
  const reads = new Float64Array(grid);
  reads[0] = 1;
  // density[t]: probability that a read happens at t AND every read before it found no token.
  let density: Float64Array = reads.slice();
  for (let poll = 0; ; poll++) {
    const stillWaiting = new Float64Array(grid);
    let mass = 0;
    for (let t = 0; t < grid && t <= windowMs; t++) {
      stillWaiting[t] = density[t]!;
      mass += density[t]!;
    }
    if (mass < NEGLIGIBLE) return reads;
    const base = Math.min(schedule.pollMaxMs, schedule.pollInitialMs * 2 ** poll);
    density = convolveUniform(stillWaiting, Math.max(1, Math.round(base / 2)), Math.max(1, Math.round(base)));
    for (let t = 0; t < grid; t++) reads[t]! += density[t]!;
  }
}

export interface WaiterModel {
  /** Expected reads of one waiter: its first, the polls, and the one that finds the token. */
  reads: number;
  /** Time from the commit to the read that finds the token, ms. */
  delayP50: number;
  delayP99: number;
  delayMean: number;
}

/** One waiter whose token is committed `windowMs` after its first read (the poll schedule's expectation). */
export function modelWaiter(schedule: PollSchedule, windowMs: number): WaiterModel {
  if (!(schedule.pollInitialMs > 0) || schedule.pollMaxMs < schedule.pollInitialMs || !(windowMs >= 0)) {
    throw new RangeError('pollInitialMs must be > 0, pollMaxMs >= pollInitialMs, windowMs >= 0');
  }
  // The read that finds the token follows the last empty one by at most one delay, and a delay
  // is never longer than the cap, nor than twice the time already waited plus the first delay.
  const longestDelay = Math.min(schedule.pollMaxMs, 2 * windowMs + schedule.pollInitialMs);
  const grid = Math.ceil(windowMs + longestDelay) + 2;
  const density = waiterReadDensity(schedule, windowMs, grid);
  let reads = 0;
  let found = 0;
  let delaySum = 0;
  let delayP50: number | undefined;
  let delayP99: number | undefined;
  for (let t = 0; t < grid; t++) {
    reads += density[t]!;
    if (t <= windowMs) continue;
    found += density[t]!;
    delaySum += density[t]! * (t - windowMs);
    if (delayP50 === undefined && found >= 0.5) delayP50 = t - windowMs;
    if (delayP99 === undefined && found >= 0.99) delayP99 = t - windowMs;
  }
  return {
    reads,
    delayP50: delayP50 ?? 0,
    delayP99: delayP99 ?? 0,
    delayMean: found > 0 ? delaySum / found : 0,
  };
}

/** `values` convolved with the uniform distribution on the whole milliseconds [low, high]. */
function convolveUniform(values: Float64Array, low: number, high: number): Float64Array {
  const prefix = new Float64Array(values.length + 1);
  for (let t = 0; t < values.length; t++) prefix[t + 1] = prefix[t]! + values[t]!;
  const width = high - low + 1;
  const out = new Float64Array(values.length);
  for (let t = low; t < values.length; t++) {
    const from = Math.max(0, t - high);
    const to = t - low; // inclusive
    out[t] = (prefix[to + 1]! - prefix[from]!) / width;
  }
  return out;
}

/**
 * Conditional claim writes when the item is expired and nobody holds the lease: every
 * container whose first read lands before the first claim does (`claimWindowMs` after the
 * first arrival) sees no live lease and claims; later ones see the lease and skip the write.
 */
export function expectedClaimWrites(
  containers: number,
  arrivalSpreadMs: number,
  claimWindowMs: number,
): number {
  if (containers <= 0) return 0;
  if (arrivalSpreadMs <= claimWindowMs) return containers;
  return Math.max(1, (containers * claimWindowMs) / arrivalSpreadMs);
}

/** `count` values from `from` to `to` (both included), evenly spaced on a log scale. */
export function logSpaced(from: number, to: number, count: number): number[] {
  if (!(from > 0) || !(to >= from) || !(count >= 2))
    throw new RangeError('need 0 < from <= to and count >= 2');
  return Array.from({ length: count }, (_, i) => from * (to / from) ** (i / (count - 1)));
}

/** Reads per second of one waiter once its delay has reached the cap: one read per mean delay, 3/4 of the cap. */
export function cappedReadsPerSecond(schedule: PollSchedule): number {
  return 1000 / (0.75 * schedule.pollMaxMs);
}

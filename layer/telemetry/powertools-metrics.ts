/**
 * The Powertools default for {@link TokenMetrics}.
 *
 * Metrics go out as CloudWatch EMF: one JSON document per line on STDOUT (Powertools writes
 * through its own `Console` on `process.stdout`), in namespace `POWERTOOLS_METRICS_NAMESPACE`, else
 * `SharedToken`, with the dimension set `[tokenType]`, units Count (LockWaitMs: Milliseconds).
 *
 * Totalling a metric from the output (what CloudWatch's Sum statistic does): Powertools buffers
 * repeated data points of one metric into an ARRAY, so in each document whose
 * `_aws.CloudWatchMetrics[0].Metrics` lists the name, the value under that name is a number or an
 * array of numbers; the total is the sum over documents of the number or the array's sum.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConfigurationError } from '../errors/error-classes.js';
import { errorName } from '../errors/error-name.js';
import { aClock, aDuration, anObject, type OptionRules, validateOptions } from '../options/option-rules.js';
import { type Clock, systemClock } from '../time/clock.js';
import { aServiceName, defaultServiceName } from './powertools-logger.js';
import type { PowertoolsMetricsLike, TokenMetricUnit } from './powertools-shapes.js';
import {
  METRIC_NAMESPACE,
  MetricName,
  silentLogger,
  type TokenLogger,
  type TokenMetrics,
} from './telemetry.js';

/** The EMF dimension every data point carries. */
export const TOKEN_TYPE_DIMENSION = 'tokenType';

const UNITS: Readonly<Record<MetricName, TokenMetricUnit>> = {
  TokenCacheHit: MetricUnit.Count,
  TokenStoreRead: MetricUnit.Count,
  TokenRefreshed: MetricUnit.Count,
  TokenRefreshFailed: MetricUnit.Count,
  LockContended: MetricUnit.Count,
  LockWaitMs: MetricUnit.Milliseconds,
  LockTakeover: MetricUnit.Count,
  ProviderRejected: MetricUnit.Count,
  RetrySucceeded: MetricUnit.Count,
  DecryptFailed: MetricUnit.Count,
  LeaseLost: MetricUnit.Count,
  RefreshTokenExpired: MetricUnit.Count,
  RejectionRefreshLimited: MetricUnit.Count,
  RefreshCutShort: MetricUnit.Count,
  RotatedRefreshTokenLost: MetricUnit.Count,
};

/** {@link TokenMetrics} that buffers, plus the call that publishes the buffer. */
export interface FlushableTokenMetrics extends TokenMetrics {
  /**
   * Publishes what was recorded since the last flush: one EMF line per tokenType. Call it at the
   * end of every invocation (the middleware does). Prints nothing when there is nothing to say,
   * and never throws. Cache hits alone are held back until they are `cacheHitFlushIntervalMs`
   * old, so a warm invocation writes nothing; `{ force: true }` publishes them too.
   */
  flush(options?: { force?: boolean }): void;
}

export interface PowertoolsMetricsOptions {
  /**
   * Your own Powertools `Metrics` (typed by the one method used, `singleMetric()`), used AS IS: its
   * namespace and default dimensions are kept (the metric names stay ours) and `tokenType` is
   * added. Each data point is published AT ONCE as a single-metric document, so your buffer and
   * your dimensions never mix with ours and `flush()` has nothing to do. Note: a CloudWatch metric
   * is identified by its full dimension set, so alarms must name your default dimensions (e.g.
   * `service`) as well.
   * @default one buffered instance per tokenType, in the `namespace` below, dimensions `[tokenType]`
   */
  metrics?: PowertoolsMetricsLike;
  /**
   * Namespace of the default instances; not allowed together with `metrics`.
   * @default process.env.POWERTOOLS_METRICS_NAMESPACE when set and not blank, else 'SharedToken'
   */
  namespace?: string;
  /**
   * Written into each document of the default instances as the `service` key, as METADATA, not a
   * dimension: the token is shared by many functions, and a per-service dimension would split its
   * metric (and its alarms) into one series per function. Not allowed together with `metrics`.
   * @default process.env.POWERTOOLS_SERVICE_NAME, else 'lambda-shared-token'
   */
  serviceName?: string;
  /** Told about a data point dropped (bad value or tokenType) or a failed publish. @default silentLogger */
  logger?: TokenLogger;
  /**
   * How long counted cache hits may wait for a flush that has nothing else to publish. Counts are
   * summed in memory (one data point per flush, so Sum stays exact); holding hits back keeps warm
   * invocations free of output. Hits still held when a container is shut down are lost: at most
   * this long's worth. 0 publishes them at every flush.
   * @default 60_000 (CloudWatch's standard resolution)
   */
  cacheHitFlushIntervalMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** Every option createPowertoolsMetrics accepts, with what its value must be. */
const METRICS_OPTIONS: OptionRules = {
  metrics: {
    problem: (value) =>
      typeof (value as PowertoolsMetricsLike).singleMetric === 'function'
        ? undefined
        : 'must be a Powertools Metrics instance',
  },
  namespace: aServiceName,
  serviceName: aServiceName,
  logger: anObject,
  cacheHitFlushIntervalMs: aDuration(),
  clock: aClock,
};
const KNOWN_NAMES = new Set<string>(Object.values(MetricName));

/**
 * Powertools Metrics behind {@link TokenMetrics}.
 *
 * Why one instance per tokenType: a Powertools `Metrics` serializes ONE dimension set for its
 * whole buffer, so two tokenTypes in one buffer would either share a dimension value (wrong) or
 * need one document each anyway. An instance per tokenType, with `tokenType` as its only default
 * dimension, keeps buffering (one line per tokenType per flush instead of one per data point) and
 * keeps every data point under its own tokenType.
 *
 * `POWERTOOLS_METRICS_DISABLED=true`, or `POWERTOOLS_DEV=true` without it, turns publishing off
 * (Powertools' own switches): `flush()` then discards the buffer.
 *
 * @throws ConfigurationError for an unknown or mistyped option, `metrics` together with
 * `namespace`/`serviceName`, or a `POWERTOOLS_METRICS_NAMESPACE` longer than 255 characters.
 */
export function createPowertoolsMetrics(options: PowertoolsMetricsOptions = {}): FlushableTokenMetrics {
  validateOptions('createPowertoolsMetrics', options, METRICS_OPTIONS);
  const logger = options.logger ?? silentLogger;
  if (options.metrics !== undefined) {
    if (options.namespace !== undefined || options.serviceName !== undefined) {
      throw new ConfigurationError(
        'createPowertoolsMetrics: "namespace" and "serviceName" configure the default instances; an injected "metrics" keeps its own',
      );
    }
    return injectedMetrics(options.metrics, logger);
  }
  const namespace = options.namespace ?? defaultNamespace();
  const serviceName = options.serviceName ?? defaultServiceName();
  const interval = options.cacheHitFlushIntervalMs ?? 60_000;
  return bufferedMetrics(namespace, serviceName, logger, interval, options.clock ?? systemClock);
}

/**
 * `POWERTOOLS_METRICS_NAMESPACE` when set and not blank (Powertools' own variable, so one setting
 * serves the function's metrics and the token's), else {@link METRIC_NAMESPACE}.
 * @throws ConfigurationError when the variable is longer than CloudWatch's 255 characters.
 */
export function defaultNamespace(): string {
  const fromEnv = process.env.POWERTOOLS_METRICS_NAMESPACE;
  if (fromEnv === undefined || fromEnv.trim() === '') return METRIC_NAMESPACE;
  const problem = aServiceName.problem(fromEnv);
  if (problem !== undefined) throw new ConfigurationError(`POWERTOOLS_METRICS_NAMESPACE ${problem}`);
  return fromEnv;
}

/** What one tokenType has recorded since its last publish. */
interface Pending {
  metrics: Metrics;
  /** Count metrics, summed: one data point each per publish. */
  counts: Map<MetricName, number>;
  /** Epoch ms of the oldest cache hit not yet published. */
  hitsSince: number | undefined;
  /** Something other than a cache hit is waiting: publish at the next flush. */
  eventful: boolean;
}

function bufferedMetrics(
  namespace: string,
  serviceName: string,
  logger: TokenLogger,
  cacheHitFlushIntervalMs: number,
  clock: Clock,
): FlushableTokenMetrics {
  const byTokenType = new Map<string, Pending>();

  function pendingFor(tokenType: string): Pending {
    let pending = byTokenType.get(tokenType);
    if (pending === undefined) {
      const metrics = new Metrics({ namespace });
      // Powertools always starts with a `service` default dimension; the set must be [tokenType].
      metrics.clearDefaultDimensions();
      metrics.setDefaultDimensions({ [TOKEN_TYPE_DIMENSION]: tokenType });
      pending = { metrics, counts: new Map(), hitsSince: undefined, eventful: false };
      byTokenType.set(tokenType, pending);
    }
    return pending;
  }

  function publish(tokenType: string, pending: Pending): void {
    try {
      for (const [name, total] of pending.counts)
        if (total > 0) pending.metrics.addMetric(name, MetricUnit.Count, total);
      pending.counts.clear();
      pending.hitsSince = undefined;
      pending.eventful = false;
      // An empty publish makes Powertools warn on stderr: skip it.
      if (!pending.metrics.hasStoredMetrics()) return;
      pending.metrics.addMetadata('service', serviceName);
      pending.metrics.publishStoredMetrics();
    } catch (error) {
      logger.warn('could not publish token metrics', { tokenType, error: errorName(error) });
    }
  }

  return {
    record: function recordPowertoolsMetric(name, value, tokenType) {
      if (!isRecordable(name, value, tokenType, logger)) return;
      const pending = pendingFor(tokenType);
      if (UNITS[name] === MetricUnit.Count) {
        // The warm path lands here on every invocation: an addition, no Powertools call.
        pending.counts.set(name, (pending.counts.get(name) ?? 0) + value);
        if (name !== MetricName.TokenCacheHit) pending.eventful = true;
        else pending.hitsSince ??= clock.now();
        return;
      }
      try {
        // Durations keep every data point (their distribution matters); they are rare.
        pending.metrics.addMetadata('service', serviceName);
        pending.metrics.addMetric(name, UNITS[name], value);
        pending.eventful = true;
      } catch (error) {
        dropped(logger, name, tokenType, error);
      }
    },
    flush: function flushPowertoolsMetrics(options = {}) {
      const now = clock.now();
      for (const [tokenType, pending] of byTokenType) {
        const hitsDue = pending.hitsSince !== undefined && now - pending.hitsSince >= cacheHitFlushIntervalMs;
        if (options.force || pending.eventful || hitsDue) publish(tokenType, pending);
      }
    },
  };
}

function injectedMetrics(metrics: PowertoolsMetricsLike, logger: TokenLogger): FlushableTokenMetrics {
  return {
    record: function recordInjectedMetric(name, value, tokenType) {
      if (!isRecordable(name, value, tokenType, logger)) return;
      try {
        // singleMetric() inherits the namespace and default dimensions and publishes on addMetric.
        const single = metrics.singleMetric();
        single.addDimension(TOKEN_TYPE_DIMENSION, tokenType);
        single.addMetric(name, UNITS[name], value);
      } catch (error) {
        dropped(logger, name, tokenType, error);
      }
    },
    flush: function flushInjectedMetrics() {
      // Every data point was published when recorded; the injected buffer is its owner's.
    },
  };
}

/** Guards the token path: a metric is never worth an exception in `getToken()`. */
function isRecordable(name: unknown, value: unknown, tokenType: unknown, logger: TokenLogger): boolean {
  const problem = !KNOWN_NAMES.has(name as string)
    ? 'unknown metric name'
    : typeof value !== 'number' || !Number.isFinite(value) || value < 0
      ? 'value is not a finite number >= 0'
      : typeof tokenType !== 'string' || tokenType === ''
        ? 'tokenType is not a non-empty string'
        : undefined;
  if (problem === undefined) return true;
  logger.warn('token metric dropped', {
    metric: typeof name === 'string' && KNOWN_NAMES.has(name) ? name : undefined,
    reason: problem,
  });
  return false;
}

function dropped(logger: TokenLogger, name: MetricName, tokenType: string, error: unknown): void {
  logger.warn('token metric dropped', { metric: name, tokenType, error: errorName(error) });
}

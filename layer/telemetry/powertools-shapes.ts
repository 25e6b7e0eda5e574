/**
 * What the library uses of a Powertools `Metrics` instance, as structural types. The public
 * options name these instead of Powertools' classes, so the layer's declarations import no
 * `@aws-lambda-powertools/*` module: a user's project compiles against them with only what the
 * layer provides (`skipLibCheck: false` included), and any Powertools 2.x `Metrics` fits
 * (test/types/powertools-shapes.types.ts assigns real instances). The Logger side needs no type
 * of its own: {@link TokenLogger} already has the shape of Powertools' Logger methods.
 */

/** The CloudWatch units of the library's metrics (Powertools' `MetricUnit.Count` / `.Milliseconds`). */
export type TokenMetricUnit = 'Count' | 'Milliseconds';

/** A metric published on its own: what Powertools' `metrics.singleMetric()` returns. */
export interface SingleMetricLike {
  addDimension(name: string, value: string): unknown;
  /** Publishes at once: a single metric is flushed when its one data point is added. */
  addMetric(name: string, unit: TokenMetricUnit, value: number): unknown;
}

/**
 * A Powertools `Metrics` instance, as far as an injected one is used: each data point goes out
 * through `singleMetric()`, which keeps the instance's namespace and default dimensions.
 */
export interface PowertoolsMetricsLike {
  singleMetric(): SingleMetricLike;
}

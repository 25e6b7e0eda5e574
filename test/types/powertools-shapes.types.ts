/**
 * Type test, compiled by `tsc --noEmit -p tsconfig.json` (make typecheck), never run: real
 * Powertools Logger and Metrics instances fit the structural types the public options use, so the
 * layer's declarations need no Powertools types while a user's own instances still type-check.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  PowertoolsLoggerOptions,
  PowertoolsMetricsOptions,
  SharedTokenOptions,
  TokenLogger,
} from 'lambda-shared-token';
import type { PowertoolsMetricsLike, SingleMetricLike } from 'lambda-shared-token/advanced';

export const logger = new Logger({ serviceName: 'orders' }) satisfies TokenLogger;
export const metrics = new Metrics({ namespace: 'Orders' }) satisfies PowertoolsMetricsLike;
export const single = new Metrics().singleMetric() satisfies SingleMetricLike;

export const loggerOptions: PowertoolsLoggerOptions = { logger };
export const metricsOptions: PowertoolsMetricsOptions = { metrics, logger };
export const coreOptions: Pick<SharedTokenOptions, 'logger'> = { logger };

// The types are not `any`: what lacks the methods used is refused.
// @ts-expect-error a logger needs debug, info, warn and error
export const halfALogger: PowertoolsLoggerOptions = { logger: { info() {} } };
// @ts-expect-error an injected Metrics needs singleMetric()
export const notMetrics: PowertoolsMetricsOptions = { metrics: { addMetric() {} } };

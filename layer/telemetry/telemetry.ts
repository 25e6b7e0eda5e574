/**
 * Metric names (dimension `tokenType`) and the narrow interfaces the core reports through.
 * Powertools' Logger and Metrics satisfy them; the default is silent so the core adds nothing
 * to a cold start it was not asked for.
 */

/** The namespace of the default metrics when neither `namespace` nor POWERTOOLS_METRICS_NAMESPACE names one. */
export const METRIC_NAMESPACE = 'SharedToken';

export const MetricName = {
  TokenCacheHit: 'TokenCacheHit',
  TokenStoreRead: 'TokenStoreRead',
  TokenRefreshed: 'TokenRefreshed',
  TokenRefreshFailed: 'TokenRefreshFailed',
  LockContended: 'LockContended',
  LockWaitMs: 'LockWaitMs',
  LockTakeover: 'LockTakeover',
  ProviderRejected: 'ProviderRejected',
  RetrySucceeded: 'RetrySucceeded',
  DecryptFailed: 'DecryptFailed',
  LeaseLost: 'LeaseLost',
  /**
   * A rejection not refreshed: its version replaced a rejected token less than
   * `rejectionRefreshIntervalMs` ago (the fleet-wide bound on rejection-driven refreshes).
   */
  RejectionRefreshLimited: 'RejectionRefreshLimited',
  /**
   * A refresh cut short by its caller's deadline (the lease was cut to the time the caller had
   * left): not a provider failure, so no back-off and no TokenRefreshFailed.
   */
  RefreshCutShort: 'RefreshCutShort',
  /**
   * The provider rotated the refresh token and the new one could not be stored (the commit failed
   * for good, or the lease was lost): the next refresh sends the old one. Alarm on it (docs/telemetry.md).
   */
  RotatedRefreshTokenLost: 'RotatedRefreshTokenLost',
  /** The provider refused the refresh token (invalid_grant): a person must replace it. */
  RefreshTokenExpired: 'RefreshTokenExpired',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Structured fields of a log line or event. Never put a token, salt or credential here. */
export type LogAttributes = Record<string, string | number | boolean | undefined>;

/** The shape of Powertools' Logger methods, so a user's own Logger instance can be passed as it is. */
export interface TokenLogger {
  debug(message: string, ...attributes: LogAttributes[]): void;
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}

/** Receives one call per metric data point; `value` is a count, or milliseconds for `LockWaitMs`. */
export interface TokenMetrics {
  record(name: MetricName, value: number, tokenType: string): void;
}

const noop = (): void => {};
export const silentLogger: TokenLogger = { debug: noop, info: noop, warn: noop, error: noop };
export const silentMetrics: TokenMetrics = { record: noop };

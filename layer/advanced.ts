/**
 * `lambda-shared-token/advanced`: the building blocks under the entry points, for those who
 * assemble their own (a custom store or secret source, a cipher over their own key, tests
 * that drive the protocol). A function author needs only `lambda-shared-token`.
 */

export {
  DEFAULT_DATA_KEY_MAX_AGE_MS,
  DEFAULT_DATA_KEY_MAX_USES,
  DEFAULT_DECRYPT_CACHE_MAX_ENTRIES,
  KmsCipher,
} from './crypto/kms-cipher.js';
export type { KmsClientLike, KmsClientOptions } from './crypto/kms-data-keys.js';
export { KMS_ENVELOPE_VERSION } from './crypto/kms-envelope.js';
export { MIN_KEY_LENGTH, MIN_SALT_LENGTH, SaltCipher, type SaltCipherOptions } from './crypto/salt-cipher.js';
export type { DeadlineReason } from './errors/error-classes.js';
export { REFRESH_TOKEN_EXPIRED_MESSAGE } from './lease/lease-holder.js';
export type { DeferReason } from './lease/refresh-outcome.js';
export { TokenManager } from './lease/token-manager.js';
export type { TokenManagerOptions } from './lease/token-manager-options.js';
export { MAX_TOKEN_ANSWER_BYTES } from './providers/bounded-body.js';
export { type OAuth2ClientCredentialsOptions, OAuth2ClientCredentialsProvider } from './providers/oauth2.js';
export {
  type OAuth2RefreshTokenOptions,
  OAuth2RefreshTokenProvider,
} from './providers/oauth2-refresh-token.js';
export {
  SALESFORCE_INVALID_SESSION,
  SALESFORCE_REQUEST_LIMIT,
  type SalesforceOptions,
  SalesforceProvider,
} from './providers/salesforce.js';
export type { ClientCredentialFields } from './providers/secret-fields.js';
export type { ProviderCredentials, ProviderFactory } from './providers/token-provider.js';
export { MAX_EXPIRES_IN_SECONDS, parseTokenResponse } from './providers/token-response.js';
export { RATE_LIMIT_CODES } from './rejection.js';
export type { RemainingTime } from './scheduled-refresh.js';
export { SCHEDULED_REFRESH_MESSAGE } from './scheduled-refresh.js';
export { ProviderSecret, parseProviderSecret } from './secret/provider-secret.js';
export { checkSecretNameConvention, validateSecretName } from './secret/secret-name.js';
export {
  DEFAULT_SECRET_CACHE_EXPIRY_MS,
  type SecretSource,
  SecretsManagerSource,
  type SecretsManagerSourceOptions,
} from './secret/secret-source.js';
export { ENV_TABLE_NAME, readEnvironment, type SharedTokenEnvironment } from './store/table-environment.js';
export type {
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  ReleaseRequest,
  TokenRecord,
} from './store/token-record.js';
export { type TokenRepository, TokenStore, type TokenStoreOptions } from './store/token-store.js';
export { DEFAULT_SERVICE_NAME } from './telemetry/powertools-logger.js';
export { type FlushableTokenMetrics, TOKEN_TYPE_DIMENSION } from './telemetry/powertools-metrics.js';
export type {
  PowertoolsMetricsLike,
  SingleMetricLike,
  TokenMetricUnit,
} from './telemetry/powertools-shapes.js';
export { type LogAttributes, METRIC_NAMESPACE, silentLogger, silentMetrics } from './telemetry/telemetry.js';
export { type Clock, fromEpochSeconds, systemClock, toEpochSeconds } from './time/clock.js';
export {
  checkSecretTenant,
  checkTokenTypePart,
  parseTokenType,
  TENANT_SEPARATOR,
  type TokenTypeParts,
  tenantTokenType,
} from './token-type.js';

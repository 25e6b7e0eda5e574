/**
 * lambda-shared-token: the framework-free core. Many Lambda functions share one access
 * token per provider through one DynamoDB item, encrypted, with a conditional write as
 * the lock. Middy users import `lambda-shared-token/middleware` instead.
 */
export { AccessToken } from './access-token.js';
export {
  DEFAULT_DATA_KEY_MAX_AGE_MS,
  DEFAULT_DATA_KEY_MAX_USES,
  DEFAULT_DECRYPT_CACHE_MAX_ENTRIES,
  KmsCipher,
  type KmsCipherOptions,
  kmsCipher,
} from './crypto/kms-cipher.js';
export type { KmsClientLike } from './crypto/kms-data-keys.js';
export { KMS_ENVELOPE_VERSION } from './crypto/kms-envelope.js';
export { MIN_SALT_LENGTH, SaltCipher, type SaltCipherOptions } from './crypto/salt-cipher.js';
export type { TokenCipher } from './crypto/token-cipher.js';
export {
  ConfigurationError,
  DecryptError,
  InvalidProviderResponseError,
  isSharedTokenError,
  KmsError,
  LeaseLostError,
  LockWaitTimeoutError,
  RefreshTokenExpiredError,
  RejectionRefreshLimitedError,
  SecretError,
  SharedTokenError,
  TableNotFoundError,
  TokenRefreshError,
  TokenStoreError,
} from './errors/error-classes.js';
export { REFRESH_TOKEN_EXPIRED_MESSAGE } from './lease/lease-holder.js';
export type { DeferReason, RefreshOutcome } from './lease/refresh-outcome.js';
export { type GetTokenOptions, TokenManager } from './lease/token-manager.js';
export type { TokenManagerOptions } from './lease/token-manager-options.js';
export { MAX_TOKEN_ANSWER_BYTES } from './providers/bounded-body.js';
export {
  type ClientCredentialFields,
  type OAuth2ClientCredentialsFactoryOptions,
  type OAuth2RefreshTokenFactoryOptions,
  oauth2ClientCredentials,
  oauth2RefreshToken,
  type SalesforceFactoryOptions,
  salesforce,
} from './providers/factories.js';
export {
  functionProvider,
  type TokenFunction,
  type TokenFunctionRequest,
} from './providers/function-provider.js';
export { type OAuth2ClientCredentialsOptions, OAuth2ClientCredentialsProvider } from './providers/oauth2.js';
export {
  type OAuth2RefreshTokenOptions,
  OAuth2RefreshTokenProvider,
} from './providers/oauth2-refresh-token.js';
export {
  SALESFORCE_INVALID_SESSION,
  SALESFORCE_REQUEST_LIMIT,
  SalesforceApiError,
  type SalesforceOptions,
  SalesforceProvider,
} from './providers/salesforce.js';
export type {
  ProviderCredentials,
  ProviderFactory,
  ProviderToken,
  TokenProvider,
  TokenRequest,
} from './providers/token-provider.js';
export { MAX_EXPIRES_IN_SECONDS, parseTokenResponse } from './providers/token-response.js';
export {
  httpStatusOf,
  isRateLimitError,
  isTokenRejectedError,
  isTokenRejection,
  RATE_LIMIT_CODES,
  type RejectionPredicate,
  TokenRejectedError,
} from './rejection.js';
export {
  type RefreshSummary,
  type RefreshTarget,
  type RefreshTokensOptions,
  type RemainingTime,
  refreshTokens,
  SCHEDULED_REFRESH_MESSAGE,
  ScheduledRefreshError,
  type ScheduledRefreshHandlerOptions,
  scheduledRefreshHandler,
} from './scheduled-refresh.js';
export type { CipherFactory } from './secret/secret-binding.js';
export {
  DEFAULT_SECRET_CACHE_EXPIRY_MS,
  type SecretSource,
  SecretsManagerSource,
  type SecretsManagerSourceOptions,
  secretReadError,
} from './secret/secret-source.js';
export {
  clearParsedSecrets,
  ProviderSecret,
  parseProviderSecret,
  parseProviderSecretCached,
  validateSecretName,
} from './secret/secrets.js';
export {
  SHARED_TOKEN_OPTION_NAMES,
  SharedToken,
  type SharedTokenOptions,
} from './shared-token.js';
export { ENV_TABLE_NAME, readEnvironment, type SharedTokenEnvironment } from './store/table-environment.js';
export {
  type ClaimRequest,
  type ClaimResult,
  type CommitRequest,
  type ReleaseRequest,
  type TokenRecord,
  type TokenRepository,
  TokenStore,
  type TokenStoreOptions,
} from './store/token-store.js';
export {
  createPowertoolsLogger,
  createPowertoolsMetrics,
  DEFAULT_SERVICE_NAME,
  type FlushableTokenMetrics,
  type PowertoolsLoggerOptions,
  type PowertoolsMetricsOptions,
  TOKEN_TYPE_DIMENSION,
} from './telemetry/powertools-telemetry.js';
export {
  type LogAttributes,
  METRIC_NAMESPACE,
  MetricName,
  silentLogger,
  silentMetrics,
  type TokenLogger,
  type TokenMetrics,
} from './telemetry/telemetry.js';
export { TenantTokens, type TenantTokensOptions } from './tenants/tenant-tokens.js';
export { type Clock, fromEpochSeconds, systemClock, toEpochSeconds } from './time/clock.js';
export {
  checkSecretTenant,
  checkTokenTypePart,
  parseTokenType,
  TENANT_SEPARATOR,
  type TokenTypeParts,
  tenantTokenType,
} from './token-type.js';

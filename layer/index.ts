/**
 * `lambda-shared-token`: what a function author uses. Many Lambda functions share one access
 * token per provider through one DynamoDB item, encrypted, with a conditional write as the lock.
 *
 * - Entry points: `SharedToken` (one provider), `TenantTokens` (one token per tenant),
 *   `scheduledRefreshHandler` / `refreshTokens` (refresh ahead on a schedule).
 * - Providers: `oauth2ClientCredentials`, `oauth2RefreshToken`, `salesforce`, `functionProvider`.
 * - `kmsCipher` to encrypt under a KMS key instead of the secret's key.
 * - The typed errors, the rejection helpers, and the Powertools adapters for `logger` / `metrics`.
 *
 * Middy users import `lambda-shared-token/middleware`, which re-exports all of this. The
 * building blocks (the manager, the store, the ciphers' classes, parsers, constants) are in
 * `lambda-shared-token/advanced`; anything exported by neither is internal.
 */
export { AccessToken } from './access-token.js';
export { type KmsCipherOptions, kmsCipher } from './crypto/kms-cipher.js';
export type { TokenCipher } from './crypto/token-cipher.js';
export {
  ConfigurationError,
  DecryptError,
  InvalidProviderResponseError,
  isSharedTokenError,
  KmsError,
  LockWaitTimeoutError,
  RefreshTokenExpiredError,
  RejectionRefreshLimitedError,
  SecretError,
  SharedTokenError,
  TableNotFoundError,
  TokenRefreshError,
  TokenStoreError,
} from './errors/error-classes.js';
export type { RefreshOutcome } from './lease/refresh-outcome.js';
export type { GetTokenOptions } from './lease/token-manager.js';
export {
  type FunctionProviderOptions,
  functionProvider,
  type TokenFunction,
  type TokenFunctionRequest,
} from './providers/function-provider.js';
export { type OAuth2ClientCredentialsFactoryOptions, oauth2ClientCredentials } from './providers/oauth2.js';
export {
  type OAuth2RefreshTokenFactoryOptions,
  oauth2RefreshToken,
} from './providers/oauth2-refresh-token.js';
export { SalesforceApiError, type SalesforceFactoryOptions, salesforce } from './providers/salesforce.js';
export type { ProviderToken, TokenProvider, TokenRequest } from './providers/token-provider.js';
export {
  httpStatusOf,
  isRateLimitError,
  isTokenRejectedError,
  isTokenRejection,
  type RejectionPredicate,
  TokenRejectedError,
} from './rejection.js';
export {
  type RefreshSummary,
  type RefreshTarget,
  type RefreshTokensOptions,
  refreshTokens,
  ScheduledRefreshError,
  type ScheduledRefreshHandlerOptions,
  scheduledRefreshHandler,
} from './scheduled-refresh.js';
export type { CipherFactory } from './secret/secret-binding.js';
export { SharedToken, type SharedTokenOptions } from './shared-token.js';
export { createPowertoolsLogger, type PowertoolsLoggerOptions } from './telemetry/powertools-logger.js';
export { createPowertoolsMetrics, type PowertoolsMetricsOptions } from './telemetry/powertools-metrics.js';
export { MetricName, type TokenLogger, type TokenMetrics } from './telemetry/telemetry.js';
export { TenantTokens, type TenantTokensOptions } from './tenants/tenant-tokens.js';

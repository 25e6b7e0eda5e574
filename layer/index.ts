/**
 * lambda-shared-token: the framework-free core. Many Lambda functions share one access
 * token per provider through one DynamoDB item, encrypted, with a conditional write as
 * the lock. Middy users import `lambda-shared-token/middleware` instead.
 */
export { AccessToken } from './access-token.js';
export { type Clock, fromEpochSeconds, systemClock, toEpochSeconds } from './clock.js';
export { ENV_TABLE_NAME, readEnvironment, type SharedTokenEnvironment } from './config.js';
export { MIN_SALT_LENGTH, SaltCipher, type SaltCipherOptions } from './crypto/salt-cipher.js';
export type { TokenCipher } from './crypto/token-cipher.js';
export {
  ConfigurationError,
  DecryptError,
  InvalidProviderResponseError,
  isSharedTokenError,
  LeaseLostError,
  LockWaitTimeoutError,
  SharedTokenError,
  TableNotFoundError,
  TokenRefreshError,
  TokenStoreError,
} from './errors.js';
export { type OAuth2ClientCredentialsOptions, OAuth2ClientCredentialsProvider } from './providers/oauth2.js';
export type { ProviderToken, TokenProvider, TokenRequest } from './providers/token-provider.js';
export { MAX_EXPIRES_IN_SECONDS, parseTokenResponse } from './providers/token-response.js';
export {
  type LogAttributes,
  METRIC_NAMESPACE,
  MetricName,
  silentLogger,
  silentMetrics,
  type TokenLogger,
  type TokenMetrics,
} from './telemetry.js';
export { type GetTokenOptions, TokenManager } from './token-manager.js';
export type { TokenManagerOptions } from './token-manager-options.js';
export {
  type ClaimRequest,
  type ClaimResult,
  type CommitRequest,
  type ReleaseRequest,
  type TokenRecord,
  type TokenRepository,
  TokenStore,
  type TokenStoreOptions,
} from './token-store.js';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AccessToken } from './access-token.js';
import { withCallTimeouts } from './aws/aws-client-config.js';
import { SaltCipher } from './crypto/salt-cipher.js';
import { ConfigurationError } from './errors/error-classes.js';
import { errorName } from './errors/error-name.js';
import type { RefreshOutcome } from './lease/refresh-outcome.js';
import { type GetTokenOptions, TokenManager } from './lease/token-manager.js';
import { TOKEN_MANAGER_OPTIONS, type TokenManagerOptions } from './lease/token-manager-options.js';
import {
  aFunction,
  anObject,
  anyValue,
  type OptionRules,
  required,
  validateOptions,
} from './options/option-rules.js';
import type { ProviderFactory } from './providers/token-provider.js';
import { isTokenRejection, type RejectionPredicate } from './rejection.js';
import { type CipherFactory, SecretBinding } from './secret/secret-binding.js';
import { aSecretCacheExpiry, refuseExpiryWithOwnSource } from './secret/secret-cache-expiry.js';
import { validateSecretName } from './secret/secret-name.js';
import { type SecretSource, SecretsManagerSource } from './secret/secret-source.js';
import { aTableName, readEnvironment } from './store/table-environment.js';
import { type TokenRepository, TokenStore } from './store/token-store.js';
import { createPowertoolsLogger } from './telemetry/powertools-logger.js';
import { createPowertoolsMetrics, type FlushableTokenMetrics } from './telemetry/powertools-metrics.js';
import { MetricName, type TokenLogger, type TokenMetrics } from './telemetry/telemetry.js';

/**
 * Options of {@link SharedToken}. The timing options (`skewMs`, `leaseMs`, ...) are the
 * TokenManager's and keep its defaults.
 */
export interface SharedTokenOptions
  extends Omit<TokenManagerOptions, 'store' | 'cipher' | 'provider' | 'logger' | 'metrics'> {
  /**
   * Name or ARN of the Secrets Manager secret holding the provider credentials and `key` (or
   * `keys`, current first, while rotating). Any name Secrets Manager accepts; docs/secret.md
   * recommends `/{env}/{service}/{secret-type}/{name}` (`checkSecretNameConvention`).
   */
  secretName: string;
  /** Builds the provider from the secret: `oauth2ClientCredentials(...)`, `salesforce(...)`, `functionProvider(...)`. */
  provider: ProviderFactory;
  /** Where the secret comes from. Not together with `secretCacheExpiry`. @default a SecretsManagerSource for `secretName` */
  secrets?: SecretSource;
  /**
   * Milliseconds a fetched secret is reused before Secrets Manager is asked again: `0` fetches on
   * every call, `-1` (or `Infinity`) keeps it for the container's life, 1 to 999 is refused as
   * probably seconds. A rotation is also picked up at once on `invalid_client` or an unknown key id.
   * @default 300_000 (5 minutes)
   */
  secretCacheExpiry?: number;
  /** @default a SaltCipher over the secret's keys */
  cipher?: CipherFactory;
  /**
   * The DynamoDB table of the tokens. Not together with `store`.
   * @default process.env.DYNAMODB_TABLE_ACCESS_TOKENS
   */
  tableName?: string;
  /**
   * Your DynamoDB client (tracing, retries, region), used as it is. The caller's deadline still
   * bounds every call. Not together with `store`.
   * @default a DynamoDBClient with the layer's connection (1 s) and request (5 s) timeouts
   */
  dynamoDBClient?: DynamoDBClient;
  /** Any implementation of the store's conditional operations. @default a TokenStore on `tableName` through `dynamoDBClient` */
  store?: TokenRepository;
  /**
   * Which errors of the caller's API call mean "token rejected".
   * @default isTokenRejection (401/403, not rate limits, not the handler's own `expose: true` answer)
   */
  isRejection?: RejectionPredicate;
  /**
   * For a call that RETURNS the upstream API's answer instead of throwing it (an API Gateway
   * handler passing a status through): which results mean "token rejected". Such a result is
   * handled as a thrown rejection: one refresh for every container, one more call; when that
   * fails too, the first result is returned as it was.
   * @default none: results are never inspected
   */
  isRejectedResponse?: (response: unknown) => boolean;
  /** @default a Powertools Logger (service from POWERTOOLS_SERVICE_NAME, else 'lambda-shared-token') */
  logger?: TokenLogger;
  /** @default Powertools Metrics in namespace SharedToken, dimension tokenType, published by `flushMetrics()` */
  metrics?: TokenMetrics | FlushableTokenMetrics;
}

/** Every option SharedToken accepts: its own and the TokenManager's, which keep their defaults. */
export const SHARED_TOKEN_OPTIONS: OptionRules = {
  ...TOKEN_MANAGER_OPTIONS,
  // Checked by validateSecretName, whose message says what Secrets Manager would refuse.
  secretName: required(anyValue),
  provider: required({
    problem: (value) =>
      typeof value === 'function'
        ? undefined
        : 'must be a provider factory such as oauth2ClientCredentials()',
  }),
  secrets: anObject,
  secretCacheExpiry: aSecretCacheExpiry(),
  cipher: aFunction,
  store: anObject,
  tableName: aTableName,
  dynamoDBClient: {
    problem: (value) =>
      typeof (value as { send?: unknown }).send === 'function' ? undefined : 'must be a DynamoDBClient',
  },
  isRejection: aFunction,
  isRejectedResponse: aFunction,
  logger: anObject,
  metrics: anObject,
};

const saltCipher: CipherFactory = (secret) => new SaltCipher({ keys: secret.keys });

/**
 * One provider's shared token, the framework-free way: the secret, the store, the
 * protocol, and the "rejected: refresh once, run again" rule. The Middy middleware is a
 * thin adapter over this class; so is any other framework's.
 *
 * @example
 * const salesforceToken = new SharedToken({
 *   tokenType: 'salesforce',
 *   secretName: '/prod/orders/oauth/salesforce',
 *   provider: salesforce(),
 * });
 * export const handler = async (event, context) =>
 *   salesforceToken.run((token) => queryAccounts(token.value), {
 *     deadline: Date.now() + context.getRemainingTimeInMillis(),
 *   });
 */
export class SharedToken {
  readonly tokenType: string;
  readonly secretName: string;
  private readonly binding: SecretBinding;
  private readonly manager: TokenManager;
  private readonly isRejection: RejectionPredicate;
  private readonly isRejectedResponse: ((response: unknown) => boolean) | undefined;
  private readonly logger: TokenLogger;
  private readonly metrics: TokenMetrics & { flush?(options?: { force?: boolean }): void };

  constructor(options: SharedTokenOptions) {
    validateOptions('SharedToken', options, SHARED_TOKEN_OPTIONS);
    const {
      secretName,
      provider,
      secrets,
      secretCacheExpiry,
      cipher,
      store,
      tableName,
      dynamoDBClient,
      isRejection,
      isRejectedResponse,
      logger,
      metrics,
      ...managerOptions
    } = options;
    validateSecretName(secretName);
    refuseExpiryWithOwnSource('SharedToken', { secrets, secretCacheExpiry });
    this.secretName = secretName;
    this.logger = logger ?? createPowertoolsLogger();
    this.metrics = metrics ?? createPowertoolsMetrics();
    this.isRejection = isRejection ?? isTokenRejection;
    this.isRejectedResponse = isRejectedResponse;
    this.binding = new SecretBinding({
      tokenType: String(managerOptions.tokenType),
      secretName,
      secrets:
        secrets ??
        new SecretsManagerSource({
          secretName,
          ...(secretCacheExpiry !== undefined && { cacheExpiryMs: secretCacheExpiry }),
        }),
      provider,
      cipher: cipher ?? saltCipher,
      logger: this.logger,
    });
    this.manager = new TokenManager({
      ...managerOptions,
      store: storeFrom({ store, tableName, dynamoDBClient }, 'SharedToken'),
      cipher: this.binding.cipher,
      provider: this.binding.provider,
      logger: this.logger,
      metrics: this.metrics,
    });
    this.tokenType = this.manager.tokenType;
  }

  /** A valid token: from memory on a warm invocation (the secret comes from its cache too). */
  getToken(options: GetTokenOptions = {}): Promise<AccessToken> {
    // The warm path: secret unchanged in its cache, token fresh in memory. Nothing to await.
    if (this.binding.isCurrent()) {
      const token = this.manager.cachedToken(options);
      if (token !== undefined) return Promise.resolve(token);
    }
    return this.getTokenAfterUpdate(options);
  }

  private async getTokenAfterUpdate(options: GetTokenOptions): Promise<AccessToken> {
    await this.updateSecret(options);
    return this.manager.getToken(options);
  }

  /** The secret brought up to date, its read abandoned at the caller's deadline. */
  private updateSecret(options: GetTokenOptions): Promise<unknown> {
    return this.manager.withinDeadline(options, (signal) => this.binding.update({ signal }));
  }

  /** The provider rejected `rejected`: a newer token, one provider call however many callers report it. */
  async refreshRejected(rejected: AccessToken | number, options: GetTokenOptions = {}): Promise<AccessToken> {
    await this.updateSecret(options);
    return this.manager.refreshRejected(rejected, options);
  }

  /**
   * Runs `call` with a valid token. If it fails with a rejection of that token (see
   * `isRejection`), or returns one (see `isRejectedResponse`), refreshes that version once for
   * every container and runs `call` once more with the new token. When the retry fails too, or
   * the refresh does, the ORIGINAL error (or result) surfaces unchanged: the caller sees the
   * API's answer, not ours.
   */
  async run<T>(call: (token: AccessToken) => Promise<T> | T, options: GetTokenOptions = {}): Promise<T> {
    const token = await this.getToken(options);
    return this.runWith(token, call, options);
  }

  /** `run` for a caller that already holds `token` (the middleware got it in `before`). */
  async runWith<T>(
    token: AccessToken,
    call: (token: AccessToken) => Promise<T> | T,
    options: GetTokenOptions = {},
  ): Promise<T> {
    let result: T;
    try {
      result = await call(token);
    } catch (original) {
      const fresh = await this.refreshIfRejected({ error: original }, token, options);
      if (!fresh) throw original;
      return this.retry(
        call,
        fresh,
        () => {
          throw original;
        },
        options,
      );
    }
    const fresh = await this.refreshIfRejected({ response: result }, token, options);
    if (!fresh) return result;
    return this.retry(call, fresh, () => result, options);
  }

  /**
   * When `outcome` (what a call with `token` threw, or returned) is a rejection of that token,
   * refreshes it for every container (one provider call however many report it) and returns the
   * new token; otherwise, or when the refresh fails, `undefined`. Never throws: the caller's
   * own outcome is what surfaces. The Middy middleware attached with `.use()` alone calls this
   * from `onError` and `after`, so the next invocation gets a new token even without a retry.
   */
  async refreshIfRejected(
    outcome: { error: unknown } | { response: unknown },
    token: AccessToken,
    options: GetTokenOptions = {},
  ): Promise<AccessToken | undefined> {
    if (!this.rejects(outcome)) return undefined;
    try {
      return await this.refreshRejected(token, options);
    } catch (refreshError) {
      this.logger.warn('token rejected and the refresh failed; the original error surfaces', {
        tokenType: this.tokenType,
        version: token.version,
        error: errorName(refreshError),
      });
      return undefined;
    }
  }

  private rejects(outcome: { error: unknown } | { response: unknown }): boolean {
    if ('error' in outcome) return this.isRejection(outcome.error);
    if (this.isRejectedResponse === undefined) return false;
    try {
      return this.isRejectedResponse(outcome.response) === true;
    } catch {
      // A predicate that throws must not replace the API's answer with its own error.
      return false;
    }
  }

  /** The one retry after a refresh: its result, or `surfaceOriginal()` when it fails or is rejected again. */
  private async retry<T>(
    call: (token: AccessToken) => Promise<T> | T,
    fresh: AccessToken,
    surfaceOriginal: () => T,
    options: GetTokenOptions,
  ): Promise<T> {
    let result: T;
    try {
      result = await call(fresh);
    } catch (retryError) {
      this.logger.warn('retry with a refreshed token failed too; the original error surfaces', {
        tokenType: this.tokenType,
        version: fresh.version,
        error: errorName(retryError),
      });
      return surfaceOriginal();
    }
    if (this.rejects({ response: result })) {
      this.logger.warn('retry with a refreshed token was rejected too; the original answer surfaces', {
        tokenType: this.tokenType,
        version: fresh.version,
      });
      return surfaceOriginal();
    }
    this.metrics.record(MetricName.RetrySucceeded, 1, this.tokenType);
    await this.manager.confirmRejectionRefresh(fresh, options);
    return result;
  }

  /**
   * For the scheduled refresher: refreshes the token when it is missing, expired or inside the
   * refresh-ahead window, never otherwise; see `TokenManager.refreshIfDue`. Loads the secret first.
   */
  async refreshIfDue(options: GetTokenOptions = {}): Promise<RefreshOutcome> {
    await this.updateSecret(options);
    return this.manager.refreshIfDue(options);
  }

  /** Forget the in-memory token (the next call reads the store). */
  clearCache(): void {
    this.manager.clearCache();
  }

  /**
   * Publishes buffered metrics (Powertools EMF); call at the end of an invocation. Cache hits
   * alone wait up to a minute (no output on a warm invocation); `{ force: true }` sends them now.
   */
  flushMetrics(options?: { force?: boolean }): void {
    this.metrics.flush?.(options);
  }
}

/**
 * The store the options name: `store` itself, or a TokenStore on `tableName` (else the table of
 * DYNAMODB_TABLE_ACCESS_TOKENS, read now: a missing variable fails at cold start, naming it) through
 * `dynamoDBClient` (else a client with the layer's call timeouts). SharedToken's and TenantTokens'.
 */
export function storeFrom(
  options: Pick<SharedTokenOptions, 'store' | 'tableName' | 'dynamoDBClient'>,
  owner: string,
): TokenRepository {
  const { store, tableName, dynamoDBClient } = options;
  if (store !== undefined) {
    if (tableName !== undefined || dynamoDBClient !== undefined) {
      throw new ConfigurationError(
        `${owner} takes "store", or "tableName" and "dynamoDBClient" to build one, not both`,
      );
    }
    return store;
  }
  return new TokenStore({
    client: dynamoDBClient ?? new DynamoDBClient(withCallTimeouts({})),
    tableName: tableName ?? readEnvironment().tableName,
  });
}

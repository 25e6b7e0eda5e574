/**
 * Where the provider secret comes from. Middy users get it from `@middy/secrets-manager`; users
 * of the core API without Middy use {@link SecretsManagerSource}, which caches the same way.
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { checkClientConfig, withCallTimeouts } from '../aws/aws-client-config.js';
import { awsErrorName } from '../aws/aws-error-name.js';
import { ConfigurationError, SecretError } from '../errors/error-classes.js';
import {
  aClock,
  anObject,
  anyValue,
  type OptionRules,
  required,
  validateOptions,
} from '../options/option-rules.js';
import { type Clock, systemClock } from '../time/clock.js';
import { abandonAt } from '../time/deadline.js';
import {
  aSecretCacheExpiry,
  DEFAULT_SECRET_CACHE_EXPIRY_MS,
  secretCacheExpiryMs,
} from './secret-cache-expiry.js';
import { validateSecretName } from './secret-name.js';

export { DEFAULT_SECRET_CACHE_EXPIRY_MS };

/** A source of the raw provider secret: a JSON string or an already parsed object, for `parseProviderSecret`. */
export interface SecretSource {
  /**
   * @param options.forceRefresh - skip the cache and fetch anew (after `invalid_client`, or when
   * no key of the secret decrypts the stored token: the secret may have rotated).
   * @param options.signal - aborted at the caller's deadline: stop waiting then, with a
   * SecretError whose `abandoned` is true (a source that never waits may ignore it).
   */
  load(options?: SecretLoadOptions): Promise<unknown>;
  /**
   * Optional: the cached value when it is fetched and still fresh, without I/O or a promise;
   * `undefined` otherwise. It lets a warm `getToken()` answer without awaiting anything.
   */
  peek?(): unknown;
}

/** The options of {@link SecretSource.load}. */
export interface SecretLoadOptions {
  forceRefresh?: boolean;
  signal?: AbortSignal;
}

interface SecretsManagerSourceBaseOptions {
  /** The secret's name or ARN, as Secrets Manager takes it; see `validateSecretName`. */
  secretName: string;
  /**
   * How long a loaded value is reused, in MILLISECONDS, from the start of its fetch. `0` fetches
   * on every load (concurrent loads still share one fetch); `-1` or `Infinity` never expires;
   * 1 to 999 is refused as probably seconds (layer/secret/secret-cache-expiry.ts).
   * @default 300_000 (5 minutes)
   */
  cacheExpiryMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** Options of {@link SecretsManagerSource}: `client` and `clientConfig` exclude each other. */
export type SecretsManagerSourceOptions = SecretsManagerSourceBaseOptions &
  (
    | {
        /** A client of your own (shared with your code, or a test double exposing `send`). */
        client: SecretsManagerClient;
        clientConfig?: never;
      }
    | {
        client?: never;
        /**
         * Configuration of the client this source creates.
         * @default {} (region, credentials and endpoint from the environment)
         */
        clientConfig?: SecretsManagerClientConfig;
      }
  );

/** Every option SecretsManagerSource accepts, with what its value must be. */
const SECRETS_MANAGER_SOURCE_OPTIONS: OptionRules = {
  // Checked by validateSecretName, whose message says what Secrets Manager would refuse.
  secretName: required(anyValue),
  client: anObject,
  clientConfig: anObject,
  // The same rule as every secret cache expiry; checked at load time, so no cap for a timer.
  cacheExpiryMs: aSecretCacheExpiry(),
  clock: aClock,
};

interface CacheEntry {
  readonly promise: Promise<string>;
  /** Epoch ms. */
  readonly expiresAt: number;
  settled: boolean;
  /** The fetched value, once the promise has resolved. */
  value?: string;
}

/**
 * Reads the secret with GetSecretValue and caches the PROMISE: concurrent loads share one call,
 * a rejection is evicted at once (the next load tries again), and `forceRefresh` replaces the
 * entry. Expiry is checked at load time against the clock: no timer keeps the process alive.
 *
 * @example
 * const source = new SecretsManagerSource({ secretName: '/prod/orders/oauth/salesforce' });
 * const secret = parseProviderSecret(source.secretName, await source.load());
 */
export class SecretsManagerSource implements SecretSource {
  readonly secretName: string;
  readonly #client: SecretsManagerClient;
  readonly #cacheExpiryMs: number;
  readonly #clock: Clock;
  #entry: CacheEntry | undefined;

  /**
   * @throws ConfigurationError for an unknown or mistyped option, `client` together with
   * `clientConfig`, or a `secretName` Secrets Manager would refuse.
   */
  constructor(options: SecretsManagerSourceOptions) {
    validateOptions('SecretsManagerSource', options, SECRETS_MANAGER_SOURCE_OPTIONS);
    if (options.client !== undefined && options.clientConfig !== undefined) {
      throw new ConfigurationError(
        'SecretsManagerSource options "client" and "clientConfig" exclude each other: pass one',
      );
    }
    this.secretName = validateSecretName(options.secretName);
    this.#cacheExpiryMs = secretCacheExpiryMs(options.cacheExpiryMs);
    this.#clock = options.clock ?? systemClock;
    checkClientConfig(options.clientConfig, 'SecretsManagerSource clientConfig');
    this.#client = options.client ?? new SecretsManagerClient(withCallTimeouts(options.clientConfig));
  }

  /**
   * The secret's `SecretString`, from the cache while it is fresh.
   * @throws SecretError naming the secret: it does not exist, reading it is not allowed, it holds
   * binary data or nothing, or the call failed (the SDK error, when it cannot hold the secret, is
   * the `cause`).
   */
  load(options?: SecretLoadOptions): Promise<string> {
    const now = this.#clock.now();
    const entry = this.#entry;
    if (options?.forceRefresh !== true && entry !== undefined && (!entry.settled || now < entry.expiresAt)) {
      return entry.settled ? entry.promise : this.#waitFor(entry.promise, options?.signal);
    }
    const promise = this.#fetch();
    const fresh: CacheEntry = { promise, expiresAt: now + this.#cacheExpiryMs, settled: false };
    this.#entry = fresh;
    promise.then(
      (value) => {
        fresh.settled = true;
        fresh.value = value;
      },
      () => {
        // Only this fetch's own entry: a forceRefresh may have replaced it meanwhile.
        if (this.#entry === fresh) this.#entry = undefined;
      },
    );
    return this.#waitFor(promise, options?.signal);
  }

  /**
   * The fetch, or a SecretError (`abandoned`) at the caller's deadline. The fetch itself goes on
   * for the callers who share it, bounded by the client's timeouts, and fills the cache.
   */
  #waitFor(fetch: Promise<string>, signal: AbortSignal | undefined): Promise<string> {
    return secretReadUntil(fetch, signal, this.secretName);
  }

  peek(): string | undefined {
    const entry = this.#entry;
    return entry?.value !== undefined && this.#clock.now() < entry.expiresAt ? entry.value : undefined;
  }

  async #fetch(): Promise<string> {
    const name = this.secretName;
    let response: GetSecretValueCommandOutput;
    try {
      response = await this.#client.send(new GetSecretValueCommand({ SecretId: name }));
    } catch (error) {
      throw secretReadError(name, error);
    }
    if (typeof response.SecretString === 'string') return response.SecretString;
    if (response.SecretBinary !== undefined) {
      throw new SecretError(
        `secret "${name}" holds binary data (SecretBinary); store the provider JSON as a SecretString`,
        name,
      );
    }
    throw new SecretError(`secret "${name}" is empty or missing`, name);
  }
}

/**
 * A read of the secret, or a SecretError (`abandoned`) once `signal` aborts (the caller's
 * deadline): this caller stops waiting, and the read goes on for whoever else shares it.
 */
export function secretReadUntil<T>(
  read: Promise<T>,
  signal: AbortSignal | undefined,
  secretName: string,
): Promise<T> {
  return abandonAt(
    read,
    signal,
    () =>
      new SecretError(`reading secret "${secretName}" was abandoned at the caller's deadline`, secretName, {
        abandoned: true,
      }),
  );
}

const REGION_MISSING = /^Region is missing$/;

/** The error's message for matching, or '' when reading it throws (a getter, a revoked proxy). */
function messageOf(error: SdkErrorShape): string {
  try {
    return typeof error.message === 'string' ? error.message : '';
  } catch {
    return '';
  }
}

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * GetSecretValue's failure as a SecretError that names the secret, whoever made the call
 * (this source, or `@middy/secrets-manager` for the middleware).
 */
export function secretReadError(secretName: string, error: unknown): SecretError {
  const sdkError = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  // The AWS error name, or for a failure with no answer the Node code (ECONNREFUSED, ETIMEDOUT).
  const name = awsErrorName(error);
  const status = sdkError.$metadata?.httpStatusCode;
  const cause = safeCause(error, name, status);
  // The SDK's own message for a client with no region: read, never repeated.
  if (name === 'Error' && REGION_MISSING.test(messageOf(sdkError))) {
    return new SecretError(
      `could not read secret "${secretName}": no AWS region (set AWS_REGION, or the client's region)`,
      secretName,
      { cause },
    );
  }
  switch (name) {
    case 'ResourceNotFoundException':
      return new SecretError(
        `secret "${secretName}" does not exist (or has no current version) in this account and region`,
        secretName,
        { cause },
      );
    case 'AccessDeniedException':
      return new SecretError(
        `not allowed to read secret "${secretName}": the role needs secretsmanager:GetSecretValue on it ` +
          '(and kms:Decrypt on its key when that is a customer managed key)',
        secretName,
        { cause },
      );
    case 'DecryptionFailure':
      return new SecretError(
        `Secrets Manager could not decrypt secret "${secretName}" with its KMS key (check kms:Decrypt)`,
        secretName,
        { cause },
      );
    default:
      return new SecretError(
        `could not read secret "${secretName}" (${name}${status === undefined ? '' : `, HTTP ${status}`})`,
        secretName,
        { cause },
      );
  }
}

/**
 * The SDK error itself when it cannot hold the secret, else a stand-in naming it.
 *
 * An error ANSWER (HTTP 4xx/5xx) carries the service's error document, and a transport failure
 * (no answer: refused, reset, timed out) carries Node's message: neither holds the secret. But a
 * 2xx answer that failed to deserialize carries the body, which IS the secret, in `$response`
 * and `$responseBodyText`, and V8's SyntaxError message quotes a piece of it.
 */
function safeCause(error: unknown, name: string, status: number | undefined): Error {
  const answered =
    typeof error === 'object' && error !== null && ('$response' in error || status !== undefined);
  if (error instanceof Error && (status === undefined ? !answered : status >= 400)) return error;
  return new Error(
    `${name} while reading GetSecretValue's answer${status === undefined ? '' : ` (HTTP ${status})`}; ` +
      'details withheld because that answer may hold the secret',
  );
}

import secretsManager from '@middy/secrets-manager';
import { clearCache, getCache } from '@middy/util';
import { type SecretSource, secretReadError } from '../layer/secret-source.js';

/** The part of a Middy request the secret source touches. */
export interface SecretRequest {
  internal: Record<string, unknown>;
}

export interface MiddySecretSourceOptions {
  secretName: string;
  /** Milliseconds a fetched secret is reused (Middy's `cacheExpiry`). */
  cacheExpiry: number;
  /** Passed to the SecretsManagerClient (region, endpoint, credentials...). */
  awsClientOptions: Record<string, unknown>;
  /** When false, Middy fetches the secret at cold start, before the first invocation. */
  disablePrefetch: boolean;
}

/**
 * The provider secret through `@middy/secrets-manager`: fetched once per `cacheExpiry`,
 * shared by concurrent invocations (Middy caches the promise), kept in `request.internal`
 * and never on the handler's context.
 *
 * Middy's middleware needs a request to write into; a forced fetch asked by the core in the
 * middle of `getToken` (an unknown key id, `invalid_client`) uses the request of the
 * invocation under way. A Lambda container runs one invocation at a time, so that is the
 * invocation that asked.
 */
export class MiddySecretSource implements SecretSource {
  /** Middy's cache key and the `request.internal` key: one entry per secret, whoever reads it. */
  readonly cacheKey: string;
  private readonly before: (request: SecretRequest) => Promise<void>;
  private request: SecretRequest = { internal: {} };
  /** `loadInto` just ran `before`: the next `load` reads its result instead of running it again. */
  private primed = false;
  /** The last cache entry seen resolved, and its value: what `peek` answers with. */
  private seen: { promise: unknown; value: unknown } | undefined;

  constructor(private readonly options: MiddySecretSourceOptions) {
    this.cacheKey = `lambda-shared-token:${options.secretName}`;
    const middleware = secretsManager({
      fetchData: { [this.cacheKey]: options.secretName },
      cacheKey: this.cacheKey,
      // Explicit: Middy 6's rotation-date option does not keep a secret fresh (DESIGN.md, Secrets).
      cacheExpiry: options.cacheExpiry,
      awsClientOptions: options.awsClientOptions,
      disablePrefetch: options.disablePrefetch,
      setToContext: false,
    });
    this.before = middleware.before as unknown as (request: SecretRequest) => Promise<void>;
    // A failed cold-start prefetch must not be an unhandled rejection: the first invocation
    // fetches again (Middy evicts failed entries) and reports the error there.
    this.prefetched()?.catch(() => undefined);
  }

  /** Called by the middleware's `before`: puts the secret's promise in `request.internal`. */
  async loadInto(request: SecretRequest): Promise<unknown> {
    this.request = request;
    await this.before(request);
    this.primed = true;
    return this.read(request);
  }

  /**
   * The secret for the invocation under way. Right after `loadInto` it is the value just put in
   * `request.internal` (Middy's `before` runs once per invocation, even with no cache); a forced
   * load clears Middy's entry and fetches again.
   */
  async load(options: { forceRefresh?: boolean } = {}): Promise<unknown> {
    if (options.forceRefresh) clearCache([this.cacheKey]);
    const request = this.request;
    if (options.forceRefresh || !this.primed) await this.before(request);
    this.primed = false;
    return this.read(request);
  }

  /**
   * The value of Middy's current cache entry when this source has seen it resolve, without I/O;
   * `undefined` when Middy replaced the entry (expired, cleared) or it is still pending.
   */
  peek(): unknown {
    const entry = getCache(this.cacheKey) as { value?: Record<string, unknown>; expiry?: number };
    const pending = entry.value?.[this.cacheKey];
    if (pending === undefined || pending !== this.seen?.promise) return undefined;
    if (entry.expiry !== undefined && this.options.cacheExpiry >= 0 && entry.expiry <= Date.now())
      return undefined;
    return this.seen.value;
  }

  private async read(request: SecretRequest): Promise<unknown> {
    const promise = request.internal[this.cacheKey];
    try {
      const value = await promise;
      this.seen = { promise, value };
      return value;
    } catch (error) {
      throw secretReadError(this.options.secretName, error);
    }
  }

  private prefetched(): Promise<unknown> | undefined {
    const value = getCache(this.cacheKey).value as Record<string, Promise<unknown>> | undefined;
    return value?.[this.cacheKey];
  }
}

import secretsManager from '@middy/secrets-manager';
import { clearCache, getCache } from '@middy/util';
import { awsErrorName } from '../layer/aws/aws-error-name.js';
import {
  type SecretLoadOptions,
  type SecretSource,
  secretReadError,
  secretReadUntil,
} from '../layer/secret/secret-source.js';
import { silentLogger, type TokenLogger } from '../layer/telemetry/telemetry.js';

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
  /** Receives a warning when a background refresh fails (the error's name, never its message). @default silent */
  logger?: TokenLogger | undefined;
}

/** The part of a `@middy/util` cache entry (`getCache`) this source reads. */
interface MiddyCacheEntry {
  /** Fetch key to the promise of its value; Middy sets a key to undefined when its fetch failed. */
  value?: Record<string, unknown>;
  /** Epoch ms. */
  expiry?: number;
  /** Middy's timer that fetches again at `expiry`: only on an entry it fetched with `cacheExpiry` > 0. */
  refresh?: ReturnType<typeof setTimeout>;
  /** Set by Middy on the entry that is left once a failed fetch is evicted. */
  modified?: boolean;
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
 *
 * Background refresh (`cacheExpiry` > 0). Middy fetches the secret again on a timer when an
 * entry expires, with no invocation running, and nobody awaits that fetch: a failure (secret
 * deleted, access revoked, network) would be an `unhandledRejection`, which ends a Lambda
 * container. So this source runs that timer in Middy's place (same moment, same fetch through
 * Middy's `before`, unref'd) and awaits the fetch:
 * - success: the new value is what `peek()` answers, and the next refresh is armed, as Middy does;
 * - failure: a `warn` through `logger` naming the secret and the error's name (never its message).
 *   Middy has evicted the value and stops refreshing; `peek()` keeps answering the last value
 *   seen until an invocation fetches again. That next invocation's `loadInto` fetches anew:
 *   if the failure persists it rejects with the SecretError of `secretReadError`; if it was
 *   transient the invocation gets the secret.
 * Whoever clears Middy's cache (`clearCache`) also stops the refresh: a timer whose entry is gone
 * does nothing.
 */
export class MiddySecretSource implements SecretSource {
  /** Middy's cache key and the `request.internal` key: one entry per secret, whoever reads it. */
  readonly cacheKey: string;
  private readonly before: (request: SecretRequest) => Promise<void>;
  private readonly logger: TokenLogger;
  private request: SecretRequest = { internal: {} };
  /** `loadInto` just ran `before`: the next `load` reads its result instead of running it again. */
  private primed = false;
  /** The last cache entry seen resolved, and its value: what `peek` answers with. */
  private seen: { promise: unknown; value: unknown } | undefined;
  /** The entry whose refresh this source has taken over from Middy, and the timer that runs it. */
  private refreshing: { entry: MiddyCacheEntry; timer: ReturnType<typeof setTimeout> } | undefined;
  /**
   * Middy's entry as the background refresh left it (pending, or evicted after a failure): `peek`
   * keeps answering the last value seen while this is still Middy's entry.
   */
  private refreshedEntry: MiddyCacheEntry | undefined;

  constructor(private readonly options: MiddySecretSourceOptions) {
    this.cacheKey = `lambda-shared-token:${options.secretName}`;
    this.logger = options.logger ?? silentLogger;
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
    this.takeOverRefresh();
  }

  /**
   * Called by the middleware's `before`: puts the secret's promise in `request.internal`, without
   * waiting for it. The next `load` waits for it, bounded by its caller's deadline.
   */
  async prime(request: SecretRequest): Promise<void> {
    this.request = request;
    await this.fetchThroughMiddy(request);
    this.primed = true;
  }

  /** `prime`, then the secret. */
  async loadInto(request: SecretRequest): Promise<unknown> {
    await this.prime(request);
    return this.read(request);
  }

  /**
   * The secret for the invocation under way. Right after `loadInto` it is the value just put in
   * `request.internal` (Middy's `before` runs once per invocation, even with no cache); a forced
   * load clears Middy's entry and fetches again.
   */
  async load(options: SecretLoadOptions = {}): Promise<unknown> {
    if (options.forceRefresh) clearCache([this.cacheKey]);
    const request = this.request;
    if (options.forceRefresh || !this.primed) await this.fetchThroughMiddy(request);
    this.primed = false;
    // Middy's fetch has no deadline of its own: this caller stops waiting at its own.
    return secretReadUntil(this.read(request), options.signal, this.options.secretName);
  }

  /**
   * The value of Middy's current cache entry when this source has seen it resolve, without I/O;
   * `undefined` when Middy replaced the entry (expired, cleared) or it is still pending. A
   * background refresh is the exception: while it is in flight, and after it failed until the
   * next fetch, the last value seen is still answered (see the class comment).
   */
  peek(): unknown {
    const entry = this.middyEntry();
    if (entry === this.refreshedEntry) return this.seen?.value;
    const pending = entry.value?.[this.cacheKey];
    if (pending === undefined || pending !== this.seen?.promise) return undefined;
    if (entry.expiry !== undefined && this.options.cacheExpiry >= 0 && entry.expiry <= Date.now())
      return undefined;
    return this.seen.value;
  }

  /** Middy's `before`, then the refresh timer it may have armed taken over. */
  private async fetchThroughMiddy(request: SecretRequest): Promise<void> {
    try {
      await this.before(request);
    } finally {
      this.takeOverRefresh();
    }
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

  /**
   * Replaces the timer Middy armed on a fresh entry by one of this source's, due at the same
   * moment. Middy's would fetch with nobody awaiting the promise.
   */
  private takeOverRefresh(): void {
    const entry = this.middyEntry();
    // `modifyCache` copies an old (cleared) timer onto the entry it leaves after a failure.
    if (entry.refresh === undefined || entry.modified || entry === this.refreshing?.entry) return;
    clearTimeout(entry.refresh);
    this.armRefresh(entry);
  }

  private armRefresh(entry: MiddyCacheEntry): void {
    clearTimeout(this.refreshing?.timer);
    const delay = Math.max(0, (entry.expiry ?? 0) - Date.now());
    const timer = setTimeout(() => this.refreshInBackground(entry), delay);
    // Middy's timer kept the process alive; a refresh nobody waits for has no reason to.
    timer.unref();
    this.refreshing = { entry, timer };
  }

  /** What Middy's timer would have done, awaited: fetch again through `before`, catch a failure. */
  private refreshInBackground(entry: MiddyCacheEntry): void {
    // Cleared or replaced meanwhile: whoever replaced it fetched, and took over its refresh.
    if (this.middyEntry() !== entry) return;
    // A timer may fire just before the wall clock reaches `expiry`, when Middy would still serve the entry.
    if ((entry.expiry ?? 0) > Date.now()) {
      this.armRefresh(entry);
      return;
    }
    // Even a logger that throws must not become the unhandled rejection this is here to prevent.
    this.fetchInBackground().catch(() => undefined);
  }

  private async fetchInBackground(): Promise<void> {
    const request: SecretRequest = { internal: {} };
    try {
      await this.fetchThroughMiddy(request);
      // From here Middy's entry is the pending fetch: peek keeps the last value meanwhile.
      this.refreshedEntry = this.middyEntry();
      const promise = request.internal[this.cacheKey];
      this.seen = { promise, value: await promise };
      this.refreshedEntry = undefined;
    } catch (error) {
      this.backgroundRefreshFailed(error);
    }
  }

  private backgroundRefreshFailed(error: unknown): void {
    // Middy has just evicted the value: peek keeps the last one until an invocation fetches again.
    this.refreshedEntry = this.middyEntry();
    // The name only: an SDK message may quote the request, and this line has no invocation to fail.
    this.logger.warn(
      'provider secret could not be refreshed in the background; the next invocation fetches it again',
      { secretName: this.options.secretName, error: awsErrorName(error) },
    );
  }

  private middyEntry(): MiddyCacheEntry {
    return getCache(this.cacheKey) as MiddyCacheEntry;
  }

  private prefetched(): Promise<unknown> | undefined {
    const value = this.middyEntry().value as Record<string, Promise<unknown>> | undefined;
    return value?.[this.cacheKey];
  }
}

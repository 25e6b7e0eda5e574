import secretsManager from '@middy/secrets-manager';
import { clearCache } from '@middy/util';
import { awsErrorName } from '../layer/aws/aws-error-name.js';
import {
  type SecretLoadOptions,
  type SecretSource,
  secretReadError,
  secretReadUntil,
} from '../layer/secret/secret-source.js';
import { silentLogger, type TokenLogger } from '../layer/telemetry/telemetry.js';
import { type Clock, systemClock } from '../layer/time/clock.js';
import { knownFetch, recordFetch, type SecretFetch } from './secret-fetch.js';

/** The part of a Middy request the secret source touches. */
export interface SecretRequest {
  internal: Record<string, unknown>;
}

export interface MiddySecretSourceOptions {
  secretName: string;
  /**
   * Milliseconds a fetched secret is reused, from when it was asked for; 0 fetches every invocation,
   * -1 or Infinity never again (layer/secret/secret-cache-expiry.ts).
   */
  cacheExpiry: number;
  /** Passed to the SecretsManagerClient (region, endpoint, credentials...). */
  awsClientOptions: Record<string, unknown>;
  /** When false, Middy fetches the secret at cold start, before the first invocation. */
  disablePrefetch: boolean;
  /** Receives a warning when a background refresh fails (the error's name, never its message). @default silent */
  logger?: TokenLogger | undefined;
  /** Tells the age of a fetch. @default systemClock */
  clock?: Clock | undefined;
}

/** The sources whose background refresh is armed: what {@link stopSecretRefreshes} ends. */
const armedSources = new Set<MiddySecretSource>();

/**
 * Stops every background refresh of a secret armed in this process (a finite
 * `secretCacheExpiry`), so none fires in a later test; the next invocation fetches as usual.
 * `clearSharedTokenCaches` of `lambda-shared-token/testing` calls it.
 */
export function stopSecretRefreshes(): void {
  for (const source of armedSources) source.stopRefresh();
}

/**
 * The provider secret through `@middy/secrets-manager`: fetched once per `cacheExpiry`, the
 * fetch shared by concurrent invocations (Middy caches the promise), kept in `request.internal`
 * and never on the handler's context.
 *
 * Only Middy's public API is used: the middleware's documented options, its `before`, the
 * promise it puts in `request.internal`, and `clearCache`. Middy is told to keep the secret for
 * the container's life (`cacheExpiry: -1`); this source records when it asked for each fetch
 * (secret-fetch.ts) and clears Middy's entry once that fetch is older than `cacheExpiry`, so the
 * next `before` fetches anew. Middy itself still drops a failed fetch, and fetches it again at
 * the next `before`.
 *
 * Middy's middleware needs a request to write into; a forced fetch asked by the core in the
 * middle of `getToken` (an unknown key id, `invalid_client`) uses the request of the
 * invocation under way. A Lambda container runs one invocation at a time, so that is the
 * invocation that asked.
 *
 * Background refresh (`cacheExpiry` > 0): once a fetch has resolved, a timer (unref'd) fetches
 * again when it expires, with no invocation running, as Middy's own refresh does; this source
 * awaits that fetch, so its failure is never an `unhandledRejection` (which ends a Lambda
 * container):
 * - success: the new value is what `peek()` answers, and the next refresh is armed;
 * - failure: a `warn` through `logger` naming the secret and the error's name (never its message),
 *   and no further refresh. `peek()` keeps answering the last value until an invocation fetches
 *   again; if the failure persists that invocation gets the SecretError of `secretReadError`,
 *   if it was transient it gets the secret.
 */
export class MiddySecretSource implements SecretSource {
  /** Middy's cache key and the `request.internal` key: one entry per secret, whoever reads it. */
  readonly cacheKey: string;
  private readonly before: (request: SecretRequest) => Promise<void>;
  private readonly logger: TokenLogger;
  private readonly clock: Clock;
  /** Milliseconds; Infinity for the container's life. */
  private readonly cacheExpiry: number;
  private request: SecretRequest = { internal: {} };
  /** `prime` just ran `before`: the next `load` reads its result instead of running it again. */
  private primed = false;
  /** The fetch this source uses now: the one its last `before` was handed. */
  private current: SecretFetch | undefined;
  /** While a background refresh is in flight, or after it failed: the value `peek` keeps answering. */
  private kept: SecretFetch['resolved'];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: MiddySecretSourceOptions) {
    this.cacheKey = `lambda-shared-token:${options.secretName}`;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    // -1 is Middy's way of writing "for the container's life"; one form from here on.
    this.cacheExpiry = options.cacheExpiry < 0 ? Number.POSITIVE_INFINITY : options.cacheExpiry;
    const middleware = secretsManager({
      fetchData: { [this.cacheKey]: options.secretName },
      cacheKey: this.cacheKey,
      // Kept until this source clears it: a timer of Middy's would refresh it with nobody to await
      // the fetch. The rotation-date option is not used either: a rotation is noticed on
      // invalid_client or an unknown key id, and fetched at once.
      cacheExpiry: -1,
      awsClientOptions: options.awsClientOptions,
      disablePrefetch: options.disablePrefetch,
      setToContext: false,
    });
    this.before = middleware.before as unknown as (request: SecretRequest) => Promise<void>;
    if (!options.disablePrefetch) this.adoptPrefetch();
  }

  /**
   * Called by the middleware's `before`: puts the secret's promise in `request.internal`, without
   * waiting for it. The next `load` waits for it, bounded by its caller's deadline.
   */
  async prime(request: SecretRequest): Promise<void> {
    this.request = request;
    this.follow(await this.fetchThroughMiddy(request, false), 'invocation');
    this.primed = true;
  }

  /** `prime`, then the secret. */
  async loadInto(request: SecretRequest): Promise<unknown> {
    await this.prime(request);
    return this.read(request);
  }

  /**
   * The secret for the invocation under way. Right after `prime` it is the value just put in
   * `request.internal`; a forced load clears Middy's entry and fetches again.
   */
  async load(options: SecretLoadOptions = {}): Promise<unknown> {
    const request = this.request;
    if (options.forceRefresh || !this.primed) {
      this.follow(await this.fetchThroughMiddy(request, options.forceRefresh === true), 'invocation');
    }
    this.primed = false;
    // Middy's fetch has no deadline of its own: this caller stops waiting at its own.
    return secretReadUntil(this.read(request), options.signal, this.options.secretName);
  }

  /**
   * The value of the current fetch once it has resolved and until it expires, without I/O;
   * `undefined` otherwise. A background refresh is the exception: while it is in flight, and
   * after it failed until the next invocation fetches, the last value is still answered (see
   * the class comment).
   */
  peek(): unknown {
    if (this.kept !== undefined) return this.kept.value;
    const fetch = this.current;
    return fetch?.resolved === undefined || this.isExpired(fetch) ? undefined : fetch.resolved.value;
  }

  /** Middy's fetch for `request`: the one it holds while that is fresh, else a new one. */
  private async fetchThroughMiddy(request: SecretRequest, force: boolean): Promise<SecretFetch> {
    if (!force) {
      const { fetch, asked } = await this.askMiddy(request);
      if (asked || !this.isExpired(fetch)) return fetch;
    }
    clearCache([this.cacheKey]);
    return (await this.askMiddy(request)).fetch;
  }

  /** Middy's `before`, and what it put in `request.internal`: a fetch seen before, or one `asked` now. */
  private async askMiddy(request: SecretRequest): Promise<{ fetch: SecretFetch; asked: boolean }> {
    const askedAt = this.clock.now();
    await this.before(request);
    const promise = request.internal[this.cacheKey];
    const known = knownFetch(promise);
    return known === undefined
      ? { fetch: recordFetch(promise, askedAt), asked: true }
      : { fetch: known, asked: false };
  }

  /**
   * Makes `fetch` the current one; once it resolves, its value is what `peek` answers, and its
   * refresh is armed. A new fetch for an invocation ends what a background refresh `kept`.
   */
  private follow(fetch: SecretFetch, by: 'invocation' | 'background'): void {
    if (fetch === this.current) return;
    this.current = fetch;
    if (by === 'invocation') this.kept = undefined;
    void fetch.settled.then((resolved) => {
      if (!resolved || this.current !== fetch) return;
      this.kept = undefined;
      this.armRefresh(fetch);
    });
  }

  private async read(request: SecretRequest): Promise<unknown> {
    try {
      return await request.internal[this.cacheKey];
    } catch (error) {
      throw secretReadError(this.options.secretName, error);
    }
  }

  private isExpired(fetch: SecretFetch): boolean {
    return this.clock.now() >= fetch.askedAt + this.cacheExpiry;
  }

  /**
   * Middy fetched at cold start, in its factory above; its `before` hands that fetch over without
   * asking again. Recorded now, a failed prefetch is not an unhandled rejection: the first
   * invocation fetches again (Middy drops failed fetches) and reports the error there.
   */
  private adoptPrefetch(): void {
    this.askMiddy({ internal: {} }).then(
      ({ fetch }) => this.follow(fetch, 'invocation'),
      () => undefined,
    );
  }

  private armRefresh(fetch: SecretFetch): void {
    // Never expires, or expires at every invocation: nothing to refresh in the background.
    if (this.cacheExpiry === 0 || this.cacheExpiry === Number.POSITIVE_INFINITY) return;
    clearTimeout(this.refreshTimer);
    const delay = Math.max(0, fetch.askedAt + this.cacheExpiry - this.clock.now());
    this.refreshTimer = setTimeout(() => this.refreshInBackground(fetch), delay);
    // Middy 6's timer kept the process alive; a refresh nobody waits for has no reason to.
    this.refreshTimer.unref();
    armedSources.add(this);
  }

  /** Ends the armed background refresh, if any; the next load fetches as usual. See {@link stopSecretRefreshes}. */
  stopRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    armedSources.delete(this);
  }

  private refreshInBackground(fetch: SecretFetch): void {
    armedSources.delete(this);
    // Replaced meanwhile (a forced load, another source): the new fetch armed its own refresh.
    if (this.current !== fetch) return;
    // A timer may fire just before the clock reaches the expiry, when the value is still fresh.
    if (!this.isExpired(fetch)) {
      this.armRefresh(fetch);
      return;
    }
    this.kept = fetch.resolved;
    // Even a logger that throws must not become the unhandled rejection this is here to prevent.
    this.fetchInBackground().catch(() => undefined);
  }

  private async fetchInBackground(): Promise<void> {
    try {
      const fetch = await this.fetchThroughMiddy({ internal: {} }, false);
      this.follow(fetch, 'background');
      await fetch.promise;
    } catch (error) {
      // The name only: an SDK message may quote the request, and this line has no invocation to fail.
      this.logger.warn(
        'provider secret could not be refreshed in the background; the next invocation fetches it again',
        { secretName: this.options.secretName, error: awsErrorName(error) },
      );
    }
  }
}

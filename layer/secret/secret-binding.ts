import type { CipherCallOptions, TokenCipher } from '../crypto/token-cipher.js';
import { isSharedTokenError } from '../errors/error-classes.js';
import type { ProviderFactory, TokenProvider, TokenRequest } from '../providers/token-provider.js';
import type { TokenLogger } from '../telemetry/telemetry.js';
import { checkSecretTenant } from '../token-type.js';
import { type ProviderSecret, parseProviderSecret } from './provider-secret.js';
import { type SecretSource, secretReadUntil } from './secret-source.js';

/** Builds the cipher from the current secret (by default a SaltCipher over its salts). */
export type CipherFactory = (secret: ProviderSecret) => TokenCipher;

export interface SecretBindingOptions {
  tokenType: string;
  secretName: string;
  secrets: SecretSource;
  provider: ProviderFactory;
  cipher: CipherFactory;
  logger: TokenLogger;
}

interface Bound {
  secret: ProviderSecret;
  raw: unknown;
  cipher: TokenCipher;
  provider: TokenProvider;
}

const INVALID_CLIENT = 'invalid_client';

/** Forced fetches remembered per secret generation; a cap keeps a hostile table from growing it. */
const MAX_REMEMBERED_RELOADS = 64;

/**
 * The cipher and the provider built from the provider's secret, rebuilt whenever the secret
 * changes. `cipher` and `provider` are stable objects the TokenManager keeps; they delegate
 * to whatever the current secret gives.
 *
 * Two failures mean "this container's copy of the secret may be old" (docs/secret.md),
 * and each forces one fresh fetch of the secret before it counts:
 * - an envelope under a key id the cipher does not hold: another container already writes
 *   under a newly added key. Without the fetch this container would treat a good token as
 *   missing and refresh it, a second provider call for one generation (I1).
 * - `invalid_client` from the token endpoint: the credentials were rotated.
 * A failure under a known key id is tampering or a swap (I5), and no fetch can cure it.
 */
export class SecretBinding {
  readonly cipher: TokenCipher;
  readonly provider: TokenProvider;
  private bound: Bound | undefined;
  private reloading: Promise<boolean> | undefined;
  /** Reasons already answered by a forced fetch under the current secret: asked once, not per read. */
  private readonly reloaded = new Set<string>();

  constructor(private readonly options: SecretBindingOptions) {
    this.cipher = {
      encrypt: (plaintext, context, options) => this.current().cipher.encrypt(plaintext, context, options),
      decrypt: (envelope, context, options) => this.decrypt(envelope, context, options),
    };
    const binding = this;
    this.provider = {
      fetchToken: (request) => this.fetchToken(request),
      // The current secret's provider's: known once the secret has been read (before any claim).
      get timeoutMs() {
        return binding.bound?.provider.timeoutMs;
      },
    };
  }

  /**
   * Brings the binding up to the secret source's current value. On a warm invocation the
   * source answers from its cache and the value is the same object: no parse, no rebuild.
   */
  async update(options?: { signal?: AbortSignal }): Promise<ProviderSecret> {
    const raw = await this.options.secrets.load(options?.signal && { signal: options.signal });
    const bound = this.bound;
    if (bound && bound.raw === raw) return bound.secret;
    return this.bind(raw).secret;
  }

  /**
   * True when the source's cached secret is, without I/O, the one bound now: the caller may skip
   * `update()`. False when the source cannot tell (no `peek`), or the secret changed or expired.
   */
  isCurrent(): boolean {
    const bound = this.bound;
    if (bound === undefined || this.options.secrets.peek === undefined) return false;
    const raw = this.options.secrets.peek();
    return raw !== undefined && raw === bound.raw;
  }

  /** The secret in use; `update()` must have run once. */
  get secret(): ProviderSecret {
    return this.current().secret;
  }

  private current(): Bound {
    if (!this.bound) throw new Error('SecretBinding used before update(): await update() first');
    return this.bound;
  }

  private bind(raw: unknown): Bound {
    const secret = parseProviderSecret(this.options.secretName, raw);
    checkSecretTenant(this.options.tokenType, this.options.secretName, secret.optional('tenant'));
    const previous = this.bound;
    if (previous && previous.secret.fingerprint === secret.fingerprint) {
      previous.raw = raw;
      return previous;
    }
    // Build both before switching, so a factory that throws leaves the old pair in place.
    const next: Bound = {
      secret,
      raw,
      cipher: this.options.cipher(secret),
      provider: this.options.provider(secret),
    };
    this.bound = next;
    this.reloaded.clear();
    if (previous) {
      this.options.logger.info('provider secret changed; cipher and provider rebuilt', {
        tokenType: this.options.tokenType,
        secretName: this.options.secretName,
      });
    }
    return next;
  }

  private async decrypt(envelope: string, context: string, options?: CipherCallOptions): Promise<string> {
    const { cipher } = this.current();
    try {
      return await cipher.decrypt(envelope, context, options);
    } catch (error) {
      if (!isSharedTokenError(error, 'DecryptError')) throw error;
      const keyId = cipher.keyIdOf?.(envelope);
      if (keyId !== undefined && cipher.keyIds?.().includes(keyId)) throw error;
      if (!(await this.reload(`key:${keyId ?? 'unreadable'}`, options?.signal))) throw error;
      return this.current().cipher.decrypt(envelope, context, options);
    }
  }

  private async fetchToken(request: TokenRequest) {
    try {
      return await this.current().provider.fetchToken(request);
    } catch (error) {
      if (!isInvalidClient(error)) throw error;
      if (!(await this.reload(INVALID_CLIENT, request.signal))) throw error;
      return this.current().provider.fetchToken(request);
    }
  }

  /**
   * One forced fetch of the secret per unknown key id and secret generation (a tampered item
   * must not cost a fetch per read), shared by concurrent callers. True when the secret changed (the caller should try again), false otherwise.
   */
  private reload(reason: string, signal: AbortSignal | undefined): Promise<boolean> {
    // invalid_client is never memoised: credentials rotated at the provider first reach the
    // secret later, and only the lease holder gets here, under the shared back-off.
    if (reason !== INVALID_CLIENT && this.reloaded.has(reason)) return Promise.resolve(false);
    if (this.reloaded.size >= MAX_REMEMBERED_RELOADS) this.reloaded.clear();
    this.reloaded.add(reason);
    this.reloading ??= this.forceReload(reason).finally(() => {
      this.reloading = undefined;
    });
    // This caller stops waiting at its deadline; the fetch goes on for the others.
    return secretReadUntil(this.reloading, signal, this.options.secretName);
  }

  private async forceReload(reason: string): Promise<boolean> {
    const before = this.current().secret.fingerprint;
    const raw = await this.options.secrets.load({ forceRefresh: true });
    const changed = this.bind(raw).secret.fingerprint !== before;
    this.options.logger.info('provider secret fetched again', {
      tokenType: this.options.tokenType,
      secretName: this.options.secretName,
      reason: reason === INVALID_CLIENT ? reason : 'unknown key id',
      changed,
    });
    return changed;
  }
}

function isInvalidClient(error: unknown): boolean {
  if (!isSharedTokenError(error, 'TokenRefreshError')) return false;
  const { oauthError, status } = error as { oauthError?: string; status?: number };
  return oauthError === 'invalid_client' || (oauthError === undefined && status === 401);
}

import { ConfigurationError } from '../errors/error-classes.js';
import type { Clock } from '../time/clock.js';
import {
  type ClientAuthMethod,
  checkOptionKeys,
  readAuthMethod,
  readClock,
  readFetch,
  readLifetimeSeconds,
  readTimeoutMs,
  requireHttpUrl,
  requireText,
} from './provider-options.js';
import {
  type ClientCredentialFields,
  CREDENTIAL_FIELDS,
  factoryFromSecret,
  requireFields,
} from './secret-fields.js';
import { postTokenForm } from './token-endpoint.js';
import type { ProviderFactory, ProviderToken, TokenProvider, TokenRequest } from './token-provider.js';
import { parseTokenResponse } from './token-response.js';

export { tokenEndpointError } from './token-endpoint.js';

const LABEL = 'OAuth2 provider';

/** The options every OAuth2 provider here takes, credentials aside. */
export const OAUTH2_SETTINGS = [
  'tokenUrl',
  'scope',
  'authMethod',
  'timeoutMs',
  'defaultExpiresInSeconds',
  'clock',
  'fetch',
] as const;

const KNOWN_OPTIONS = new Set<string>([...OAUTH2_SETTINGS, 'clientId', 'clientSecret']);

export interface OAuth2ClientCredentialsOptions {
  /**
   * The provider's token endpoint, `https://…/oauth2/token`. Without credentials: a URL with
   * `user:password@` or a credential query parameter (`client_secret=`, ...) is refused.
   */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes; omitted from the request when not set. */
  scope?: string;
  /**
   * Where the credentials go: an HTTP Basic header (`client_secret_basic`, the method RFC 6749
   * 2.3.1 requires every server to support) or the form body (`client_secret_post`, for a server
   * that takes only that). Basic sends both parts form-encoded (RFC 6749 2.3.1); a server that
   * does not decode them fails on a secret with `+ / = %` or spaces: use `'body'` there.
   * @default 'basic'
   */
  authMethod?: 'body' | 'basic';
  /** Upper bound of one token request; the lease also bounds it. @default 5_000 ms */
  timeoutMs?: number;
  /** Lifetime assumed when an answer has no `expires_in`. @default none: such an answer is an error */
  defaultExpiresInSeconds?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** `OAUTH2_SETTINGS`, validated and defaulted. */
export interface OAuth2Settings {
  tokenUrl: string;
  scope?: string;
  authMethod: ClientAuthMethod;
  timeoutMs: number;
  defaultExpiresInSeconds?: number;
  clock: Clock;
  fetch: typeof fetch;
}

/** Validates the options of `OAUTH2_SETTINGS` (not the credentials, not unknown keys). */
export function readOAuth2Settings(options: Record<string, unknown>, label: string): OAuth2Settings {
  requireHttpUrl(options.tokenUrl, 'tokenUrl', label);
  const { scope } = options;
  if (scope !== undefined && typeof scope !== 'string') {
    throw new ConfigurationError(`${label} option "scope" must be a string of space-separated scopes`);
  }
  const lifetime = readLifetimeSeconds(options.defaultExpiresInSeconds, 'defaultExpiresInSeconds', label);
  return {
    tokenUrl: options.tokenUrl as string,
    authMethod: readAuthMethod(options.authMethod, label),
    timeoutMs: readTimeoutMs(options.timeoutMs, label),
    clock: readClock(options.clock, label),
    fetch: readFetch(options.fetch, label),
    ...(typeof scope === 'string' && scope !== '' && { scope }),
    ...(lifetime !== undefined && { defaultExpiresInSeconds: lifetime }),
  };
}

/** The answer of a successful token request, parsed with the settings' clock and default lifetime. */
export function parseOAuth2Answer(body: string, tokenType: string, settings: OAuth2Settings): ProviderToken {
  return parseTokenResponse(body, {
    tokenType,
    now: settings.clock.now(),
    ...(settings.defaultExpiresInSeconds !== undefined && {
      defaultExpiresInSeconds: settings.defaultExpiresInSeconds,
    }),
  });
}

/**
 * What the OAuth2 grants share: the settings, the client's credentials, and the POST of a grant's
 * form to the token endpoint with them.
 */
export abstract class OAuth2Client implements TokenProvider {
  protected readonly settings: OAuth2Settings;
  private readonly clientId: string;
  private readonly clientSecret: string;

  /** Checks `options` against the `known` keys, then the settings and credentials, naming `label`. */
  constructor(options: OAuth2ClientCredentialsOptions, known: ReadonlySet<string>, label: string) {
    checkOptionKeys(options, known, label);
    this.settings = readOAuth2Settings(options, label);
    this.clientId = requireText(options.clientId, 'clientId', label);
    this.clientSecret = requireText(options.clientSecret, 'clientSecret', label);
  }

  /** The bound on one token request (the manager reads it to decide who may claim the lease). */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  abstract fetchToken(request: TokenRequest): Promise<ProviderToken>;

  /** POSTs the grant's `form` (plus `scope`) with the client's credentials; the answer's body. */
  protected postGrant(form: URLSearchParams, request: TokenRequest): Promise<string> {
    const { settings } = this;
    if (settings.scope) form.set('scope', settings.scope);
    return postTokenForm({
      tokenType: request.tokenType,
      url: settings.tokenUrl,
      form,
      client: { clientId: this.clientId, clientSecret: this.clientSecret, method: settings.authMethod },
      timeoutMs: settings.timeoutMs,
      signal: request.signal,
      fetch: settings.fetch,
    });
  }
}

/** OAuth2 `client_credentials` (RFC 6749 section 4.4) with Node's own fetch. */
export class OAuth2ClientCredentialsProvider extends OAuth2Client {
  constructor(options: OAuth2ClientCredentialsOptions) {
    super(options, KNOWN_OPTIONS, LABEL);
  }

  async fetchToken(request: TokenRequest): Promise<ProviderToken> {
    const body = await this.postGrant(new URLSearchParams({ grant_type: 'client_credentials' }), request);
    return parseOAuth2Answer(body, request.tokenType, this.settings);
  }
}

export interface OAuth2ClientCredentialsFactoryOptions
  extends Omit<OAuth2ClientCredentialsOptions, 'clientId' | 'clientSecret'> {
  /**
   * Names of the secret's fields, for a secret that names them differently: `{ clientId: 'consumerKey' }`.
   * @default { clientId: 'clientId', clientSecret: 'clientSecret' }
   */
  fields?: ClientCredentialFields;
}

/** OAuth2 client credentials with `clientId` and `clientSecret` from the secret. */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsFactoryOptions): ProviderFactory {
  const shape = {
    label: LABEL,
    settings: OAUTH2_SETTINGS,
    secretFields: CREDENTIAL_FIELDS,
    check: checkSettings,
  };
  return factoryFromSecret(options, shape, (settings, credentials, fields) => {
    const secret = requireFields(credentials, fields);
    return new OAuth2ClientCredentialsProvider({ ...settings, ...secret } as OAuth2ClientCredentialsOptions);
  });
}

function checkSettings(settings: Record<string, unknown>): void {
  readOAuth2Settings(settings, LABEL);
}

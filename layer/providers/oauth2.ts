import { type Clock, systemClock } from '../clock.js';
import { ConfigurationError, TokenRefreshError } from '../errors.js';
import type { ProviderToken, TokenProvider, TokenRequest } from './token-provider.js';
import { MAX_DEFAULT_EXPIRES_IN_SECONDS, parseTokenResponse } from './token-response.js';

const KNOWN_OPTIONS = new Set([
  'tokenUrl',
  'clientId',
  'clientSecret',
  'scope',
  'authMethod',
  'timeoutMs',
  'defaultExpiresInSeconds',
  'clock',
  'fetch',
]);

export interface OAuth2ClientCredentialsOptions {
  /** The provider's token endpoint, `https://…/oauth2/token`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes; omitted from the request when not set. */
  scope?: string;
  /**
   * Where the credentials go: the form body (`client_secret_post`) or an HTTP Basic header (`client_secret_basic`).
   * @default 'body'
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

/** OAuth2 `client_credentials` (RFC 6749 section 4.4) with Node's own fetch. */
export class OAuth2ClientCredentialsProvider implements TokenProvider {
  private readonly options: Required<
    Omit<OAuth2ClientCredentialsOptions, 'scope' | 'defaultExpiresInSeconds'>
  > &
    Pick<OAuth2ClientCredentialsOptions, 'scope' | 'defaultExpiresInSeconds'>;

  constructor(options: OAuth2ClientCredentialsOptions) {
    if (typeof options !== 'object' || options === null)
      throw new ConfigurationError('OAuth2 provider options must be an object');
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) throw new ConfigurationError(`Unknown OAuth2 provider option "${key}"`);
    }
    for (const field of ['tokenUrl', 'clientId', 'clientSecret'] as const) {
      if (typeof options[field] !== 'string' || options[field] === '') {
        throw new ConfigurationError(`OAuth2 provider option "${field}" is missing or empty`);
      }
    }
    let url: URL;
    try {
      url = new URL(options.tokenUrl);
    } catch (error) {
      // Not the parser's error as cause: it carries the input, which may hold credentials.
      throw new ConfigurationError('OAuth2 provider option "tokenUrl" is not a URL', {
        cause: new Error(error instanceof Error ? error.name : 'invalid URL'),
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigurationError('OAuth2 provider option "tokenUrl" must be an http(s) URL');
    }
    const authMethod = options.authMethod ?? 'body';
    if (authMethod !== 'body' && authMethod !== 'basic') {
      throw new ConfigurationError('OAuth2 provider option "authMethod" must be "body" or "basic"');
    }
    const timeoutMs = options.timeoutMs ?? 5_000;
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new ConfigurationError(
        'OAuth2 provider option "timeoutMs" must be a whole number of milliseconds > 0',
      );
    }
    const lifetime = options.defaultExpiresInSeconds;
    if (
      lifetime !== undefined &&
      (typeof lifetime !== 'number' ||
        !Number.isFinite(lifetime) ||
        lifetime <= 0 ||
        lifetime > MAX_DEFAULT_EXPIRES_IN_SECONDS)
    ) {
      throw new ConfigurationError(
        `OAuth2 provider option "defaultExpiresInSeconds" must be seconds from 1 to ${MAX_DEFAULT_EXPIRES_IN_SECONDS}`,
      );
    }
    this.options = {
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authMethod,
      timeoutMs,
      clock: options.clock ?? systemClock,
      fetch: options.fetch ?? globalThis.fetch,
      ...(options.scope !== undefined && { scope: options.scope }),
      ...(lifetime !== undefined && { defaultExpiresInSeconds: lifetime }),
    };
  }

  async fetchToken(request: TokenRequest): Promise<ProviderToken> {
    const { tokenUrl, clientId, clientSecret, scope, authMethod, timeoutMs, clock } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (authMethod === 'basic') {
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    if (scope) form.set('scope', scope);
    const response = await this.options.fetch(tokenUrl, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]),
    });
    const body = await response.text();
    if (!response.ok) throw tokenEndpointError(request.tokenType, response.status, body);
    return parseTokenResponse(body, {
      tokenType: request.tokenType,
      now: clock.now(),
      ...(this.options.defaultExpiresInSeconds !== undefined && {
        defaultExpiresInSeconds: this.options.defaultExpiresInSeconds,
      }),
    });
  }
}

// OAuth2 error codes are short identifiers; anything else could be an echo of our input.
const OAUTH_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** An HTTP error from a token endpoint, carrying the status and the OAuth2 `error` code only. */
export function tokenEndpointError(tokenType: string, status: number, body: string): TokenRefreshError {
  let oauthError: string | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string' && OAUTH_ERROR_CODE.test(parsed.error)) oauthError = parsed.error;
  } catch {
    // Not JSON: the status alone tells what happened.
  }
  return new TokenRefreshError(
    `The token endpoint of "${tokenType}" answered HTTP ${status}${oauthError ? ` (${oauthError})` : ''}`,
    tokenType,
    { status, ...(oauthError !== undefined && { oauthError }) },
  );
}

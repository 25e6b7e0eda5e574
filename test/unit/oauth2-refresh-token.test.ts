import { describe, expect, it } from '@jest/globals';
import type { TokenRequest } from 'lambda-shared-token';
import {
  ConfigurationError,
  InvalidProviderResponseError,
  isSharedTokenError,
  TokenRefreshError,
} from 'lambda-shared-token';
import { type OAuth2RefreshTokenOptions, OAuth2RefreshTokenProvider } from 'lambda-shared-token/advanced';
import { fakeFetch, json } from '../support/fake-fetch.js';
import { rejectionOf, renderings } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const TOKEN_URL = 'https://login.example.com/oauth2/token';
const CLIENT_ID = 'refresh-client';
const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-', ':+/= &%');
const BOOTSTRAP = 'bootstrap-refresh-token-value';
const STORED = 'stored-rotated-refresh-token-value';
const ROTATED = 'newly-rotated-refresh-token-value';
const ACCESS_TOKEN = testSecret('accessToken', 'access-token-');

const rotatingAnswer = json(200, {
  access_token: ACCESS_TOKEN,
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: ROTATED,
});

function provider(fetch: typeof globalThis.fetch, options: Partial<OAuth2RefreshTokenOptions> = {}) {
  return new OAuth2RefreshTokenProvider({
    tokenUrl: TOKEN_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    refreshToken: BOOTSTRAP,
    clock: { now: () => NOW },
    fetch,
    ...options,
  });
}

const request = (fields: Partial<TokenRequest> = {}): TokenRequest => ({
  tokenType: 'webex',
  signal: new AbortController().signal,
  ...fields,
});

describe('OAuth2RefreshTokenProvider request', () => {
  it('sends the rotated refresh token of the request, not the bootstrap one (credentials in the body with authMethod body)', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    await provider(fetch, { authMethod: 'body' }).fetchToken(request({ refreshToken: STORED }));

    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(TOKEN_URL);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: STORED,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('sends the bootstrap refresh token when the request has none (first refresh)', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    await provider(fetch).fetchToken(request());

    expect(sent[0]?.form.get('refresh_token')).toBe(BOOTSTRAP);
  });

  it('sends the client credentials in an HTTP Basic header by default (client_secret_basic)', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    await provider(fetch).fetchToken(request({ refreshToken: STORED }));

    const encoded = (sent[0]?.headers.get('authorization') ?? '').replace(/^Basic /, '');
    const [id, secret] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
    expect(decodeURIComponent(id ?? '')).toBe(CLIENT_ID);
    expect(decodeURIComponent(secret ?? '')).toBe(CLIENT_SECRET);
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: STORED,
    });
  });

  it('sends the scope when one is configured', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    await provider(fetch, { scope: 'spark:all' }).fetchToken(request());

    expect(sent[0]?.form.get('scope')).toBe('spark:all');
  });
});

describe('OAuth2RefreshTokenProvider with an undecryptable stored refresh token', () => {
  it('refuses to fall back to the bootstrap token and sends nothing', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    const error = await rejectionOf(provider(fetch).fetchToken(request({ refreshTokenUndecryptable: true })));

    expect(sent).toHaveLength(0);
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(isSharedTokenError(error, 'TokenRefreshError')).toBe(true);
    expect((error as TokenRefreshError).tokenType).toBe('webex');
  });

  it('explains the replay risk and the way out, echoing no value', async () => {
    const { fetch } = fakeFetch(rotatingAnswer);

    const error = await rejectionOf(provider(fetch).fetchToken(request({ refreshTokenUndecryptable: true })));

    expect(error.message).toContain('cannot be decrypted');
    expect(error.message).toContain('replay');
    expect(error.message).toContain('put a new refresh token in the secret');
    expect(error.message).toContain('delete the item of "webex"');
    for (const rendering of renderings(error)) {
      expect(rendering).not.toContain(BOOTSTRAP);
      expect(rendering).not.toContain(CLIENT_SECRET);
    }
  });

  it('still uses a stored refresh token that the request carries', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    await provider(fetch).fetchToken(request({ refreshToken: STORED, refreshTokenUndecryptable: true }));

    expect(sent[0]?.form.get('refresh_token')).toBe(STORED);
  });
});

describe('OAuth2RefreshTokenProvider answer', () => {
  it('returns the access token, expiresAt in epoch ms from the clock, and the rotated refresh token', async () => {
    const { fetch } = fakeFetch(rotatingAnswer);

    const token = await provider(fetch).fetchToken(request({ refreshToken: STORED }));

    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: NOW + 3_600_000, refreshToken: ROTATED });
  });

  it('returns the stored refresh token it sent when the provider does not rotate', async () => {
    const { fetch } = fakeFetch(json(200, { access_token: ACCESS_TOKEN, expires_in: 60 }));

    const token = await provider(fetch).fetchToken(request({ refreshToken: STORED }));

    expect(token.refreshToken).toBe(STORED);
  });

  it('returns the bootstrap refresh token it sent when the provider does not rotate, so the store keeps it', async () => {
    const { fetch } = fakeFetch(json(200, { access_token: ACCESS_TOKEN, expires_in: 60 }));

    const token = await provider(fetch).fetchToken(request());

    expect(token.refreshToken).toBe(BOOTSTRAP);
  });

  it('uses defaultExpiresInSeconds for an answer without expires_in', async () => {
    const { fetch } = fakeFetch(json(200, { access_token: ACCESS_TOKEN, refresh_token: ROTATED }));

    const token = await provider(fetch, { defaultExpiresInSeconds: 900 }).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + 900_000);
  });

  it('refuses an answer whose refresh_token is not a string', async () => {
    const { fetch } = fakeFetch(json(200, { access_token: ACCESS_TOKEN, expires_in: 60, refresh_token: 42 }));

    const error = await rejectionOf(provider(fetch).fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
  });
});

describe('OAuth2RefreshTokenProvider errors', () => {
  it('turns invalid_grant into a TokenRefreshError saying the refresh token was rejected', async () => {
    const { fetch } = fakeFetch(
      json(400, { error: 'invalid_grant', error_description: `refresh token ${STORED} was revoked` }),
    );

    const error = await rejectionOf(provider(fetch).fetchToken(request({ refreshToken: STORED })));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_grant');
    expect((error as TokenRefreshError).status).toBe(400);
    expect(error.message).toContain('rejected the rotated refresh token from the item');
    expect(error.message).toContain('revoked');
    expect(error.message).toContain('already rotated');
    for (const rendering of renderings(error)) {
      expect(rendering).not.toContain(STORED);
      expect(rendering).not.toContain(BOOTSTRAP);
      expect(rendering).not.toContain(CLIENT_SECRET);
    }
  });

  it('says it was the bootstrap refresh token that was rejected when it sent that one', async () => {
    const { fetch } = fakeFetch(json(400, { error: 'invalid_grant' }));

    const error = await rejectionOf(provider(fetch).fetchToken(request()));

    expect(error.message).toContain('rejected the bootstrap refresh token from the secret');
    expect(error.message).not.toContain(BOOTSTRAP);
  });

  it('passes invalid_client through as the token endpoint error, with status and code', async () => {
    const { fetch } = fakeFetch(json(401, { error: 'invalid_client' }));

    const error = await rejectionOf(provider(fetch).fetchToken(request({ refreshToken: STORED })));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(401);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_client');
    expect(error.message).not.toContain('refresh token');
  });

  it('gives up after timeoutMs when the endpoint does not answer', async () => {
    const { fetch } = fakeFetch(
      ({ signal }) =>
        new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );

    const error = await rejectionOf(provider(fetch, { timeoutMs: 20 }).fetchToken(request()));

    expect(error.name).toBe('TimeoutError');
  });

  it('does not send anything when the signal of the request is already aborted', async () => {
    const { fetch, sent } = fakeFetch(rotatingAnswer);

    const error = await rejectionOf(provider(fetch).fetchToken(request({ signal: AbortSignal.abort() })));

    expect(error.name).toBe('AbortError');
    expect(sent).toHaveLength(0);
  });
});

describe('OAuth2RefreshTokenProvider options', () => {
  const base: OAuth2RefreshTokenOptions = {
    tokenUrl: TOKEN_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    refreshToken: BOOTSTRAP,
  };

  /** The ConfigurationError the constructor throws; fails the test when it does not throw. */
  function constructionError(options: unknown): ConfigurationError {
    try {
      new OAuth2RefreshTokenProvider(options as OAuth2RefreshTokenOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return error as ConfigurationError;
    }
    throw new Error('expected the constructor to throw');
  }

  it.each(['tokenUrl', 'clientId', 'clientSecret', 'refreshToken'] as const)(
    'refuses a missing %s, naming it',
    (field) => {
      const options: Partial<OAuth2RefreshTokenOptions> = { ...base };
      delete options[field];

      expect(constructionError(options).message).toContain(`"${field}"`);
    },
  );

  it('refuses an empty refreshToken, naming it', () => {
    expect(constructionError({ ...base, refreshToken: '' }).message).toContain('"refreshToken"');
  });

  it('refuses an unknown option, naming it, without echoing any value', () => {
    const error = constructionError({ ...base, refresh_token: BOOTSTRAP });

    expect(error.message).toContain('"refresh_token"');
    expect(String(error)).not.toContain(BOOTSTRAP);
    expect(String(error)).not.toContain(CLIENT_SECRET);
  });

  it('refuses options that are not an object', () => {
    expect(constructionError(null).message).toContain('options must be an object');
  });

  it('refuses an authMethod other than body or basic, naming it', () => {
    expect(constructionError({ ...base, authMethod: 'post' }).message).toContain('"authMethod"');
  });

  it('refuses a tokenUrl with credentials in it, naming the option, never the value', () => {
    const error = constructionError({ ...base, tokenUrl: 'https://admin:hunter2@login.example.com/token' });

    expect(error.message).toBe(
      'OAuth2 refresh-token provider option "tokenUrl" must not hold credentials (user:password@): put them in the secret',
    );
    expect(String(error)).not.toContain('hunter2');
  });

  it.each([0, -5, 2.5])('refuses timeoutMs = %p, naming it', (timeoutMs) => {
    expect(constructionError({ ...base, timeoutMs }).message).toContain('"timeoutMs"');
  });

  it('refuses defaultExpiresInSeconds given in milliseconds, naming it', () => {
    expect(constructionError({ ...base, defaultExpiresInSeconds: 3_600_000 }).message).toContain(
      '"defaultExpiresInSeconds"',
    );
  });

  it('refuses a fetch that is not a function, naming it', () => {
    expect(constructionError({ ...base, fetch: 'node-fetch' }).message).toContain('"fetch"');
  });

  it('refuses a clock without now(), naming it', () => {
    expect(constructionError({ ...base, clock: { now: NOW } }).message).toContain('"clock"');
  });

  it('names itself in its messages, so the operator knows which provider is misconfigured', () => {
    expect(constructionError({ ...base, tokenUrl: 'ftp://x' }).message).toMatch(
      /^OAuth2 refresh-token provider option "tokenUrl"/,
    );
  });
});

import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { TokenRequest } from 'lambda-shared-token';
import {
  functionProvider,
  InvalidProviderResponseError,
  oauth2ClientCredentials,
  oauth2RefreshToken,
  SalesforceApiError,
  SecretError,
  salesforce,
  TokenRefreshError,
} from 'lambda-shared-token';
import type { ProviderCredentials } from 'lambda-shared-token/advanced';
import { SALESFORCE_INVALID_SESSION, SALESFORCE_REQUEST_LIMIT } from 'lambda-shared-token/advanced';
import type { LocalOAuthProvider } from '../../scripts/local-stack/index.js';
import { startOAuthProvider } from '../../scripts/local-stack/index.js';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

// The real local provider on 127.0.0.1 and Node's real fetch; only the secret is an in-process stand-in.
const CLIENT_ID = 'integration-client';
const CLIENT_SECRET = testSecret('clientSecret', 'integration-secret+with/odd=chars-');
const SECRET_NAME = '/test/providers/oauth';

/** An in-process ProviderCredentials over plain values, throwing SecretError as the real one does. */
function credentialsOf(values: Record<string, string>): ProviderCredentials {
  return {
    secretName: SECRET_NAME,
    require(field) {
      const value = values[field];
      if (value === undefined || value === '') {
        throw new SecretError(`Secret "${SECRET_NAME}" has no field "${field}"`, SECRET_NAME, { field });
      }
      return value;
    },
    optional: (field) => values[field],
  };
}

const clientCredentials = (extra: Record<string, string> = {}) =>
  credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra });

const request = (fields: Partial<TokenRequest> = {}): TokenRequest => ({
  tokenType: 'integration',
  signal: AbortSignal.timeout(5_000),
  ...fields,
});

async function callApi(url: string, accessToken: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, json: await response.json() };
}

/** No issued token or refresh token, nor the client secret, in any rendering of `error`. */
function expectNoSecretIn(error: Error, provider: LocalOAuthProvider): void {
  const renderings = [error.message, String(error), inspect(error, { depth: 5 }), JSON.stringify(error)];
  for (const rendering of renderings) {
    expect(rendering).not.toContain(CLIENT_SECRET);
    for (const issued of provider.issuedTokens()) expect(rendering.includes(issued)).toBe(false);
  }
}

describe('OAuth2 client credentials against the local provider', () => {
  let provider: LocalOAuthProvider;

  beforeAll(async () => {
    provider = await startOAuthProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });

  afterAll(async () => {
    await provider?.stop();
  });

  beforeEach(() => provider.resetStats());

  it('gets a live token through the factory, with credentials from the secret, expiring in epoch ms', async () => {
    const factory = oauth2ClientCredentials({ tokenUrl: provider.tokenUrl });
    const before = Date.now();

    const token = await factory(clientCredentials()).fetchToken(request());

    expect(provider.isLive(token.accessToken)).toBe(true);
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(await callApi(provider.apiUrl, token.accessToken)).toEqual({ status: 200, json: { ok: true } });
    expect(provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 1, apiOk: 1 });
  });

  it('gets a token with the credentials in the form body (authMethod body; Basic is the default)', async () => {
    const factory = oauth2ClientCredentials({ tokenUrl: provider.tokenUrl, authMethod: 'body' });

    const token = await factory(clientCredentials()).fetchToken(request());

    expect(provider.isLive(token.accessToken)).toBe(true);
  });

  it('turns a wrong client secret into a TokenRefreshError 401 invalid_client that echoes no secret', async () => {
    const factory = oauth2ClientCredentials({ tokenUrl: provider.tokenUrl });

    const error = await rejectionOf(
      factory(credentialsOf({ clientId: CLIENT_ID, clientSecret: 'wrong-secret' })).fetchToken(request()),
    );

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(401);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_client');
    expect(error.message).not.toContain('wrong-secret');
    expectNoSecretIn(error, provider);
  });

  it('answers a rate-limited data API call with 403 REQUEST_LIMIT_EXCEEDED and leaves the token live', async () => {
    const token = await oauth2ClientCredentials({ tokenUrl: provider.tokenUrl })(
      clientCredentials(),
    ).fetchToken(request());
    provider.setRateLimitRate(1);
    try {
      const limited = await callApi(provider.apiUrl, token.accessToken);

      expect(limited).toEqual({
        status: 403,
        json: { error: 'rate_limited', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
      });
      expect(provider.isLive(token.accessToken)).toBe(true);
      expect(provider.stats()).toMatchObject({ apiCalls: 1, apiOk: 0, apiRejected: 0, apiRateLimited: 1 });
    } finally {
      provider.setRateLimitRate(0);
    }
    expect((await callApi(provider.apiUrl, token.accessToken)).status).toBe(200);
  });

  it('refuses to hand out a bootstrap refresh token when it issues no refresh tokens', () => {
    expect(() => provider.issueBootstrapRefreshToken()).toThrow(/issueRefreshTokens/);
  });
});

describe('OAuth2 refresh tokens with rotation against the local provider', () => {
  let provider: LocalOAuthProvider;

  beforeEach(async () => {
    provider = await startOAuthProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      issueRefreshTokens: true,
    });
  });

  afterEach(async () => {
    await provider?.stop();
  });

  it('rotates over five generations, each refresh sending the refresh token of the previous answer', async () => {
    const bootstrap = provider.issueBootstrapRefreshToken();
    const refresher = oauth2RefreshToken({ tokenUrl: provider.tokenUrl })(
      clientCredentials({ refreshToken: bootstrap }),
    );
    const refreshTokens = [bootstrap];
    const accessTokens: string[] = [];

    let stored: string | undefined;
    for (let generation = 0; generation < 5; generation++) {
      const token = await refresher.fetchToken(request(stored === undefined ? {} : { refreshToken: stored }));
      stored = token.refreshToken;
      refreshTokens.push(stored ?? '');
      accessTokens.push(token.accessToken);
    }

    expect(new Set(refreshTokens).size).toBe(6);
    expect(accessTokens.map((accessToken) => provider.isLive(accessToken))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(provider.stats()).toMatchObject({ tokenCalls: 5, tokensIssued: 5, refreshReplays: 0 });
  });

  it('gets invalid_grant for a replayed refresh token, and the provider counts the replay', async () => {
    const bootstrap = provider.issueBootstrapRefreshToken();
    const refresher = oauth2RefreshToken({ tokenUrl: provider.tokenUrl })(
      clientCredentials({ refreshToken: bootstrap }),
    );
    const first = await refresher.fetchToken(request());
    await refresher.fetchToken(request({ refreshToken: first.refreshToken as string }));

    const error = await rejectionOf(
      refresher.fetchToken(request({ refreshToken: first.refreshToken as string })),
    );

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_grant');
    expect((error as TokenRefreshError).status).toBe(400);
    expect(error.message).toContain('already rotated');
    expect(provider.stats()).toMatchObject({ tokenCalls: 3, tokensIssued: 2, refreshReplays: 1 });
    expectNoSecretIn(error, provider);
  });

  it('sends the bootstrap again only while the store holds no refresh token: the second time is a replay', async () => {
    const bootstrap = provider.issueBootstrapRefreshToken();
    const refresher = oauth2RefreshToken({ tokenUrl: provider.tokenUrl })(
      clientCredentials({ refreshToken: bootstrap }),
    );
    await refresher.fetchToken(request());

    const error = await rejectionOf(refresher.fetchToken(request()));

    expect((error as TokenRefreshError).oauthError).toBe('invalid_grant');
    expect(error.message).toContain('bootstrap refresh token from the secret');
    expect(provider.stats().refreshReplays).toBe(1);
  });

  it('does not count a refresh token it never issued as a replay', async () => {
    const refresher = oauth2RefreshToken({ tokenUrl: provider.tokenUrl })(
      clientCredentials({ refreshToken: 'never-issued' }),
    );

    const error = await rejectionOf(refresher.fetchToken(request()));

    expect((error as TokenRefreshError).oauthError).toBe('invalid_grant');
    expect(provider.stats()).toMatchObject({ tokenCalls: 1, refreshReplays: 0 });
  });

  it('asks nothing of the provider when the stored refresh token cannot be decrypted', async () => {
    const refresher = oauth2RefreshToken({ tokenUrl: provider.tokenUrl })(
      clientCredentials({ refreshToken: provider.issueBootstrapRefreshToken() }),
    );

    const error = await rejectionOf(refresher.fetchToken(request({ refreshTokenUndecryptable: true })));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(provider.stats()).toMatchObject({ tokenCalls: 0, refreshReplays: 0 });
    expectNoSecretIn(error, provider);
  });
});

describe('Salesforce against the local provider', () => {
  let provider: LocalOAuthProvider;

  beforeAll(async () => {
    provider = await startOAuthProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      tokenTtlSeconds: 7200,
    });
  });

  afterAll(async () => {
    await provider?.stop();
  });

  beforeEach(() => {
    provider.resetStats();
    provider.setRateLimitRate(0);
  });

  const salesforceSecret = () => clientCredentials({ instanceUrl: provider.instanceUrl });

  it('answers the token request in Salesforce’s shape: no expires_in, issued_at in epoch ms as a string', async () => {
    const before = Date.now();
    const response = await fetch(`${provider.instanceUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });
    const answer = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(Object.keys(answer).sort()).toEqual(
      ['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type'].sort(),
    );
    expect(answer.instance_url).toBe(provider.instanceUrl);
    expect(answer.issued_at).toMatch(/^\d{13}$/);
    expect(Number(answer.issued_at)).toBeGreaterThanOrEqual(before);
    expect(Number(answer.issued_at)).toBeLessThanOrEqual(Date.now());
  });

  it('gets a session through the factory (instanceUrl from the secret) and queries with it', async () => {
    const before = Date.now();

    const token = await salesforce({})(salesforceSecret()).fetchToken(request());
    const query = await callApi(
      `${provider.salesforceQueryUrl}?q=SELECT+Name+FROM+Account`,
      token.accessToken,
    );

    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 7_200_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 7_200_000);
    expect(query).toEqual({
      status: 200,
      json: { totalSize: 1, done: true, records: [{ attributes: { type: 'Account' }, Name: 'Acme' }] },
    });
    expect(provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 1, apiCalls: 1, apiOk: 1 });
  });

  it('answers 401 INVALID_SESSION_ID after revokeAll, which SalesforceApiError.from reads', async () => {
    const token = await salesforce({ instanceUrl: provider.instanceUrl })(clientCredentials()).fetchToken(
      request(),
    );
    provider.revokeAll();

    const response = await fetch(provider.salesforceQueryUrl, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    const error = await SalesforceApiError.from(response);

    expect(error.statusCode).toBe(401);
    expect(error.errorCode).toBe(SALESFORCE_INVALID_SESSION);
    expect(error.message).toBe('Salesforce answered HTTP 401 (INVALID_SESSION_ID)');
    expect(provider.stats()).toMatchObject({ apiCalls: 1, apiRejected: 1 });
    expectNoSecretIn(error, provider);
  });

  it('answers 401 INVALID_SESSION_ID to a request without a session', async () => {
    const response = await fetch(provider.salesforceQueryUrl);

    expect((await SalesforceApiError.from(response)).errorCode).toBe(SALESFORCE_INVALID_SESSION);
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED under rateLimitRate, keeping the session live', async () => {
    const token = await salesforce({})(salesforceSecret()).fetchToken(request());
    provider.setRateLimitRate(1);

    const response = await fetch(provider.salesforceQueryUrl, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    const error = await SalesforceApiError.from(response);

    expect(error.statusCode).toBe(403);
    expect(error.errorCode).toBe(SALESFORCE_REQUEST_LIMIT);
    expect(provider.isLive(token.accessToken)).toBe(true);
    expect(provider.stats()).toMatchObject({ apiCalls: 1, apiOk: 0, apiRejected: 0, apiRateLimited: 1 });
  });

  it('applies rejectRate to Salesforce sessions too: revoked, then 401', async () => {
    const token = await salesforce({})(salesforceSecret()).fetchToken(request());
    provider.setRejectRate(1);
    try {
      const response = await fetch(provider.salesforceQueryUrl, {
        headers: { authorization: `Bearer ${token.accessToken}` },
      });

      expect(response.status).toBe(401);
      await response.body?.cancel();
      expect(provider.isLive(token.accessToken)).toBe(false);
    } finally {
      provider.setRejectRate(0);
    }
  });

  it('turns a wrong consumer secret into a TokenRefreshError 400 invalid_client that echoes no secret', async () => {
    const factory = salesforce({ instanceUrl: provider.instanceUrl });

    const error = await rejectionOf(
      factory(credentialsOf({ clientId: CLIENT_ID, clientSecret: 'wrong-secret' })).fetchToken(request()),
    );

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(400);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_client');
    expect(error.message).not.toContain('wrong-secret');
    expectNoSecretIn(error, provider);
    expect(provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 0 });
  });

  it('gives the Salesforce token endpoint the injected answers too', async () => {
    provider.failTokenNext(1, { status: 503, body: { error: 'temporarily_unavailable' } });

    const error = await rejectionOf(salesforce({})(salesforceSecret()).fetchToken(request()));

    expect((error as TokenRefreshError).status).toBe(503);
    expect(provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 0 });
  });

  it('refuses a grant other than client_credentials, as Salesforce does for this flow', async () => {
    const response = await fetch(`${provider.instanceUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });
});

describe('A function provider against the local provider', () => {
  let provider: LocalOAuthProvider;

  beforeAll(async () => {
    provider = await startOAuthProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });

  afterAll(async () => {
    await provider?.stop();
  });

  it('gets a live token with a hand-written function, credentials from the secret', async () => {
    const factory = functionProvider(async ({ credentials, signal }) => {
      const response = await fetch(provider.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: credentials.require('clientId'),
          client_secret: credentials.require('clientSecret'),
        }).toString(),
        signal,
      });
      const answer = (await response.json()) as { access_token: string; expires_in: number };
      return { accessToken: answer.access_token, expiresAt: Date.now() + answer.expires_in * 1000 };
    });

    const token = await factory(clientCredentials()).fetchToken(request());

    expect(provider.isLive(token.accessToken)).toBe(true);
    expect(await callApi(provider.apiUrl, token.accessToken)).toEqual({ status: 200, json: { ok: true } });
  });
});

describe('Answers no client should read whole, from the local provider', () => {
  let provider: LocalOAuthProvider;
  const MiB = 1024 * 1024;

  beforeEach(async () => {
    provider = await startOAuthProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });

  afterEach(async () => {
    await provider?.stop();
  });

  /** Resolves once the provider has seen every streamed answer's connection closed. */
  async function streamsClosed(): Promise<void> {
    while (provider.streamedAnswers().open > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('fails a 200 MiB token answer with InvalidProviderResponseError naming the limit, reading a sliver of it', async () => {
    provider.failTokenNext(1, { stream: 'huge' });
    const factory = oauth2ClientCredentials({ tokenUrl: provider.tokenUrl });
    const rssBefore = process.memoryUsage().rss;

    const error = await rejectionOf(factory(clientCredentials()).fetchToken(request()));
    await streamsClosed();

    const rssAfter = process.memoryUsage().rss;
    const { bytesSent } = provider.streamedAnswers();
    // Reported, not asserted against a clock: what this run cost in memory and on the wire.
    console.log(
      `200 MiB answer: RSS ${(rssBefore / MiB).toFixed(1)} -> ${(rssAfter / MiB).toFixed(1)} MiB ` +
        `(+${((rssAfter - rssBefore) / MiB).toFixed(1)} MiB); the provider wrote ${(bytesSent / MiB).toFixed(2)} MiB before the connection closed`,
    );
    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect((error as InvalidProviderResponseError).status).toBe(200);
    expect(error.message).toContain('65536 bytes');
    expect(rssAfter - rssBefore).toBeLessThan(64 * MiB);
    // The connection was closed, not drained: the rest of the 200 MiB was never even made.
    expect(bytesSent).toBeLessThan(64 * MiB);
    expectNoSecretIn(error, provider);
  });

  it('bounds a huge error answer the same way, with its status, on the Salesforce route too', async () => {
    provider.failTokenNext(1, { stream: 'huge', status: 502 });

    const error = await rejectionOf(
      salesforce({ instanceUrl: provider.instanceUrl })(clientCredentials()).fetchToken(request()),
    );
    await streamsClosed();

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect((error as InvalidProviderResponseError).status).toBe(502);
    expect(provider.streamedAnswers().bytesSent).toBeLessThan(64 * MiB);
  });

  it('cuts a slow-drip answer at the provider timeoutMs with fetch’s TimeoutError, and closes the connection', async () => {
    provider.failTokenNext(1, { stream: 'drip', everyMs: 20 });
    const factory = oauth2ClientCredentials({ tokenUrl: provider.tokenUrl, timeoutMs: 300 });

    const error = await rejectionOf(factory(clientCredentials()).fetchToken(request()));
    await streamsClosed();

    expect(error.name).toBe('TimeoutError');
    expect(provider.streamedAnswers().bytesSent).toBeGreaterThan(1);
  });

  it('cuts a slow-drip answer when the lease’s signal runs out, as the lease holder passes it', async () => {
    provider.failTokenNext(1, { stream: 'drip', everyMs: 20 });
    const factory = oauth2RefreshToken({ tokenUrl: provider.tokenUrl, timeoutMs: 60_000 });

    const error = await rejectionOf(
      factory(clientCredentials({ refreshToken: 'bootstrap' })).fetchToken(
        request({ signal: AbortSignal.timeout(300) }),
      ),
    );
    await streamsClosed();

    // The lease holder turns this TimeoutError into "did not answer within ... ms (inside the lease)".
    expect(error.name).toBe('TimeoutError');
  });

  it('answers normally again once the injected answers are used up', async () => {
    provider.failTokenNext(1, { stream: 'drip', everyMs: 20 });
    const factory = oauth2ClientCredentials({ tokenUrl: provider.tokenUrl, timeoutMs: 200 });
    await rejectionOf(factory(clientCredentials()).fetchToken(request()));

    const token = await factory(clientCredentials()).fetchToken(request());

    expect(provider.isLive(token.accessToken)).toBe(true);
  });
});

import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import type { TokenRequest } from 'lambda-shared-token';
import {
  ConfigurationError,
  InvalidProviderResponseError,
  SalesforceApiError,
  TokenRefreshError,
} from 'lambda-shared-token';
import {
  SALESFORCE_INVALID_SESSION,
  SALESFORCE_REQUEST_LIMIT,
  type SalesforceOptions,
  SalesforceProvider,
} from 'lambda-shared-token/advanced';
import { fakeFetch, json } from '../support/fake-fetch.js';
import { rejectionOf, renderings } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const INSTANCE_URL = 'https://acme.my.salesforce.com';
const CLIENT_ID = '3MVG9consumer-key';
const CLIENT_SECRET = testSecret('consumerSecret', 'consumer-secret-', ':+/= &%');
const ACCESS_TOKEN = testSecret('sessionToken', '00D000000000001!');
const TWO_HOURS_MS = 7_200_000;

/** Salesforce's answer to the client credentials flow: no expires_in, issued_at in epoch ms as a string. */
const salesforceAnswer = (issuedAt: unknown = String(NOW)) =>
  json(200, {
    access_token: ACCESS_TOKEN,
    signature: 'c2lnbmF0dXJl',
    scope: 'api',
    instance_url: INSTANCE_URL,
    id: `${INSTANCE_URL}/id/00D000000000001AAA/005000000000001AAA`,
    token_type: 'Bearer',
    ...(issuedAt !== undefined && { issued_at: issuedAt }),
  });

function provider(fetch: typeof globalThis.fetch, options: Partial<SalesforceOptions> = {}) {
  return new SalesforceProvider({
    instanceUrl: INSTANCE_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    clock: { now: () => NOW },
    fetch,
    ...options,
  });
}

const request = (fields: Partial<TokenRequest> = {}): TokenRequest => ({
  tokenType: 'salesforce',
  signal: new AbortController().signal,
  ...fields,
});

describe('SalesforceProvider request', () => {
  it('posts the client credentials flow to the My Domain token endpoint, credentials in the form', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer());

    await provider(fetch).fetchToken(request());

    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(`${INSTANCE_URL}/services/oauth2/token`);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(sent[0]?.headers.get('authorization')).toBeNull();
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('drops a trailing slash of instanceUrl instead of doubling it', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer());

    await provider(fetch, { instanceUrl: `${INSTANCE_URL}/` }).fetchToken(request());

    expect(sent[0]?.url).toBe(`${INSTANCE_URL}/services/oauth2/token`);
  });

  it('keeps the path of an Experience Cloud site URL', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer());

    await provider(fetch, { instanceUrl: 'https://acme.my.site.com/partners' }).fetchToken(request());

    expect(sent[0]?.url).toBe('https://acme.my.site.com/partners/services/oauth2/token');
  });
});

describe('SalesforceProvider expiry', () => {
  it('counts the session from issued_at (epoch ms) with the default two hours', async () => {
    const issuedAt = NOW - 90_000;
    const { fetch } = fakeFetch(salesforceAnswer(String(issuedAt)));

    const token = await provider(fetch).fetchToken(request());

    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: issuedAt + TWO_HOURS_MS });
  });

  it('uses the configured sessionLifetimeSeconds', async () => {
    const { fetch } = fakeFetch(salesforceAnswer(String(NOW)));

    const token = await provider(fetch, { sessionLifetimeSeconds: 900 }).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + 900_000);
  });

  it('never dates a session after now when issued_at is ahead of the clock', async () => {
    const { fetch } = fakeFetch(salesforceAnswer(String(NOW + 120_000)));

    const token = await provider(fetch).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + TWO_HOURS_MS);
  });

  it('does not take an issued_at in epoch SECONDS for 1970: it counts from now', async () => {
    const { fetch } = fakeFetch(salesforceAnswer(String(Math.floor(NOW / 1000))));

    const token = await provider(fetch).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + TWO_HOURS_MS);
    expect(new Date(token.expiresAt).getUTCFullYear()).toBe(2026);
  });

  it('counts from now when issued_at is more than five minutes away from the clock', async () => {
    const { fetch } = fakeFetch(salesforceAnswer(String(NOW - 6 * 60_000)));

    const token = await provider(fetch).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + TWO_HOURS_MS);
  });

  it.each([
    ['missing', undefined],
    ['not a number', 'yesterday'],
    ['a JSON number', NOW - 60_000],
    ['fractional', `${NOW}.5`],
  ])('counts from now when issued_at is %s', async (_, issuedAt) => {
    const { fetch } = fakeFetch(salesforceAnswer(issuedAt));

    const token = await provider(fetch).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + TWO_HOURS_MS);
  });

  it('keeps no refresh token even when an answer carries one', async () => {
    const { fetch } = fakeFetch(
      json(200, { access_token: ACCESS_TOKEN, issued_at: String(NOW), refresh_token: 'stray-refresh' }),
    );

    const token = await provider(fetch).fetchToken(request());

    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: NOW + TWO_HOURS_MS });
  });
});

describe('SalesforceProvider errors', () => {
  it('turns HTTP 400 invalid_client into a TokenRefreshError with status and oauthError, echoing no secret', async () => {
    const { fetch } = fakeFetch(
      json(400, {
        error: 'invalid_client',
        error_description: `invalid client credentials ${CLIENT_SECRET}`,
      }),
    );

    const error = await rejectionOf(provider(fetch).fetchToken(request()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(400);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_client');
    expect((error as TokenRefreshError).tokenType).toBe('salesforce');
    expect(error.message).toContain('consumer key or secret');
    for (const rendering of renderings(error)) {
      expect(rendering).not.toContain(CLIENT_SECRET);
      expect(rendering).not.toContain('invalid client credentials');
    }
  });

  it('turns invalid_grant into a TokenRefreshError that names the usual misconfigurations', async () => {
    const { fetch } = fakeFetch(
      json(400, { error: 'invalid_grant', error_description: 'request not supported on this domain' }),
    );

    const error = await rejectionOf(provider(fetch).fetchToken(request()));

    expect((error as TokenRefreshError).oauthError).toBe('invalid_grant');
    expect((error as TokenRefreshError).status).toBe(400);
    expect(error.message).toContain('Run As user');
    expect(error.message).toContain('My Domain');
    // A description that holds no secret of the request reaches the message.
    expect(error.message).toContain('(invalid_grant: request not supported on this domain)');
  });

  it('turns HTTP 503 into a TokenRefreshError with the status only', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>Down for maintenance</html>', { status: 503 }));

    const error = await rejectionOf(provider(fetch).fetchToken(request()));

    expect((error as TokenRefreshError).status).toBe(503);
    expect((error as TokenRefreshError).oauthError).toBeUndefined();
    expect(error.message).not.toContain('maintenance');
  });

  it('turns a 200 answer that is not JSON into an InvalidProviderResponseError, echoing nothing', async () => {
    const { fetch } = fakeFetch(() => new Response(`access_token=${ACCESS_TOKEN}`, { status: 200 }));

    const error = await rejectionOf(provider(fetch).fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(inspect(error, { depth: 5 })).not.toContain(ACCESS_TOKEN);
  });

  it('gives up after timeoutMs when Salesforce does not answer', async () => {
    const { fetch } = fakeFetch(
      ({ signal }) =>
        new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );

    const error = await rejectionOf(provider(fetch, { timeoutMs: 20 }).fetchToken(request()));

    expect(error.name).toBe('TimeoutError');
  });
});

describe('SalesforceProvider options', () => {
  const base: SalesforceOptions = {
    instanceUrl: INSTANCE_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  };

  function constructionError(options: unknown): ConfigurationError {
    try {
      new SalesforceProvider(options as SalesforceOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return error as ConfigurationError;
    }
    throw new Error('expected the constructor to throw');
  }

  it.each(['instanceUrl', 'clientId', 'clientSecret'] as const)(
    'refuses a missing %s, naming it',
    (field) => {
      const options: Partial<SalesforceOptions> = { ...base };
      delete options[field];

      expect(constructionError(options).message).toContain(`"${field}"`);
    },
  );

  it('refuses an unknown option, naming it', () => {
    expect(constructionError({ ...base, tokenUrl: 'https://login.salesforce.com' }).message).toContain(
      '"tokenUrl"',
    );
  });

  it.each([
    ['not http(s)', 'ftp://acme.my.salesforce.com'],
    ['with credentials', 'https://admin:hunter2@acme.my.salesforce.com'],
    ['with a query', 'https://acme.my.salesforce.com/?token=hunter2'],
    ['not a URL', 'acme hunter2'],
  ])('refuses an instanceUrl %s, naming it without echoing it', (_, instanceUrl) => {
    const error = constructionError({ ...base, instanceUrl });

    expect(error.message).toContain('"instanceUrl"');
    expect(inspect(error, { depth: 5 })).not.toContain('hunter2');
  });

  it('names credentials in instanceUrl as what is wrong, never the value', () => {
    const error = constructionError({ ...base, instanceUrl: 'https://admin:hunter2@acme.my.salesforce.com' });

    expect(error.message).toBe(
      'Salesforce provider option "instanceUrl" must not hold credentials (user:password@): put them in the secret',
    );
  });

  it('sends the consumer key and secret in an HTTP Basic header with authMethod basic', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer());

    await provider(fetch, { authMethod: 'basic' }).fetchToken(request());

    const encoded = (sent[0]?.headers.get('authorization') ?? '').replace(/^Basic /, '');
    const [id, secret] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
    expect(decodeURIComponent(id ?? '')).toBe(CLIENT_ID);
    expect(decodeURIComponent(secret ?? '')).toBe(CLIENT_SECRET);
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({ grant_type: 'client_credentials' });
  });

  it('refuses an authMethod other than body or basic, naming it', () => {
    expect(constructionError({ ...base, authMethod: 'Basic' }).message).toContain('"authMethod"');
  });

  it.each([0, -1, 7_200_000, Number.NaN])('refuses sessionLifetimeSeconds = %p, naming it', (seconds) => {
    expect(constructionError({ ...base, sessionLifetimeSeconds: seconds }).message).toContain(
      '"sessionLifetimeSeconds"',
    );
  });

  it('accepts Salesforce’s longest session timeout, 24 hours', () => {
    expect(() => new SalesforceProvider({ ...base, sessionLifetimeSeconds: 86_400 })).not.toThrow();
  });

  it('refuses timeoutMs that is not a whole positive number, naming it', () => {
    expect(constructionError({ ...base, timeoutMs: 0.5 }).message).toContain('"timeoutMs"');
  });

  it('never echoes the client secret in a construction error', () => {
    const error = constructionError({ ...base, instanceUrl: '' });

    expect(error.message).toMatch(/^Salesforce provider option "instanceUrl"/);
    expect(String(error)).not.toContain(CLIENT_SECRET);
  });
});

describe('SalesforceApiError', () => {
  const errorBody = (status: number, body: string) =>
    new Response(body, { status, headers: { 'content-type': 'application/json' } });

  it('reads INVALID_SESSION_ID from a 401 answer', async () => {
    const response = errorBody(
      401,
      '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
    );

    const error = await SalesforceApiError.from(response);

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SalesforceApiError');
    expect(error.statusCode).toBe(401);
    expect(error.errorCode).toBe(SALESFORCE_INVALID_SESSION);
    expect(error.message).toBe('Salesforce answered HTTP 401 (INVALID_SESSION_ID)');
  });

  it('reads REQUEST_LIMIT_EXCEEDED from a 403 answer', async () => {
    const response = errorBody(
      403,
      '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]',
    );

    const error = await SalesforceApiError.from(response);

    expect(error.statusCode).toBe(403);
    expect(error.errorCode).toBe(SALESFORCE_REQUEST_LIMIT);
    expect(error.message).toBe('Salesforce answered HTTP 403 (REQUEST_LIMIT_EXCEEDED)');
  });

  it('never puts the message of the body into its own', async () => {
    const response = errorBody(
      400,
      `[{"message":"bad value ${ACCESS_TOKEN}","errorCode":"MALFORMED_QUERY"}]`,
    );

    const error = await SalesforceApiError.from(response);

    expect(error.errorCode).toBe('MALFORMED_QUERY');
    for (const rendering of renderings(error)) expect(rendering).not.toContain(ACCESS_TOKEN);
  });

  it('drops an errorCode that is not an upper-case identifier', async () => {
    const response = errorBody(400, `[{"message":"x","errorCode":"token ${ACCESS_TOKEN}"}]`);

    const error = await SalesforceApiError.from(response);

    expect(error.errorCode).toBeUndefined();
    expect(error.message).toBe('Salesforce answered HTTP 400');
  });

  it('keeps the status alone for a body that is not JSON', async () => {
    const error = await SalesforceApiError.from(new Response('<html>Bad gateway</html>', { status: 502 }));

    expect(error.statusCode).toBe(502);
    expect(error.errorCode).toBeUndefined();
    expect(error.message).toBe('Salesforce answered HTTP 502');
  });

  it('reads an error object that is not wrapped in an array', async () => {
    const error = await SalesforceApiError.from(
      errorBody(401, '{"errorCode":"INVALID_SESSION_ID","message":"x"}'),
    );

    expect(error.errorCode).toBe('INVALID_SESSION_ID');
  });

  it('keeps the status when the body was already read', async () => {
    const response = errorBody(401, '[{"errorCode":"INVALID_SESSION_ID"}]');
    await response.text();

    const error = await SalesforceApiError.from(response);

    expect(error.statusCode).toBe(401);
    expect(error.errorCode).toBeUndefined();
  });
});

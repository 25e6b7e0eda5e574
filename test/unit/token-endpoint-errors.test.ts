import { describe, expect, it } from '@jest/globals';
import type { TokenRefreshError, TokenRequest } from 'lambda-shared-token';
import {
  OAuth2ClientCredentialsProvider,
  OAuth2RefreshTokenProvider,
  SalesforceProvider,
} from 'lambda-shared-token/advanced';
import { fakeFetch, json } from '../support/fake-fetch.js';
import { rejectionOf, renderings } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

// The OAuth2 error_description of an error answer reaches the message, shortened,
// printable ASCII only, and dropped whenever it could hold one of the request's secrets.

const TOKEN_URL = 'https://login.example.com/oauth2/token';
const CLIENT_ID = 'orders-service-client';
const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-', ':+/= &%');
const REFRESH_TOKEN = testSecret('refreshToken', 'refresh-');

const request = (fields: Partial<TokenRequest> = {}): TokenRequest => ({
  tokenType: 'webex',
  signal: new AbortController().signal,
  ...fields,
});

async function errorFor(payload: unknown, status = 401): Promise<TokenRefreshError> {
  const { fetch } = fakeFetch(json(status, payload));
  const provider = new OAuth2ClientCredentialsProvider({
    tokenUrl: TOKEN_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch,
  });
  return rejectionOf<TokenRefreshError>(provider.fetchToken(request()));
}

describe('the error_description of a token endpoint error answer', () => {
  it('is kept in the message after the OAuth2 error code', async () => {
    const error = await errorFor({
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });

    expect(error.message).toBe(
      'The token endpoint of "webex" answered HTTP 401 (invalid_client: Client authentication failed)',
    );
    expect(error.oauthError).toBe('invalid_client');
  });

  it('is dropped when it contains the client secret', async () => {
    const error = await errorFor({
      error: 'invalid_client',
      error_description: `secret ${CLIENT_SECRET} does not match`,
    });

    expect(error.message).toBe('The token endpoint of "webex" answered HTTP 401 (invalid_client)');
    for (const rendering of renderings(error)) expect(rendering).not.toContain(CLIENT_SECRET);
  });

  it('is dropped when it contains part of the client secret (an echo cut short)', async () => {
    const error = await errorFor({
      error: 'invalid_client',
      error_description: `secret starting ${CLIENT_SECRET.slice(0, 20)} is wrong`,
    });

    expect(error.message).toBe('The token endpoint of "webex" answered HTTP 401 (invalid_client)');
  });

  it('is dropped when it holds the client secret form-encoded, as the Basic header carried it', async () => {
    const error = await errorFor({
      error: 'invalid_client',
      error_description: `bad credentials ${encodeURIComponent(CLIENT_SECRET)}`,
    });

    expect(error.message).not.toContain('bad credentials');
  });

  it('is dropped when it echoes the client id', async () => {
    const error = await errorFor({
      error: 'invalid_client',
      error_description: `unknown client ${CLIENT_ID}`,
    });

    expect(error.message).not.toContain(CLIENT_ID);
    expect(error.message).toBe('The token endpoint of "webex" answered HTTP 401 (invalid_client)');
  });

  it('is dropped when it contains the refresh token that was sent', async () => {
    const { fetch } = fakeFetch(
      json(400, { error: 'invalid_request', error_description: `malformed token ${REFRESH_TOKEN}` }),
    );
    const provider = new OAuth2RefreshTokenProvider({
      tokenUrl: TOKEN_URL,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken: REFRESH_TOKEN,
      fetch,
    });

    const error = await rejectionOf<TokenRefreshError>(provider.fetchToken(request()));

    expect(error.message).toBe('The token endpoint of "webex" answered HTTP 400 (invalid_request)');
    for (const rendering of renderings(error)) expect(rendering).not.toContain(REFRESH_TOKEN);
  });

  it('is dropped when a word of it looks like a credential (a long mixed-case and digit run)', async () => {
    const error = await errorFor({
      error: 'invalid_grant',
      error_description: 'token eyJhbGciOiJSUzI1NiJ9Zm9vYmFyYmF6cXV4MTIz expired',
    });

    expect(error.message).toBe('The token endpoint of "webex" answered HTTP 401 (invalid_grant)');
  });

  it('is cut to 200 characters', async () => {
    const error = await errorFor({ error: 'invalid_scope', error_description: 'scope '.repeat(100) });

    const description = /\(invalid_scope: (.*)\)$/.exec(error.message)?.[1] ?? '';
    expect(description.length).toBeLessThanOrEqual(200);
    expect(description.startsWith('scope scope')).toBe(true);
  });

  it('has each run of control or non-ASCII characters replaced by one space', async () => {
    const error = await errorFor({
      error: 'invalid_client',
      error_description: 'bad\u0000 client\r\nInjected: line\u001b[31m red\u2028 ok é',
    });

    expect(error.message).toBe(
      'The token endpoint of "webex" answered HTTP 401 (invalid_client: bad client Injected: line [31m red ok)',
    );
    expect(error.message).toMatch(/^[\x20-\x7e]*$/);
  });

  it('is left out when it is not a string, or blank once cleaned', async () => {
    const numeric = await errorFor({ error: 'invalid_client', error_description: 42 });
    const blank = await errorFor({ error: 'invalid_client', error_description: '\u0000\u0007  ' });

    expect(numeric.message).toBe('The token endpoint of "webex" answered HTTP 401 (invalid_client)');
    expect(blank.message).toBe('The token endpoint of "webex" answered HTTP 401 (invalid_client)');
  });

  it('is left out when the error code is not a safe OAuth2 code', async () => {
    const error = await errorFor({ error: 'not a code!', error_description: 'Client authentication failed' });

    expect(error.message).toBe('The token endpoint of "webex" answered HTTP 401');
  });

  it('reaches the Salesforce message before the hint', async () => {
    const { fetch } = fakeFetch(
      json(400, { error: 'invalid_client', error_description: 'invalid client credentials' }),
    );
    const provider = new SalesforceProvider({
      instanceUrl: 'https://acme.my.salesforce.com',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      fetch,
    });

    const error = await rejectionOf(provider.fetchToken(request({ tokenType: 'salesforce' })));

    expect(error.message).toBe(
      'The token endpoint of "salesforce" answered HTTP 400 (invalid_client: invalid client credentials): the consumer key or secret is wrong',
    );
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  InvalidProviderResponseError,
  isSharedTokenError,
  TokenRefreshError,
} from 'lambda-shared-token';
import {
  type OAuth2ClientCredentialsOptions,
  OAuth2ClientCredentialsProvider,
} from 'lambda-shared-token/advanced';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const CLIENT_ID = 'client id/with:odd+chars';
const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-', ':+/= &%');
const ACCESS_TOKEN = testSecret('accessToken', 'access-token-');

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

/** A token endpoint on 127.0.0.1: records each request and answers with `answer`. */
let server: Server;
let tokenUrl: string;
let received: Received[];
let answer: (response: ServerResponse) => void;

const json = (status: number, payload: unknown) => (response: ServerResponse) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
};

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => {
      received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        form: new URLSearchParams(text),
      });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answer = json(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 });
});

const provider = (options: Partial<OAuth2ClientCredentialsOptions> = {}) =>
  new OAuth2ClientCredentialsProvider({
    tokenUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    clock: { now: () => NOW },
    ...options,
  });

const request = (signal: AbortSignal = new AbortController().signal) => ({ tokenType: 'webex', signal });

describe('OAuth2ClientCredentialsProvider request', () => {
  it('posts grant_type=client_credentials with the credentials in the form body with authMethod body', async () => {
    await provider({ authMethod: 'body' }).fetchToken(request());

    const [sent] = received;
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/oauth2/token');
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.headers.accept).toBe('application/json');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(sent?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('sends the credentials form-encoded in an HTTP Basic header by default (client_secret_basic, RFC 6749 2.3.1)', async () => {
    await provider().fetchToken(request());

    const [sent] = received;
    const encoded = (sent?.headers.authorization ?? '').replace(/^Basic /, '');
    const [id, secret] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
    expect(sent?.headers.authorization).toMatch(/^Basic /);
    expect(decodeURIComponent(id ?? '')).toBe(CLIENT_ID);
    expect(decodeURIComponent(secret ?? '')).toBe(CLIENT_SECRET);
    expect(sent?.form.has('client_secret')).toBe(false);
    expect(sent?.form.has('client_id')).toBe(false);
    expect(sent?.form.get('grant_type')).toBe('client_credentials');
  });

  it('sends the scope when one is configured', async () => {
    await provider({ scope: 'api refresh_token' }).fetchToken(request());

    expect(received[0]?.form.get('scope')).toBe('api refresh_token');
  });

  it('sends no scope when none is configured', async () => {
    await provider().fetchToken(request());

    expect(received[0]?.form.has('scope')).toBe(false);
  });
});

describe('OAuth2ClientCredentialsProvider answer', () => {
  it('returns the token with expiresAt counted from the injected clock, in epoch ms', async () => {
    const token = await provider().fetchToken(request());

    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: NOW + 3_600_000 });
  });

  it('returns a refresh_token the endpoint issued', async () => {
    answer = json(200, { access_token: ACCESS_TOKEN, expires_in: 60, refresh_token: 'refresh-secret' });

    const token = await provider().fetchToken(request());

    expect(token.refreshToken).toBe('refresh-secret');
  });

  it('uses defaultExpiresInSeconds for an answer without expires_in', async () => {
    answer = json(200, { access_token: ACCESS_TOKEN, instance_url: 'https://example.my.salesforce.com' });

    const token = await provider({ defaultExpiresInSeconds: 7_200 }).fetchToken(request());

    expect(token.expiresAt).toBe(NOW + 7_200_000);
  });

  it('refuses an answer without expires_in when no default lifetime is configured', async () => {
    answer = json(200, { access_token: ACCESS_TOKEN });

    const error = await rejectionOf(provider().fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
  });

  it('turns HTTP 401 invalid_client into a TokenRefreshError with status and oauthError, echoing no secret', async () => {
    answer = json(401, {
      error: 'invalid_client',
      error_description: `client authentication failed for secret ${CLIENT_SECRET}`,
    });

    const error = await rejectionOf(provider().fetchToken(request()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(isSharedTokenError(error, 'TokenRefreshError')).toBe(true);
    expect((error as TokenRefreshError).status).toBe(401);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_client');
    expect(error.message).toContain('401');
    for (const rendering of [
      error.message,
      String(error),
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
    ]) {
      expect(rendering).not.toContain(CLIENT_SECRET);
      expect(rendering).not.toContain('client authentication failed');
    }
  });

  it('does not take an error field that is not an OAuth2 code as oauthError', async () => {
    answer = json(400, { error: `bad secret ${CLIENT_SECRET}` });

    const error = await rejectionOf(provider().fetchToken(request()));

    expect((error as TokenRefreshError).status).toBe(400);
    expect((error as TokenRefreshError).oauthError).toBeUndefined();
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it('turns HTTP 503 with an HTML body into a TokenRefreshError with the status only', async () => {
    answer = (response) => {
      response.writeHead(503, { 'content-type': 'text/html' });
      response.end('<html>Service Unavailable</html>');
    };

    const error = await rejectionOf(provider().fetchToken(request()));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(503);
    expect(error.message).not.toContain('<html>');
  });

  it('turns a 200 answer that is not JSON into an InvalidProviderResponseError', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`token=${ACCESS_TOKEN}`);
    };

    const error = await rejectionOf(provider().fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(inspect(error, { depth: 5 })).not.toContain(ACCESS_TOKEN);
  });
});

describe('OAuth2ClientCredentialsProvider time limits', () => {
  it('gives up after timeoutMs when the endpoint does not answer', async () => {
    answer = (response) => {
      setTimeout(() => json(200, { access_token: ACCESS_TOKEN, expires_in: 60 })(response), 2_000).unref();
    };

    const error = await rejectionOf(provider({ timeoutMs: 50 }).fetchToken(request()));

    // The endpoint answers a valid token after 2 s: only the 50-ms limit can end the call with a
    // TimeoutError (how long that took is a time, not asserted: it would flake on a busy machine).
    expect(error.name).toBe('TimeoutError');
  });

  it('stops when the signal of the request aborts (the lease runs out)', async () => {
    answer = () => {};
    const controller = new AbortController();
    const pending = provider().fetchToken(request(controller.signal));
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (received.length > 0) resolve();
        else setTimeout(wait, 5);
      };
      wait();
    });

    controller.abort();
    const error = await rejectionOf(pending);

    expect(error.name).toBe('AbortError');
  });

  it('does not send anything when the signal is already aborted', async () => {
    const error = await rejectionOf(provider().fetchToken(request(AbortSignal.abort())));

    expect(error.name).toBe('AbortError');
    expect(received).toHaveLength(0);
  });

  it('falls back to the default timeout when timeoutMs is passed as undefined', async () => {
    const token = await provider({ timeoutMs: undefined }).fetchToken(request());

    expect(token.accessToken).toBe(ACCESS_TOKEN);
  });
});

describe('OAuth2ClientCredentialsProvider options', () => {
  const base: OAuth2ClientCredentialsOptions = {
    tokenUrl: 'https://login.example.com/oauth2/token',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  };

  /** The ConfigurationError the constructor throws; fails the test when it does not throw. */
  function constructionError(options: unknown): ConfigurationError {
    try {
      new OAuth2ClientCredentialsProvider(options as OAuth2ClientCredentialsOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return error as ConfigurationError;
    }
    throw new Error('expected the constructor to throw');
  }

  it.each(['tokenUrl', 'clientId', 'clientSecret'] as const)('refuses a missing %s, naming it', (field) => {
    const options: Partial<OAuth2ClientCredentialsOptions> = { ...base };
    delete options[field];

    expect(constructionError(options).message).toContain(`"${field}"`);
  });

  it.each(['tokenUrl', 'clientId', 'clientSecret'] as const)('refuses an empty %s, naming it', (field) => {
    expect(constructionError({ ...base, [field]: '' }).message).toContain(`"${field}"`);
  });

  it('refuses a tokenUrl that is not a URL, without echoing it', () => {
    const error = constructionError({ ...base, tokenUrl: `not a url ${CLIENT_SECRET}` });

    expect(error.message).toContain('"tokenUrl"');
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it('does not echo an unparsable tokenUrl through the cause either (it may carry credentials)', () => {
    const error = constructionError({
      ...base,
      tokenUrl: 'https://user:hunter2@login.example.com:99999/token',
    });

    expect(error.message).toContain('"tokenUrl"');
    expect(inspect(error, { depth: 5 })).not.toContain('hunter2');
  });

  it('refuses a tokenUrl that is not http(s), without echoing it', () => {
    const error = constructionError({ ...base, tokenUrl: 'ftp://user:hunter2@login.example.com/token' });

    expect(error.message).toContain('"tokenUrl"');
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    ['user and password', 'https://admin:hunter2@login.example.com/oauth2/token'],
    ['a user alone', 'https://hunter2@login.example.com/oauth2/token'],
  ])('refuses a tokenUrl with %s in it, naming the option, never the value', (_, tokenUrl) => {
    const error = constructionError({ ...base, tokenUrl });

    expect(error.message).toBe(
      'OAuth2 provider option "tokenUrl" must not hold credentials (user:password@): put them in the secret',
    );
    expect(inspect(error, { depth: 5 })).not.toContain('hunter2');
  });

  it.each(['client_secret', 'Client_Secret', 'password', 'refresh_token', 'client_assertion'])(
    'refuses a tokenUrl whose query carries %s, naming the parameter, never its value',
    (parameter) => {
      const error = constructionError({
        ...base,
        tokenUrl: `https://login.example.com/oauth2/token?tenant=a&${parameter}=hunter2`,
      });

      expect(error.message).toContain('"tokenUrl"');
      expect(error.message).toContain(`"${parameter}"`);
      expect(inspect(error, { depth: 5 })).not.toContain('hunter2');
    },
  );

  it('accepts a tokenUrl with a query of ordinary parameters', () => {
    expect(
      () =>
        new OAuth2ClientCredentialsProvider({
          ...base,
          tokenUrl: 'https://login.example.com/oauth2/token?api-version=2.0&tenant=acme',
        }),
    ).not.toThrow();
  });

  it('never echoes the client secret in a construction error', () => {
    const error = constructionError({ ...base, tokenUrl: '' });

    expect(String(error)).not.toContain(CLIENT_SECRET);
  });

  it('refuses an unknown option, naming it', () => {
    expect(constructionError({ ...base, scopes: 'api' }).message).toContain('"scopes"');
  });

  it('refuses an authMethod other than body or basic, naming it', () => {
    expect(constructionError({ ...base, authMethod: 'Basic' }).message).toContain('"authMethod"');
  });

  it.each([-1, Number.NaN, 1.5])('refuses timeoutMs = %p, naming it', (timeoutMs) => {
    expect(constructionError({ ...base, timeoutMs }).message).toContain('"timeoutMs"');
  });

  it.each([0, 7_200_000])('refuses defaultExpiresInSeconds = %p, naming it', (seconds) => {
    expect(constructionError({ ...base, defaultExpiresInSeconds: seconds }).message).toContain(
      '"defaultExpiresInSeconds"',
    );
  });
});

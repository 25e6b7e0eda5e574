import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  oauth2ClientCredentials,
  oauth2RefreshToken,
  SecretError,
  salesforce,
} from 'lambda-shared-token';
import type { ProviderCredentials } from 'lambda-shared-token/advanced';
import { thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const SECRET_NAME = '/dev/orders/oauth/webex';
const TOKEN_URL = 'https://login.example.com/oauth2/token';
const CLIENT_ID = 'client-id-value';
const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-');
const BOOTSTRAP = 'bootstrap-refresh-value';
const clock = { now: () => NOW };

/** An in-process ProviderCredentials over plain values, throwing SecretError as the real one does. */
function credentialsOf(values: Record<string, string>, secretName = SECRET_NAME): ProviderCredentials {
  return {
    secretName,
    require(field) {
      const value = values[field];
      if (value === undefined || value === '') {
        throw new SecretError(`Secret "${secretName}" has no non-empty field "${field}"`, secretName, {
          field,
        });
      }
      return value;
    },
    optional: (field) => values[field],
  };
}

interface Sent {
  url: string;
  form: URLSearchParams;
  headers: Headers;
}

/** The client id and secret of an HTTP Basic header (RFC 6749 2.3.1: form-encoded, then Base64). */
function basicCredentials(sent: Sent | undefined): { clientId: string; clientSecret: string } | undefined {
  const encoded = /^Basic (.+)$/.exec(sent?.headers.get('authorization') ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const [id, secret] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
  return { clientId: decodeURIComponent(id ?? ''), clientSecret: decodeURIComponent(secret ?? '') };
}

/** An in-process fetch that records the request and answers a token that lives an hour. */
function fakeFetch(answer: Record<string, unknown> = { access_token: 'issued', expires_in: 3600 }) {
  const sent: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    sent.push({
      url: String(input),
      form: new URLSearchParams(String(init.body)),
      headers: new Headers(init.headers),
    });
    return new Response(JSON.stringify(answer), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof globalThis.fetch;
  return { fetch, sent };
}

const request = () => ({ tokenType: 'webex', signal: new AbortController().signal });

describe('oauth2ClientCredentials', () => {
  it('builds a provider that sends clientId and clientSecret from the secret, in HTTP Basic by default', async () => {
    const { fetch, sent } = fakeFetch();
    const factory = oauth2ClientCredentials({ tokenUrl: TOKEN_URL, clock, fetch });

    const token = await factory(
      credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    ).fetchToken(request());

    expect(token).toEqual({ accessToken: 'issued', expiresAt: NOW + 3_600_000 });
    expect(sent[0]?.url).toBe(TOKEN_URL);
    expect(basicCredentials(sent[0])).toEqual({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({ grant_type: 'client_credentials' });
  });

  it('sends the credentials in the form body with authMethod body', async () => {
    const { fetch, sent } = fakeFetch();
    const factory = oauth2ClientCredentials({ tokenUrl: TOKEN_URL, authMethod: 'body', fetch });

    await factory(credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })).fetchToken(request());

    expect(sent[0]?.headers.get('authorization')).toBeNull();
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('reads the fields named by the fields option', async () => {
    const { fetch, sent } = fakeFetch();
    const factory = oauth2ClientCredentials({
      tokenUrl: TOKEN_URL,
      fetch,
      fields: { clientId: 'consumerKey', clientSecret: 'consumerSecret' },
    });

    await factory(credentialsOf({ consumerKey: CLIENT_ID, consumerSecret: CLIENT_SECRET })).fetchToken(
      request(),
    );

    expect(basicCredentials(sent[0])).toEqual({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });

  it('keeps the default name of a field the fields option leaves out', async () => {
    const { fetch, sent } = fakeFetch();
    const factory = oauth2ClientCredentials({
      tokenUrl: TOKEN_URL,
      fetch,
      fields: { clientId: 'consumerKey' },
    });

    await factory(credentialsOf({ consumerKey: CLIENT_ID, clientSecret: CLIENT_SECRET })).fetchToken(
      request(),
    );

    expect(basicCredentials(sent[0])?.clientSecret).toBe(CLIENT_SECRET);
  });

  it('throws the SecretError of a missing field when the provider is built, naming secret and field', () => {
    const factory = oauth2ClientCredentials({
      tokenUrl: TOKEN_URL,
      fields: { clientSecret: 'consumerSecret' },
    });

    const error = thrownBy(() =>
      factory(credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })),
    );

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).secretName).toBe(SECRET_NAME);
    expect((error as SecretError).field).toBe('consumerSecret');
    expect(inspect(error)).not.toContain(CLIENT_SECRET);
  });

  it('refuses an unknown option when the factory is made, naming it', () => {
    const error = thrownBy(() => oauth2ClientCredentials({ tokenUrl: TOKEN_URL, scopes: 'api' } as never));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('"scopes"');
  });

  it('refuses a credential given as an option, pointing to the fields option, without echoing it', () => {
    const error = thrownBy(() =>
      oauth2ClientCredentials({ tokenUrl: TOKEN_URL, clientSecret: CLIENT_SECRET } as never),
    );

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('"clientSecret"');
    expect(error.message).toContain('"fields"');
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it.each([
    ['tokenUrl', { tokenUrl: 'ftp://login.example.com/token' }],
    ['tokenUrl', { tokenUrl: 'https://admin:hunter2@login.example.com/token' }],
    ['tokenUrl', { tokenUrl: 'https://login.example.com/token?client_secret=hunter2' }],
    ['timeoutMs', { tokenUrl: TOKEN_URL, timeoutMs: -1 }],
    ['authMethod', { tokenUrl: TOKEN_URL, authMethod: 'header' }],
    ['defaultExpiresInSeconds', { tokenUrl: TOKEN_URL, defaultExpiresInSeconds: 3_600_000 }],
    ['tokenUrl', {}],
  ])('validates %s when the factory is made (cold start), not at the first refresh', (field, options) => {
    const error = thrownBy(() => oauth2ClientCredentials(options as never));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`"${field}"`);
  });

  it.each([
    ['an unknown field key', { refreshToken: 'x' }, '"fields.refreshToken"'],
    ['an empty field name', { clientId: '' }, '"fields.clientId"'],
    ['a field name that is not a string', { clientId: 7 }, '"fields.clientId"'],
    ['fields that are not an object', 'clientId', '"fields"'],
  ])('refuses %s in the fields option, naming it', (_, fields, named) => {
    const error = thrownBy(() => oauth2ClientCredentials({ tokenUrl: TOKEN_URL, fields } as never));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(named);
  });

  it('is not changed by a later change of the options object', async () => {
    const { fetch, sent } = fakeFetch();
    const options = { tokenUrl: TOKEN_URL, fetch };
    const factory = oauth2ClientCredentials(options);
    options.tokenUrl = 'https://elsewhere.example.com/token';

    await factory(credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })).fetchToken(request());

    expect(sent[0]?.url).toBe(TOKEN_URL);
  });
});

describe('oauth2RefreshToken', () => {
  it('sends the bootstrap refresh token of the secret when the store has none', async () => {
    const { fetch, sent } = fakeFetch({ access_token: 'issued', expires_in: 60, refresh_token: 'rotated' });
    const factory = oauth2RefreshToken({ tokenUrl: TOKEN_URL, clock, fetch });
    const secret = credentialsOf({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken: BOOTSTRAP,
    });

    const token = await factory(secret).fetchToken(request());

    expect(sent[0]?.form.get('grant_type')).toBe('refresh_token');
    expect(sent[0]?.form.get('refresh_token')).toBe(BOOTSTRAP);
    expect(basicCredentials(sent[0])?.clientId).toBe(CLIENT_ID);
    expect(token).toEqual({ accessToken: 'issued', expiresAt: NOW + 60_000, refreshToken: 'rotated' });
  });

  it('reads the bootstrap refresh token from the field named by the fields option', async () => {
    const { fetch, sent } = fakeFetch();
    const factory = oauth2RefreshToken({
      tokenUrl: TOKEN_URL,
      fetch,
      fields: { refreshToken: 'initialRefresh' },
    });
    const secret = credentialsOf({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      initialRefresh: BOOTSTRAP,
    });

    await factory(secret).fetchToken(request());

    expect(sent[0]?.form.get('refresh_token')).toBe(BOOTSTRAP);
  });

  it('throws the SecretError of a secret without a refresh token, naming the field', () => {
    const factory = oauth2RefreshToken({ tokenUrl: TOKEN_URL });

    const error = thrownBy(() =>
      factory(credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })),
    );

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).field).toBe('refreshToken');
  });

  it('refuses the refresh token given as an option, pointing to the secret', () => {
    const error = thrownBy(() =>
      oauth2RefreshToken({ tokenUrl: TOKEN_URL, refreshToken: BOOTSTRAP } as never),
    );

    expect(error.message).toContain('"refreshToken"');
    expect(error.message).toContain('read from the secret');
    expect(error.message).not.toContain(BOOTSTRAP);
  });

  it('names itself in the error of a bad option', () => {
    const error = thrownBy(() => oauth2RefreshToken({ tokenUrl: TOKEN_URL, timeoutMs: 0 }));

    expect(error.message).toMatch(/^OAuth2 refresh-token provider option "timeoutMs"/);
  });
});

describe('salesforce', () => {
  const secret = (extra: Record<string, string> = {}) =>
    credentialsOf({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra }, '/dev/orders/salesforce');
  const salesforceAnswer = { access_token: 'session', issued_at: String(NOW), instance_url: 'x' };

  it('uses the instanceUrl of the options', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer);
    const factory = salesforce({ instanceUrl: 'https://acme.my.salesforce.com', clock, fetch });

    const token = await factory(secret({ instanceUrl: 'https://other.my.salesforce.com' })).fetchToken(
      request(),
    );

    expect(sent[0]?.url).toBe('https://acme.my.salesforce.com/services/oauth2/token');
    expect(sent[0]?.form.get('client_id')).toBe(CLIENT_ID);
    expect(token.expiresAt).toBe(NOW + 7_200_000);
  });

  it('reads instanceUrl from the secret when the options have none', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer);
    const factory = salesforce({ clock, fetch });

    await factory(secret({ instanceUrl: 'https://acme.my.salesforce.com' })).fetchToken(request());

    expect(sent[0]?.url).toBe('https://acme.my.salesforce.com/services/oauth2/token');
  });

  it('reads consumerKey, consumerSecret and myDomain when the fields option names them', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer);
    const factory = salesforce({
      fetch,
      fields: { clientId: 'consumerKey', clientSecret: 'consumerSecret', instanceUrl: 'myDomain' },
    });
    const mapped = credentialsOf({
      consumerKey: CLIENT_ID,
      consumerSecret: CLIENT_SECRET,
      myDomain: 'https://acme.my.salesforce.com',
    });

    await factory(mapped).fetchToken(request());

    expect(sent[0]?.url).toBe('https://acme.my.salesforce.com/services/oauth2/token');
    expect(sent[0]?.form.get('client_id')).toBe(CLIENT_ID);
    expect(sent[0]?.form.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('sends the consumer key and secret in the form body by default, as Salesforce documents', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer);

    await salesforce({ instanceUrl: 'https://acme.my.salesforce.com', fetch })(secret()).fetchToken(
      request(),
    );

    expect(sent[0]?.headers.get('authorization')).toBeNull();
    expect(sent[0]?.form.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('sends them in an HTTP Basic header with authMethod basic', async () => {
    const { fetch, sent } = fakeFetch(salesforceAnswer);

    await salesforce({ instanceUrl: 'https://acme.my.salesforce.com', authMethod: 'basic', fetch })(
      secret(),
    ).fetchToken(request());

    expect(basicCredentials(sent[0])).toEqual({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    expect(sent[0]?.form.has('client_secret')).toBe(false);
  });

  it('throws the SecretError naming instanceUrl when neither the options nor the secret have it', () => {
    const error = thrownBy(() => salesforce({})(secret()));

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).field).toBe('instanceUrl');
  });

  it('blames the secret, by name and field, for an instanceUrl in it that is not a plain URL, echoing nothing', () => {
    const error = thrownBy(() =>
      salesforce({})(secret({ instanceUrl: 'https://admin:hunter2@acme.my.salesforce.com' })),
    );

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).secretName).toBe('/dev/orders/salesforce');
    expect((error as SecretError).field).toBe('instanceUrl');
    expect(error.message).toContain('"/dev/orders/salesforce"');
    expect(inspect(error, { depth: 5 })).not.toContain('hunter2');
  });

  it.each([
    ['instanceUrl', { instanceUrl: 'acme.my.salesforce.com' }],
    ['instanceUrl', { instanceUrl: 'https://admin:hunter2@acme.my.salesforce.com' }],
    ['authMethod', { authMethod: 'header' }],
    ['sessionLifetimeSeconds', { sessionLifetimeSeconds: 7_200_000 }],
    ['timeoutMs', { timeoutMs: Number.POSITIVE_INFINITY }],
    ['clientId', { clientId: CLIENT_ID }],
    ['tokenUrl', { tokenUrl: TOKEN_URL }],
    ['fields.refreshToken', { fields: { refreshToken: 'x' } }],
  ])('refuses a bad %s when the factory is made, naming it', (named, options) => {
    const error = thrownBy(() => salesforce(options as never));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`"${named}"`);
  });
});

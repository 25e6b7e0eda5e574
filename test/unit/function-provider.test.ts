import { describe, expect, it } from '@jest/globals';
import type { ProviderToken } from 'lambda-shared-token';
import {
  ConfigurationError,
  functionProvider,
  InvalidProviderResponseError,
  SecretError,
  type TokenFunction,
  type TokenFunctionRequest,
} from 'lambda-shared-token';
import type { ProviderCredentials } from 'lambda-shared-token/advanced';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const API_KEY = testSecret('apiKey', 'api-key-');

/** An in-process ProviderCredentials over plain values, throwing SecretError as the real one does. */
function credentialsOf(secretName: string, values: Record<string, string>): ProviderCredentials {
  return {
    secretName,
    require(field) {
      const value = values[field];
      if (value === undefined || value === '') {
        throw new SecretError(`Secret "${secretName}" has no field "${field}"`, secretName, { field });
      }
      return value;
    },
    optional: (field) => values[field],
  };
}

const request = (signal: AbortSignal = new AbortController().signal) => ({ tokenType: 'legacy', signal });

describe('functionProvider', () => {
  it.each([undefined, null, 'fetchToken', { fetchToken: () => undefined }])(
    'throws a ConfigurationError for %p, which is not a function',
    (fn) => {
      expect(() => functionProvider(fn as unknown as TokenFunction)).toThrow(ConfigurationError);
    },
  );

  it('calls the function with the request and the credentials of the factory call', async () => {
    const calls: TokenFunctionRequest[] = [];
    const factory = functionProvider(async (call) => {
      calls.push(call);
      return {
        accessToken: `token-for-${call.credentials.require('apiKey').length}`,
        expiresAt: NOW + 60_000,
      };
    });
    const controller = new AbortController();

    const token = await factory(credentialsOf('/dev/svc/legacy', { apiKey: API_KEY })).fetchToken({
      tokenType: 'legacy',
      refreshToken: 'stored-refresh',
      signal: controller.signal,
    });

    expect(token).toEqual({ accessToken: `token-for-${API_KEY.length}`, expiresAt: NOW + 60_000 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.tokenType).toBe('legacy');
    expect(calls[0]?.refreshToken).toBe('stored-refresh');
    // The request's signal, combined with the provider's own timeout.
    expect(calls[0]?.signal.aborted).toBe(false);
    controller.abort();
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(calls[0]?.credentials.secretName).toBe('/dev/svc/legacy');
  });

  it('declares timeoutMs (5_000 by default) for the manager, and is not waited for past it', async () => {
    expect(
      functionProvider(async () => ({ accessToken: 'a', expiresAt: NOW + 60_000 }))(credentialsOf('s', {}))
        .timeoutMs,
    ).toBe(5_000);
    // A function that never settles and ignores its signal.
    const factory = functionProvider(() => new Promise<ProviderToken>(() => {}), { timeoutMs: 50 });
    const provider = factory(credentialsOf('s', {}));

    const error = await rejectionOf(provider.fetchToken(request()));

    expect(provider.timeoutMs).toBe(50);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it.each([[{ timeoutMs: 0 }], [{ timeoutMs: 1.5 }], [{ timeoutMs: '50' }], [{ timeout: 50 }], [null]])(
    'refuses the options %p with a ConfigurationError naming what is wrong',
    (options) => {
      const make = () =>
        functionProvider(async () => ({ accessToken: 'a', expiresAt: NOW + 60_000 }), options as never);
      expect(make).toThrow(ConfigurationError);
      expect(make).toThrow(/functionProvider option|functionProvider options/);
    },
  );

  it('gives each provider the credentials it was built with, so a changed secret is seen', async () => {
    const factory = functionProvider(async ({ credentials }) => ({
      accessToken: credentials.require('apiKey'),
      expiresAt: NOW + 60_000,
    }));

    const before = await factory(credentialsOf('s', { apiKey: 'first-key' })).fetchToken(request());
    const after = await factory(credentialsOf('s', { apiKey: 'second-key' })).fetchToken(request());

    expect([before.accessToken, after.accessToken]).toEqual(['first-key', 'second-key']);
  });

  it('returns the refresh token the function returns', async () => {
    const factory = functionProvider(async () => ({
      accessToken: 'a',
      expiresAt: NOW + 60_000,
      refreshToken: 'rotated',
    }));

    const token = await factory(credentialsOf('s', {})).fetchToken(request());

    expect(token.refreshToken).toBe('rotated');
  });

  it('returns only the token fields, not whatever else the function put in its object', async () => {
    const factory = functionProvider(
      async () => ({ accessToken: 'a', expiresAt: NOW + 60_000, raw: { apiKey: API_KEY } }) as ProviderToken,
    );

    const token = await factory(credentialsOf('s', {})).fetchToken(request());

    expect(token).toEqual({ accessToken: 'a', expiresAt: NOW + 60_000 });
  });

  it('lets an error of the function through unchanged', async () => {
    const failure = new Error('upstream said no');
    const factory = functionProvider(async () => {
      throw failure;
    });

    await expect(factory(credentialsOf('s', {})).fetchToken(request())).rejects.toBe(failure);
  });

  it('lets the SecretError of a missing secret field through, naming the secret and the field', async () => {
    const factory = functionProvider(async ({ credentials }) => ({
      accessToken: credentials.require('apiKey'),
      expiresAt: NOW + 60_000,
    }));

    const error = await rejectionOf(factory(credentialsOf('/dev/svc/legacy', {})).fetchToken(request()));

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).secretName).toBe('/dev/svc/legacy');
    expect((error as SecretError).field).toBe('apiKey');
  });

  it('refuses an expiresAt in epoch seconds, saying it must be milliseconds', async () => {
    const factory = functionProvider(async () => ({
      accessToken: API_KEY,
      expiresAt: Math.floor(NOW / 1000) + 60,
    }));

    const error = await rejectionOf(factory(credentialsOf('s', {})).fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(error.message).toContain('epoch milliseconds');
    expect(error.message).not.toContain(API_KEY);
  });

  it.each([
    ['no accessToken', { expiresAt: NOW + 60_000 }, 'accessToken'],
    ['an empty accessToken', { accessToken: '', expiresAt: NOW + 60_000 }, 'accessToken'],
    ['an expiresAt that is a string', { accessToken: 'a', expiresAt: String(NOW + 60_000) }, 'expiresAt'],
    ['an expiresAt that is NaN', { accessToken: 'a', expiresAt: Number.NaN }, 'expiresAt'],
    [
      'an empty refreshToken',
      { accessToken: 'a', expiresAt: NOW + 60_000, refreshToken: '' },
      'refreshToken',
    ],
    ['nothing', undefined, 'token'],
  ])('refuses a token with %s, naming the field', async (_, returned, field) => {
    const factory = functionProvider(async () => returned as unknown as ProviderToken);

    const error = await rejectionOf(factory(credentialsOf('s', {})).fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(error.message).toContain(field);
    expect((error as InvalidProviderResponseError).tokenType).toBe('legacy');
  });
});

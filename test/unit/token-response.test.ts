import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { InvalidProviderResponseError, isSharedTokenError } from 'lambda-shared-token';
import { MAX_EXPIRES_IN_SECONDS, parseTokenResponse } from 'lambda-shared-token/advanced';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const TOKEN = testSecret('accessToken', 'access-token-');
const options = { tokenType: 'salesforce', now: NOW };
const body = (answer: Record<string, unknown>): string => JSON.stringify(answer);

/** The error parseTokenResponse throws; fails the test when it parses. */
function parseError(text: string, parseOptions: Parameters<typeof parseTokenResponse>[1] = options): Error {
  try {
    parseTokenResponse(text, parseOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(isSharedTokenError(error, 'InvalidProviderResponseError')).toBe(true);
    return error as Error;
  }
  throw new Error('expected parseTokenResponse to throw');
}

describe('parseTokenResponse', () => {
  it('turns access_token and expires_in (seconds) into a token expiring at now + expires_in, in ms', () => {
    const token = parseTokenResponse(
      body({ access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' }),
      options,
    );

    expect(token).toEqual({ accessToken: TOKEN, expiresAt: NOW + 3_600_000 });
  });

  it('accepts expires_in sent as a numeric string, surrounding spaces included', () => {
    expect(parseTokenResponse(body({ access_token: TOKEN, expires_in: '3600' }), options).expiresAt).toBe(
      NOW + 3_600_000,
    );
    expect(parseTokenResponse(body({ access_token: TOKEN, expires_in: ' 90 ' }), options).expiresAt).toBe(
      NOW + 90_000,
    );
  });

  it('accepts expires_in of exactly a year, the longest lifetime believed', () => {
    const token = parseTokenResponse(
      body({ access_token: TOKEN, expires_in: MAX_EXPIRES_IN_SECONDS }),
      options,
    );

    expect(token.expiresAt).toBe(NOW + MAX_EXPIRES_IN_SECONDS * 1000);
  });

  it('uses the default lifetime when expires_in is missing or null', () => {
    const withDefault = { ...options, defaultExpiresInSeconds: 7_200 };

    expect(parseTokenResponse(body({ access_token: TOKEN }), withDefault).expiresAt).toBe(NOW + 7_200_000);
    expect(parseTokenResponse(body({ access_token: TOKEN, expires_in: null }), withDefault).expiresAt).toBe(
      NOW + 7_200_000,
    );
  });

  it('prefers the answer’s expires_in to the default lifetime', () => {
    const token = parseTokenResponse(body({ access_token: TOKEN, expires_in: 60 }), {
      ...options,
      defaultExpiresInSeconds: 7_200,
    });

    expect(token.expiresAt).toBe(NOW + 60_000);
  });

  it('returns the refresh_token when the answer has one, and no refreshToken key otherwise', () => {
    const withRefresh = parseTokenResponse(
      body({ access_token: TOKEN, expires_in: 60, refresh_token: 'refresh-secret' }),
      options,
    );
    const without = parseTokenResponse(body({ access_token: TOKEN, expires_in: 60 }), options);

    expect(withRefresh.refreshToken).toBe('refresh-secret');
    expect(Object.keys(without)).not.toContain('refreshToken');
  });

  it.each([
    ['missing', {}],
    ['empty', { access_token: '' }],
    ['blank', { access_token: '   ' }],
    ['a number', { access_token: 12345 }],
    ['null', { access_token: null }],
  ])('refuses an access_token that is %s, naming the field', (_case, answer) => {
    const error = parseError(body({ ...answer, expires_in: 3600 }));

    expect(error.message).toContain('access_token');
  });

  it('refuses a missing expires_in without a default lifetime, naming the field', () => {
    expect(parseError(body({ access_token: TOKEN })).message).toContain('expires_in');
  });

  it.each([
    ['0', 0],
    ['negative', -3600],
    ['"0"', '0'],
    ['"-1"', '-1'],
    ['"NaN"', 'NaN'],
    ['a word', 'one hour'],
    ['empty string', ''],
    ['true', true],
    ['an array', [3600]],
    ['an object', { seconds: 3600 }],
    ['one second over a year', MAX_EXPIRES_IN_SECONDS + 1],
    ['a day in milliseconds by mistake', 86_400_000],
    ['1e309 (Infinity)', '1e309'],
  ])('refuses an expires_in that is %s, naming the field', (_case, expiresIn) => {
    const error = parseError(body({ access_token: TOKEN, expires_in: expiresIn }));

    expect(error.message).toContain('expires_in');
  });

  it('refuses a JSON number too large to be finite', () => {
    expect(parseError(`{"access_token":"${TOKEN}","expires_in":1e400}`).message).toContain('expires_in');
  });

  it.each([
    ['empty', ''],
    ['a number', 42],
  ])('refuses a refresh_token that is %s', (_case, refreshToken) => {
    const error = parseError(body({ access_token: TOKEN, expires_in: 60, refresh_token: refreshToken }));

    expect(error.message).toContain('refresh_token');
  });

  it.each([
    ['HTML', '<html>502 Bad Gateway</html>'],
    ['an array', '[]'],
    ['a string', '"access-token-secret-value"'],
    ['null', 'null'],
  ])('refuses an answer that is %s', (_case, text) => {
    expect(parseError(text).message).toMatch(/JSON/);
  });

  it('never echoes a value of the answer in the error, its cause or its rendering', () => {
    const answers = [
      `{"access_token":"${TOKEN}","expires_in":"${TOKEN}"}`,
      `{"access_token":"${TOKEN}","expires_in":-1}`,
      `{"access_token":"${TOKEN}","expires_in":60,"refresh_token":{"v":"${TOKEN}"}}`,
      `{"access_token":"${TOKEN}", broken`,
      `{"access_token":{"nested":"${TOKEN}"}}`,
    ];

    for (const answer of answers) {
      const error = parseError(answer);
      const renderings = [error.message, String(error), inspect(error, { depth: 5 }), String(error.cause)];
      for (const rendering of renderings) expect(rendering).not.toContain(TOKEN);
    }
  });

  it.each(['Bearer', 'bearer', 'BEARER'])(
    'accepts token_type %s (RFC 6750: case-insensitive)',
    (tokenType) => {
      const token = parseTokenResponse(
        body({ access_token: TOKEN, expires_in: 60, token_type: tokenType }),
        options,
      );

      expect(token.accessToken).toBe(TOKEN);
    },
  );

  it('accepts an answer without token_type (Shopify sends none), or with null', () => {
    expect(parseTokenResponse(body({ access_token: TOKEN, expires_in: 60 }), options).accessToken).toBe(
      TOKEN,
    );
    expect(
      parseTokenResponse(body({ access_token: TOKEN, expires_in: 60, token_type: null }), options)
        .accessToken,
    ).toBe(TOKEN);
  });

  it.each(['mac', 'DPoP', 'N_A'])('refuses token_type %s, naming it and Bearer', (tokenType) => {
    const error = parseError(body({ access_token: TOKEN, expires_in: 60, token_type: tokenType }));

    expect(error.message).toContain(`token_type "${tokenType}"`);
    expect(error.message).toContain('Bearer');
  });

  it('refuses a token_type that looks like a token without quoting it', () => {
    const error = parseError(body({ access_token: TOKEN, expires_in: 60, token_type: TOKEN }));

    expect(error.message).toContain('token_type');
    for (const rendering of [error.message, String(error), inspect(error, { depth: 5 })]) {
      expect(rendering).not.toContain(TOKEN);
    }
  });

  it.each([
    ['a number', 1],
    ['an object', { type: 'Bearer' }],
    ['empty', ''],
  ])('refuses a token_type that is %s', (_case, tokenType) => {
    expect(
      parseError(body({ access_token: TOKEN, expires_in: 60, token_type: tokenType })).message,
    ).toContain('token_type');
  });

  it('refuses a default lifetime outside 1 s to a year (a lifetime given in ms by mistake)', () => {
    const error = parseError(body({ access_token: TOKEN }), {
      ...options,
      defaultExpiresInSeconds: 7_200_000,
    });

    expect(error.message).toMatch(/defaultExpiresInSeconds|expires_in/);
  });
});

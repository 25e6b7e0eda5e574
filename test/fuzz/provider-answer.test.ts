/**
 * Fuzzing the provider-answer parsers: parseTokenResponse (RFC 6749 5.1 answers), the error
 * answers of a token endpoint (tokenEndpointError), and the three HTTP providers end to end over
 * an in-process fetch (OAuth2 client credentials, OAuth2 refresh token, Salesforce with its
 * `issued_at`). For any status and body they give a well-formed Bearer token or throw
 * TokenRefreshError (InvalidProviderResponseError, RefreshTokenExpiredError); no error quotes the
 * body's token or the request's client secret, and an error_description reaches a message only
 * as printable ASCII of at most 200 characters.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ProviderToken, TokenProvider } from 'lambda-shared-token';
import {
  InvalidProviderResponseError,
  RefreshTokenExpiredError,
  TokenRefreshError,
} from 'lambda-shared-token';
import {
  MAX_EXPIRES_IN_SECONDS,
  MAX_TOKEN_ANSWER_BYTES,
  OAuth2ClientCredentialsProvider,
  OAuth2RefreshTokenProvider,
  parseTokenResponse,
  SalesforceProvider,
} from 'lambda-shared-token/advanced';
import { tokenEndpointError } from '../../layer/providers/token-endpoint.js';
import {
  anyText,
  anyValue,
  assertFuzz,
  expectNoLeak,
  expectTypedError,
  fuzzProperty,
  outcomeOf,
  plantedFailure,
  secretText,
  specialNumber,
} from './fuzz-support.js';

/** Real epoch milliseconds, 2020 to 2040. */
const epochMs = fc.integer({
  min: Date.parse('2020-01-01T00:00:00Z'),
  max: Date.parse('2040-01-01T00:00:00Z'),
});

/** Answers near a real one: every field of any value, some plausible, some absurd. */
const tokenAnswerText = fc
  .record(
    {
      access_token: fc.oneof(secretText(12), fc.constantFrom('', '   '), anyValue),
      expires_in: fc.oneof(
        fc.integer({ min: -10, max: 40_000_000 }),
        specialNumber,
        fc.constantFrom('3600', ' 60 ', '1e3', '0x10', '3600.5', ''),
        anyValue,
      ),
      refresh_token: fc.oneof(secretText(12), fc.constant(''), anyValue),
      issued_at: fc.oneof(epochMs.map(String), fc.constantFrom('1700000000', '-1', ''), anyValue),
      token_type: fc.oneof(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'mac', 'DPoP', '', null),
        secretText(12),
        anyValue,
      ),
    },
    { requiredKeys: [] },
  )
  .map((answer) => {
    try {
      return JSON.stringify(answer);
    } catch {
      return '{}'; // a BigInt from anyValue: JSON cannot carry it
    }
  });

const anyBody = fc.oneof({ weight: 3, arbitrary: tokenAnswerText }, { weight: 2, arbitrary: anyText });

/** A token that later code can store: a non-empty string, an expiry in the future by at most a year. */
function checkToken(token: ProviderToken, now: number, maxSeconds = MAX_EXPIRES_IN_SECONDS, body = ''): void {
  if (!isBearerOrUntyped(body)) throw new Error('a token whose token_type is not Bearer');
  if (typeof token.accessToken !== 'string' || token.accessToken.trim() === '')
    throw new Error('no access token');
  if (
    !Number.isFinite(token.expiresAt) ||
    token.expiresAt <= now - 5 * 60_000 ||
    token.expiresAt > now + maxSeconds * 1000
  ) {
    throw new Error(`expiresAt ${token.expiresAt} is not in the coming ${maxSeconds} s of ${now}`);
  }
  if (
    token.refreshToken !== undefined &&
    (typeof token.refreshToken !== 'string' || token.refreshToken === '')
  ) {
    throw new Error('a refresh token that is not a non-empty string');
  }
}

/** True when the answer's token_type is Bearer in any case, missing or null (or the body is no object). */
function isBearerOrUntyped(body: string): boolean {
  try {
    const type = (JSON.parse(body) as { token_type?: unknown } | null)?.token_type;
    return (
      type === undefined || type === null || (typeof type === 'string' && type.toLowerCase() === 'bearer')
    );
  } catch {
    return true;
  }
}

type Parse = typeof parseTokenResponse;

function anyAnswerParsesOrIsInvalid(parse: Parse) {
  const input = fc.record({
    body: anyBody,
    now: epochMs,
    fallback: fc.option(fc.integer({ min: 1, max: 30 * 86_400 }), { nil: undefined }),
  });
  return fuzzProperty(input, ({ body, now, fallback }) => {
    let token: ProviderToken;
    try {
      token = parse(body, {
        tokenType: 'fuzz',
        now,
        ...(fallback !== undefined && { defaultExpiresInSeconds: fallback }),
      });
    } catch (error) {
      expectTypedError(error, [InvalidProviderResponseError]);
      const secrets = tokensIn(body);
      return expectNoLeak(error, secrets);
    }
    checkToken(token, now, MAX_EXPIRES_IN_SECONDS, body);
  });
}

/** The token-looking strings of a body (by label), for the leak check. */
function tokensIn(body: string): Record<string, string> {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const found: Record<string, string> = {};
    for (const field of ['access_token', 'refresh_token']) {
      const value = parsed?.[field];
      if (typeof value === 'string' && value.trim().length >= 8) found[field] = value;
    }
    return found;
  } catch {
    return {};
  }
}

const CLIENT_ID = 'client-id';
const CLIENT_SECRET = 'client-secret-value';

/** The three providers, each over a fetch that answers `status` and `body`. */
const PROVIDERS = {
  'OAuth2 client credentials': (fetch: typeof globalThis.fetch, now: number) =>
    new OAuth2ClientCredentialsProvider({
      tokenUrl: 'https://idp.example.test/oauth2/token',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      defaultExpiresInSeconds: 3600,
      clock: { now: () => now },
      fetch,
    }),
  'OAuth2 refresh token': (fetch: typeof globalThis.fetch, now: number) =>
    new OAuth2RefreshTokenProvider({
      tokenUrl: 'https://idp.example.test/oauth2/token',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken: 'bootstrap-refresh-token',
      clock: { now: () => now },
      fetch,
    }),
  Salesforce: (fetch: typeof globalThis.fetch, now: number) =>
    new SalesforceProvider({
      instanceUrl: 'https://acme.my.salesforce.com',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      clock: { now: () => now },
      fetch,
    }),
} satisfies Record<string, (fetch: typeof globalThis.fetch, now: number) => TokenProvider>;

/** Descriptions as providers write them, echoing our secret, breaking lines, or just long. */
const errorDescription = fc.oneof(
  fc.constantFrom('Client authentication failed', 'request not supported on this domain'),
  secretText(12),
  secretText(0).map((text) => `wrong secret ${CLIENT_SECRET} ${text}`),
  secretText(0).map((text) => `secret starts ${CLIENT_SECRET.slice(0, 10)}${text}`),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.nat({ max: 5_000 }).map((length) => 'long '.repeat(length)),
  anyValue,
);

const errorBody = fc.oneof(
  fc
    .record({
      error: fc.constantFrom(
        'invalid_grant',
        'invalid_client',
        'temporarily_unavailable',
        'x'.repeat(65),
        '',
      ),
      error_description: errorDescription,
    })
    .map((value) => {
      try {
        return JSON.stringify(value);
      } catch {
        return '{}'; // a BigInt from anyValue: JSON cannot carry it
      }
    }),
  anyBody,
);

/** Within the cap a token endpoint answer is read; past it, only its size is judged. */
const withinCap = (body: string): boolean => Buffer.byteLength(body) <= MAX_TOKEN_ANSWER_BYTES;

type MakeEndpointError = typeof tokenEndpointError;

/**
 * Any error body gives a TokenRefreshError with the status, a safe code, and a message of
 * printable ASCII whose description part is at most 200 characters and never shows the secret.
 */
function errorAnswersAreSafe(make: MakeEndpointError) {
  const input = fc.record({ status: fc.integer({ min: 400, max: 599 }), body: errorBody });
  return fuzzProperty(input, ({ status, body }) => {
    const error = make('fuzz', status, body, [CLIENT_ID, CLIENT_SECRET]);
    if (!(error instanceof TokenRefreshError) || error.status !== status)
      throw new Error('wrong error or status');
    if (error.oauthError !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(error.oauthError))
      throw new Error('unsafe oauthError');
    if (!/^[\x20-\x7e]*$/.test(error.message))
      throw new Error('a message with characters outside printable ASCII');
    const prefix = `The token endpoint of "fuzz" answered HTTP ${status} (${error.oauthError}: `;
    if (error.message.startsWith(prefix) && error.message.length - prefix.length - 1 > 200)
      throw new Error('an error_description longer than 200 characters');
    expectNoLeak(error, { 'client secret': CLIENT_SECRET });
  });
}

describe('the provider-answer parsers under fuzzing', () => {
  it('parseTokenResponse gives a storable token or InvalidProviderResponseError, quoting no token', async () => {
    await assertFuzz(anyAnswerParsesOrIsInvalid(parseTokenResponse), 600);
  });

  it('tokenEndpointError keeps a safe code and a short, printable, secret-free description of any error body', async () => {
    await assertFuzz(errorAnswersAreSafe(tokenEndpointError), 400);
  });

  it.each(Object.keys(PROVIDERS) as (keyof typeof PROVIDERS)[])(
    '%s: any status and body give a storable token or a TokenRefreshError of the right kind',
    async (name) => {
      const input = fc.record({
        status: fc.constantFrom(200, 200, 200, 201, 400, 401, 403, 429, 500, 503),
        body: errorBody,
        now: epochMs,
      });
      const property = fuzzProperty(input, async ({ status, body, now }) => {
        const fetch = (async () => new Response(body, { status })) as unknown as typeof globalThis.fetch;
        const provider = PROVIDERS[name](fetch, now);
        const outcome = await outcomeOf(() =>
          provider.fetchToken({ tokenType: 'fuzz', signal: new AbortController().signal }),
        );
        if (outcome.returned) {
          if (status >= 300) throw new Error(`a token from an HTTP ${status} answer`);
          return checkToken(
            outcome.value,
            now,
            name === 'Salesforce' ? 24 * 3600 : MAX_EXPIRES_IN_SECONDS,
            body,
          );
        }
        expectTypedError(outcome.error, [TokenRefreshError]);
        if (!withinCap(body) && !(outcome.error instanceof InvalidProviderResponseError))
          throw new Error(`an answer over ${MAX_TOKEN_ANSWER_BYTES} bytes not refused for its size`);
        const invalidGrant =
          status >= 400 &&
          withinCap(body) &&
          tokenEndpointError('fuzz', status, body).oauthError === 'invalid_grant';
        if (
          outcome.error instanceof RefreshTokenExpiredError !==
          (name === 'OAuth2 refresh token' && invalidGrant)
        ) {
          throw new Error(`RefreshTokenExpiredError ${invalidGrant ? 'missing for' : 'for'} HTTP ${status}`);
        }
        if (!/^[\x20-\x7e]*$/.test((outcome.error as Error).message))
          throw new Error('a message with characters outside printable ASCII');
        expectNoLeak(outcome.error, { ...tokensIn(body), 'client secret': CLIENT_SECRET });
      });
      await assertFuzz(property, 200);
    },
  );
});

describe('the provider-answer properties catch planted bugs', () => {
  it('catches an endpoint error that quotes error_description as it came', async () => {
    const quoting: MakeEndpointError = (tokenType, status, body, secrets) => {
      const error = tokenEndpointError(tokenType, status, body, secrets);
      let description: unknown;
      try {
        description = (JSON.parse(body) as { error_description?: unknown } | null)?.error_description;
      } catch {}
      const quoted = typeof description === 'string' ? `: ${description}` : '';
      return new TokenRefreshError(`${error.message}${quoted}`, tokenType, { status });
    };
    expect(await plantedFailure(errorAnswersAreSafe(quoting), 400)).toMatch(
      /client secret|printable ASCII|longer than 200/,
    );
  });

  it('catches a parser that believes any expires_in (NaN, negative, milliseconds)', async () => {
    const credulous: Parse = (body, options) => {
      const answer = JSON.parse(body) as { access_token?: unknown; expires_in?: unknown } | null;
      if (typeof answer?.access_token !== 'string' || answer.access_token === '') {
        throw new InvalidProviderResponseError('no access_token', options.tokenType);
      }
      return { accessToken: answer.access_token, expiresAt: options.now + Number(answer.expires_in) * 1000 };
    };
    expect(await plantedFailure(anyAnswerParsesOrIsInvalid(credulous), 600)).toMatch(
      /untyped throw|expiresAt .* is not in the coming|no access token/,
    );
  });

  it('catches a parser whose error quotes the answer', async () => {
    const quoting: Parse = (body, options) => {
      try {
        return parseTokenResponse(body, options);
      } catch (cause) {
        throw new InvalidProviderResponseError(`bad answer: ${body.slice(0, 300)}`, options.tokenType, {
          cause,
        });
      }
    };
    expect(await plantedFailure(anyAnswerParsesOrIsInvalid(quoting), 600)).toMatch(
      /the error shows the (access|refresh)_token/,
    );
  });
});

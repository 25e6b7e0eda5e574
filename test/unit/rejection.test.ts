/**
 * The rejection predicates on hostile errors. Found by test/fuzz/error-classifier.test.ts: a body
 * with a throwing getter (or a revoked proxy) made isRateLimitError, hence isTokenRejection, throw
 * from the caller's catch block instead of answering.
 */
import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import { isRateLimitError, isTokenRejection, TokenRejectedError } from 'lambda-shared-token';

function throwingBody(): object {
  return Object.defineProperty({ errorCode: 'INVALID_SESSION_ID' }, 'detail', {
    enumerable: true,
    get() {
      throw new Error('getter of the API client');
    },
  });
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('the rejection predicates on a hostile body', () => {
  it.each([
    ['a throwing getter', throwingBody],
    ['a revoked proxy', revokedProxy],
  ])('answer for a 401 whose body holds %s: a rejection, not a rate limit', (_, body) => {
    const error = { statusCode: 401, body: body() };
    expect(isRateLimitError(error)).toBe(false);
    expect(isTokenRejection(error)).toBe(true);
  });

  it('still see a quota code next to a hostile value in the same response', () => {
    const error = {
      statusCode: 403,
      response: { data: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }], body: throwingBody() },
    };
    expect(isRateLimitError(error)).toBe(true);
    expect(isTokenRejection(error)).toBe(false);
  });
});

// Found while fixing the above: `places.some(mentionsRateLimit)` passed the index of each place
// as the depth, so an object four places down the list (axios' response.data) was never read.
describe('the rate-limit check on an axios-style Salesforce error', () => {
  it('sees REQUEST_LIMIT_EXCEEDED in response.data, an array of error objects', () => {
    const error = {
      response: {
        status: 403,
        data: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
      },
    };
    expect(isRateLimitError(error)).toBe(true);
    expect(isTokenRejection(error)).toBe(false);
  });
});

// A handler that turns its own caller away with a 403 once made the whole fleet refresh.
describe("the default classifier and the handler's own answer to its caller", () => {
  it("refuses a 403 Middy's createError built (expose: true): the handler's answer, not the API's", () => {
    expect(isTokenRejection(createError(403, 'Not your order'))).toBe(false);
    expect(isTokenRejection(createError(401, 'Sign in first'))).toBe(false);
  });

  it('refuses an http-errors-shaped 401 (status, statusCode, expose: true)', () => {
    const error = Object.assign(new Error('Unauthorized'), { status: 401, statusCode: 401, expose: true });
    expect(isTokenRejection(error)).toBe(false);
  });

  it("still takes an API client's 401 or 403, which carries no expose flag", () => {
    expect(isTokenRejection({ statusCode: 401 })).toBe(true);
    expect(isTokenRejection({ response: { status: 403 } })).toBe(true);
    expect(isTokenRejection({ $metadata: { httpStatusCode: 403 }, expose: false })).toBe(true);
  });

  it('takes a TokenRejectedError whatever it carries, and a copy of it from another module by name', () => {
    expect(isTokenRejection(new TokenRejectedError(403))).toBe(true);
    const copy = Object.assign(new Error('rejected'), { name: 'TokenRejectedError', expose: true });
    expect(isTokenRejection(copy)).toBe(true);
    expect(new TokenRejectedError().status).toBe(401);
  });
});

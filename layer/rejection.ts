/**
 * Deciding whether an error from the caller's own API call means "the provider rejected
 * the token" (refresh once, run again) or something a new token cannot fix.
 *
 * HTTP clients put the status in different places; we look where the common ones do:
 * `statusCode` (Middy's http-errors, got, Salesforce clients), `status` (fetch Response
 * wrappers, ky), `$metadata.httpStatusCode` (AWS SDK v3), `response.status` (axios).
 */

/** Salesforce's answer when the org's API quota is spent: a 403 that a new token does not cure. */
export const RATE_LIMIT_CODES: readonly string[] = ['REQUEST_LIMIT_EXCEEDED'];

/** Decides whether `error` is a rejection of the token the handler was given. */
export type RejectionPredicate = (error: unknown) => boolean;

/** The HTTP status an error carries, or `undefined` when it carries none. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidates = [
    read(error, 'statusCode'),
    read(error, 'status'),
    read(read(error, '$metadata'), 'httpStatusCode'),
    read(read(error, 'response'), 'status'),
    read(read(error, 'response'), 'statusCode'),
  ];
  for (const candidate of candidates) {
    const status = typeof candidate === 'string' && /^\d{3}$/.test(candidate) ? Number(candidate) : candidate;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599)
      return status;
  }
  return undefined;
}

/**
 * True when the error says the API quota is exhausted (Salesforce `REQUEST_LIMIT_EXCEEDED`,
 * as an error code field or inside the response body). Refreshing would only spend more quota.
 */
export function isRateLimitError(error: unknown): boolean {
  if (httpStatusOf(error) === 429) return true;
  if (typeof error !== 'object' || error === null) return false;
  const places = [
    read(error, 'errorCode'),
    read(error, 'code'),
    read(error, 'body'),
    read(error, 'data'),
    read(read(error, 'response'), 'data'),
    read(read(error, 'response'), 'body'),
    read(error, 'message'),
  ];
  // Not `places.some(mentionsRateLimit)`: `some` passes the index, which would start the depth at 1..6.
  return places.some((place) => mentionsRateLimit(place));
}

/**
 * What a handler throws to say, explicitly, "the upstream API rejected the token I was given":
 * every classifier's answer is yes. For a 401/403 the default cannot tell from the handler's own
 * answer (an `http-errors`-style error with `expose: true`), or a status the API returned in a
 * body rather than threw.
 *
 * @example
 * const upstream = await fetch(url, { headers: { authorization: `Bearer ${token.value}` } });
 * if (upstream.status === 401) throw new TokenRejectedError(401);
 */
export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
  constructor(
    /** The upstream API's HTTP status. */
    readonly status: 401 | 403 = 401,
    options?: ErrorOptions,
  ) {
    super(`The upstream API answered ${status} to the shared token`, options);
  }
}

/** A {@link TokenRejectedError}, told by name: the handler's copy of this module may not be ours. */
export function isTokenRejectedError(error: unknown): error is TokenRejectedError {
  return read(error, 'name') === 'TokenRejectedError' && error instanceof Error;
}

/**
 * The default predicate: HTTP 401 or 403, but never a rate-limit 403, and never the handler's own
 * answer to its caller: an error that `http-errors` or Middy's `createError` built carries
 * `expose: true`, and an upstream API's error does not. A {@link TokenRejectedError} always is one.
 * A 403 that is about permissions, not the token, costs one refresh and one retry, then
 * surfaces unchanged.
 */
export const isTokenRejection: RejectionPredicate = (error) => {
  if (isTokenRejectedError(error)) return true;
  if (read(error, 'expose') === true) return false;
  const status = httpStatusOf(error);
  return (status === 401 || status === 403) && !isRateLimitError(error);
};

function mentionsRateLimit(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return RATE_LIMIT_CODES.some((code) => value.includes(code));
  if (depth > 3 || typeof value !== 'object' || value === null) return false;
  // Salesforce bodies are arrays of { errorCode, message }; other APIs nest an `error` object.
  let values: unknown[];
  try {
    values = Array.isArray(value) ? value.slice(0, 20) : Object.values(value).slice(0, 20);
  } catch {
    // A throwing getter or a revoked proxy in the body: it names no quota, and a predicate run
    // in the caller's catch block must not replace the API's error with its own.
    return false;
  }
  return values.some((item) => mentionsRateLimit(item, depth + 1));
}

/** A property read that survives hostile objects (throwing getters, proxies). */
function read(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

import { type Clock, systemClock } from '../clock.js';
import { ConfigurationError, TokenRefreshError } from '../errors.js';
import { MAX_DEFAULT_EXPIRES_IN_SECONDS } from './token-response.js';

/**
 * What the HTTP providers share: one POST of a form to a token endpoint, and the validation of
 * the options they have in common. Messages start with the provider's label
 * (`OAuth2 provider option "timeoutMs" ...`) and never echo a value.
 */

/** Where the client credentials go: the form body (`client_secret_post`) or HTTP Basic (`client_secret_basic`). */
export type ClientAuthMethod = 'body' | 'basic';

export interface ClientAuthentication {
  clientId: string;
  clientSecret: string;
  method: ClientAuthMethod;
}

export interface TokenEndpointCall {
  /** For error messages. */
  tokenType: string;
  url: string;
  /** The grant's fields (`grant_type`, `refresh_token`, `scope`); the client credentials are added here. */
  form: URLSearchParams;
  client: ClientAuthentication;
  timeoutMs: number;
  /** The request's signal: the lease running out stops the call. */
  signal: AbortSignal;
  fetch: typeof fetch;
}

/**
 * POSTs the form with Node's fetch and returns the body of a 2xx answer. A non-2xx answer
 * becomes `tokenEndpointError`; a timeout or an abort rejects with fetch's own
 * `TimeoutError` / `AbortError`, which the lease holder turns into a TokenRefreshError.
 */
export async function postTokenForm(call: TokenEndpointCall): Promise<string> {
  const { client, form } = call;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.method === 'basic') {
    // RFC 6749 2.3.1: both parts form-encoded before Base64.
    const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
  }
  const response = await call.fetch(call.url, {
    method: 'POST',
    headers,
    body: form.toString(),
    signal: AbortSignal.any([call.signal, AbortSignal.timeout(call.timeoutMs)]),
  });
  const body = await response.text();
  if (!response.ok) throw tokenEndpointError(call.tokenType, response.status, body);
  return body;
}

// OAuth2 error codes are short identifiers; anything else could be an echo of our input.
const OAUTH_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** An HTTP error from a token endpoint, carrying the status and the OAuth2 `error` code only. */
export function tokenEndpointError(tokenType: string, status: number, body: string): TokenRefreshError {
  let oauthError: string | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string' && OAUTH_ERROR_CODE.test(parsed.error)) oauthError = parsed.error;
  } catch {
    // Not JSON: the status alone tells what happened.
  }
  return new TokenRefreshError(
    `The token endpoint of "${tokenType}" answered HTTP ${status}${oauthError ? ` (${oauthError})` : ''}`,
    tokenType,
    { status, ...(oauthError !== undefined && { oauthError }) },
  );
}

/** Throws unless `options` is an object whose keys are all in `known`, naming the first stranger. */
export function checkOptionKeys(
  options: unknown,
  known: ReadonlySet<string>,
  label: string,
  hint: (key: string) => string = () => '',
): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ConfigurationError(`${label} options must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigurationError(`Unknown ${label} option "${key}"${hint(key)}`);
  }
}

/** A non-empty string option; the value is never echoed (it may be a credential). */
export function requireText(value: unknown, field: string, label: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(`${label} option "${field}" is missing or empty`);
  }
  return value;
}

/** An http(s) URL option. Neither the value nor the parser's error is echoed: a URL may carry credentials. */
export function requireHttpUrl(value: unknown, field: string, label: string): URL {
  const text = requireText(value, field, label);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigurationError(`${label} option "${field}" is not a URL`, {
      cause: new Error(error instanceof Error ? error.name : 'invalid URL'),
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`${label} option "${field}" must be an http(s) URL`);
  }
  return url;
}

/** @default 'body' */
export function readAuthMethod(value: unknown, label: string): ClientAuthMethod {
  const method = value ?? 'body';
  if (method !== 'body' && method !== 'basic') {
    throw new ConfigurationError(`${label} option "authMethod" must be "body" or "basic"`);
  }
  return method;
}

/** @default 5_000 ms */
export function readTimeoutMs(value: unknown, label: string): number {
  const timeoutMs = value ?? 5_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigurationError(`${label} option "timeoutMs" must be a whole number of milliseconds > 0`);
  }
  return timeoutMs;
}

/** A lifetime in seconds from (0, max]: a value in milliseconds is refused rather than believed. */
export function readLifetimeSeconds(
  value: unknown,
  field: string,
  label: string,
  max = MAX_DEFAULT_EXPIRES_IN_SECONDS,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigurationError(`${label} option "${field}" must be seconds from 1 to ${max}`);
  }
  return value;
}

/** @default systemClock */
export function readClock(value: unknown, label: string): Clock {
  if (value === undefined) return systemClock;
  if (typeof (value as Partial<Clock> | null)?.now !== 'function') {
    throw new ConfigurationError(`${label} option "clock" must have a now() method`);
  }
  return value as Clock;
}

/** @default globalThis.fetch, looked up at construction */
export function readFetch(value: unknown, label: string): typeof fetch {
  const chosen = value ?? globalThis.fetch;
  if (typeof chosen !== 'function')
    throw new ConfigurationError(`${label} option "fetch" must be a function`);
  return chosen as typeof fetch;
}

import { ConfigurationError } from '../errors/error-classes.js';
import { anyValue, validateOptions } from '../options/option-rules.js';
import { type Clock, systemClock } from '../time/clock.js';
import { MAX_DEFAULT_EXPIRES_IN_SECONDS } from './token-response.js';

/**
 * The validation of the options the HTTP providers have in common. Messages start with the
 * provider's label (`OAuth2 provider option "timeoutMs" ...`) and never echo a value.
 */

/** Where the client credentials go: the form body (`client_secret_post`) or HTTP Basic (`client_secret_basic`). */
export type ClientAuthMethod = 'body' | 'basic';

/**
 * Throws unless `options` is an object whose keys are all in `known` (validateOptions, naming the
 * first stranger). The values are checked where they are read (`read*` below), which also gives
 * each its default.
 */
export function checkOptionKeys(
  options: unknown,
  known: ReadonlySet<string>,
  label: string,
  hint: (key: string) => string = () => '',
): asserts options is Record<string, unknown> {
  validateOptions(label, options, Object.fromEntries([...known].map((key) => [key, anyValue])), hint);
}

/** A non-empty string option; the value is never echoed (it may be a credential). */
export function requireText(value: unknown, field: string, label: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(`${label} option "${field}" is missing or empty`);
  }
  return value;
}

/**
 * Query parameters that carry a credential (OAuth2's own, and the usual API-key names): a URL
 * option holding one puts a secret where logs, traces and proxies see it. Compared in lower case.
 * Other query parameters (`api-version`, `tenant`) are fine.
 */
const CREDENTIAL_QUERY_PARAMETERS = new Set([
  'client_secret',
  'client_assertion',
  'password',
  'refresh_token',
  'access_token',
  'assertion',
  'api_key',
  'apikey',
  'secret',
  'token',
]);

/**
 * An http(s) URL option without credentials in it: no `user:password@` and no credential query
 * parameter (they belong in the secret, and fetch would refuse the first at the first refresh,
 * quoting the URL). Neither the value nor the parser's error is echoed.
 */
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
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError(
      `${label} option "${field}" must not hold credentials (user:password@): put them in the secret`,
    );
  }
  for (const name of url.searchParams.keys()) {
    // A parameter name is not secret, and naming it says what to move.
    if (CREDENTIAL_QUERY_PARAMETERS.has(name.toLowerCase())) {
      throw new ConfigurationError(
        `${label} option "${field}" must not carry the credential query parameter "${name}": put it in the secret`,
      );
    }
  }
  return url;
}

/**
 * HTTP Basic by default: RFC 6749 2.3.1 makes it the client authentication every server must
 * support; the form body (`client_secret_post`) is only allowed there, "NOT RECOMMENDED".
 * @default 'basic'
 */
export function readAuthMethod(
  value: unknown,
  label: string,
  fallback: ClientAuthMethod = 'basic',
): ClientAuthMethod {
  const method = value ?? fallback;
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

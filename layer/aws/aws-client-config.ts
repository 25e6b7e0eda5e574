import { requireHttpUrl } from '../providers/provider-options.js';

/**
 * Throws a ConfigurationError when the client configuration's `endpoint` is a URL holding
 * credentials (`user:password@`, `?...secret=`): an option is printed in errors and logs, so a
 * credential never belongs in one. Names the option (`label` and `endpoint`), never the value.
 */
export function checkClientConfig(config: { endpoint?: unknown } | undefined, label: string): void {
  const endpoint = config?.endpoint;
  if (typeof endpoint === 'string' || endpoint instanceof URL)
    requireHttpUrl(String(endpoint), 'endpoint', label);
}

/**
 * Timeouts of every AWS client the layer builds itself (DynamoDB, Secrets Manager, KMS). The SDK's
 * defaults wait for ever on a connection that accepts and never answers; each call is also
 * abandoned at its caller's deadline (layer/time/deadline.ts), but a call shared by many callers, or
 * made with no deadline, needs the client's own bound. A client passed in by the user is used as
 * it is, and a `requestHandler` in the user's client configuration wins.
 */

/** Establishing a TCP (and TLS) connection to a regional endpoint takes milliseconds; a second is plenty. */
export const CONNECTION_TIMEOUT_MS = 1_000;

/**
 * A whole request, the answer included. DynamoDB, KMS and Secrets Manager answer these small
 * requests in milliseconds; past this the request fails as `TimeoutError`, which the SDK retries.
 */
export const REQUEST_TIMEOUT_MS = 5_000;

/** The client configuration with the layer's timeouts, unless it brings its own request handler. */
export function withCallTimeouts<T extends object>(config: T | undefined): T {
  const given = (config ?? {}) as T;
  if ((given as { requestHandler?: unknown }).requestHandler !== undefined) return given;
  return {
    ...given,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Without it the request timeout only logs a warning and the request goes on waiting.
      throwOnRequestTimeout: true,
    },
  } as T;
}

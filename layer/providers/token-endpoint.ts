import { InvalidProviderResponseError, TokenRefreshError } from '../errors/error-classes.js';
import { heldTimeout } from '../time/deadline.js';
import { MAX_TOKEN_ANSWER_BYTES, readBodyUpTo } from './bounded-body.js';
import { safeErrorDescription, secretForms } from './error-description.js';
import type { ClientAuthMethod } from './provider-options.js';

/**
 * What the HTTP providers share: one POST of a form to a token endpoint, its answer read up to
 * `MAX_TOKEN_ANSWER_BYTES`, and the error of a non-2xx answer. Messages never echo a secret.
 */

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

/** Form fields that are no secret, so an error description may mention them. */
const PUBLIC_FORM_FIELDS = new Set(['grant_type', 'scope']);

/**
 * POSTs the form with Node's fetch and returns the body of a 2xx answer. A non-2xx answer
 * becomes `tokenEndpointError`; an answer (2xx or not) longer than `MAX_TOKEN_ANSWER_BYTES` is an
 * `InvalidProviderResponseError`, the rest never read. A timeout or an abort, while waiting for
 * the headers or for the body, rejects with fetch's own `TimeoutError` / `AbortError`, which
 * the lease holder turns into a TokenRefreshError.
 */
export async function postTokenForm(call: TokenEndpointCall): Promise<string> {
  const { client, form } = call;
  // Taken before the credentials join the form: what the endpoint must not echo back to us.
  const secrets = secretForms([
    client.clientId,
    client.clientSecret,
    ...[...form].filter(([name]) => !PUBLIC_FORM_FIELDS.has(name)).map(([, value]) => value),
  ]);
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
  // Held until the answer is read (see heldTimeout: a bare AbortSignal.timeout() may never fire).
  const timeout = heldTimeout(call.timeoutMs);
  const signal = AbortSignal.any([call.signal, timeout.signal]);
  let response: Response;
  let body: string | undefined;
  try {
    response = await call.fetch(call.url, { method: 'POST', headers, body: form.toString(), signal });
    body = await readBodyUpTo(response, MAX_TOKEN_ANSWER_BYTES, signal);
  } finally {
    timeout.clear();
  }
  if (body === undefined) {
    throw new InvalidProviderResponseError(
      `The token endpoint of "${call.tokenType}" answered HTTP ${response.status} with a body over ` +
        `${MAX_TOKEN_ANSWER_BYTES} bytes: not a token answer, not read further`,
      call.tokenType,
      { status: response.status },
    );
  }
  if (!response.ok) throw tokenEndpointError(call.tokenType, response.status, body, secrets);
  return body;
}

// OAuth2 error codes are short identifiers; anything else could be an echo of our input.
const OAUTH_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * An HTTP error from a token endpoint, carrying the status and the OAuth2 `error` code; its
 * message adds the `error_description` when `safeErrorDescription` keeps it, with `secrets` the
 * values of the request it must not contain:
 * `The token endpoint of "x" answered HTTP 401 (invalid_client: Client authentication failed)`.
 */
export function tokenEndpointError(
  tokenType: string,
  status: number,
  body: string,
  secrets: readonly string[] = [],
): TokenRefreshError {
  let oauthError: string | undefined;
  let description: string | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown } | null;
    if (typeof parsed?.error === 'string' && OAUTH_ERROR_CODE.test(parsed.error)) {
      oauthError = parsed.error;
      description = safeErrorDescription(parsed.error_description, secrets);
    }
  } catch {
    // Not JSON: the status alone tells what happened.
  }
  const detail = oauthError === undefined ? '' : ` (${oauthError}${description ? `: ${description}` : ''})`;
  return new TokenRefreshError(
    `The token endpoint of "${tokenType}" answered HTTP ${status}${detail}`,
    tokenType,
    {
      status,
      ...(oauthError !== undefined && { oauthError }),
    },
  );
}

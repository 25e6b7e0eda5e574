/**
 * The provider's token endpoint answers. For the client credentials grants (salesforce,
 * oauth2ClientCredentials) "answers" means one real token request through the layer's own
 * provider, built by its factory from the secret, so the request is exactly what a refresh sends:
 * it proves the URL, the network path and the credentials. It costs one provider call; the token is
 * dropped at once, never printed nor stored. For oauth2RefreshToken a real request would rotate the
 * refresh token the functions hold (the answer's new one would be lost with the token), so only
 * reachability is checked: a POST without credentials, which a token endpoint answers with an
 * OAuth2 error. A functionProvider's request is your code's: not checked.
 */
import { isSharedTokenError, type TokenRefreshError } from '../../layer/errors/error-classes.js';
import { MAX_TOKEN_ANSWER_BYTES, readBodyUpTo } from '../../layer/providers/bounded-body.js';
import { tokenEndpointError } from '../../layer/providers/token-endpoint.js';
import type { TokenProvider } from '../../layer/providers/token-provider.js';
import type { ProviderSecret } from '../../layer/secret/provider-secret.js';
import { formatDuration } from '../text-format.js';
import { type CheckResult, fail, ok, skip } from './check.js';
import type { ProviderSetup } from './provider-kinds.js';

const ID = 'provider.endpoint';
const TITLE = 'token endpoint';
/** How long the reachability probe waits, as the providers' default `timeoutMs`. */
const PROBE_TIMEOUT_MS = 5_000;

export interface EndpointInputs {
  setup: ProviderSetup | undefined;
  /** The secret, or why there is none. */
  secret: ProviderSecret | string;
  /** The provider the layer's factory built from the secret, when it did. */
  provider: TokenProvider | undefined;
  /** Names the request in the layer's messages. */
  tokenType: string;
  nowMs: number;
}

export async function checkEndpoint(inputs: EndpointInputs): Promise<CheckResult> {
  const { setup } = inputs;
  if (setup?.kind === undefined) {
    return skip(ID, TITLE, 'no --provider given (the check costs one token request to the provider)');
  }
  if (setup.endpointNeeds !== undefined) return skip(ID, TITLE, setup.endpointNeeds);
  const secret = typeof inputs.secret === 'string' ? undefined : inputs.secret;
  const url = setup.tokenUrl(secret);
  if (setup.kind === 'oauth2RefreshToken') return probe(url!, inputs.tokenType);
  if (inputs.provider === undefined || url === undefined) {
    const why = typeof inputs.secret === 'string' ? inputs.secret : 'the provider fields check failed';
    return skip(ID, TITLE, `needs the credentials from the secret: ${why}`);
  }
  try {
    const token = await inputs.provider.fetchToken({
      tokenType: inputs.tokenType,
      signal: new AbortController().signal,
    });
    const lifetime = formatDuration(token.expiresAt - inputs.nowMs);
    return ok(
      ID,
      TITLE,
      `${url} issued a token for these credentials (valid ${lifetime}); dropped, never printed nor stored`,
    );
  } catch (error) {
    return requestFailure(url, error);
  }
}

/** A POST without credentials: any OAuth2 error answer shows a token endpoint is there. */
async function probe(url: string, tokenType: string): Promise<CheckResult> {
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  let response: Response;
  let body: string | undefined;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=refresh_token',
      signal,
    });
    body = await readBodyUpTo(response, MAX_TOKEN_ANSWER_BYTES, signal);
  } catch (error) {
    return requestFailure(url, error);
  }
  const notTried =
    'credentials and refresh token not tried: a refresh_token request rotates the refresh token the functions hold, and doctor would lose the new one';
  if (response.status === 404 || response.status === 405 || response.status >= 500 || response.ok) {
    return httpFailure(
      url,
      response.status,
      undefined,
      response.ok ? 'answered a request without credentials with success' : undefined,
    );
  }
  const { oauthError } = tokenEndpointError(tokenType, response.status, body ?? '');
  const answer = `HTTP ${response.status}${oauthError === undefined ? ' (not an OAuth2 error body)' : ` (${oauthError})`}`;
  return ok(
    ID,
    TITLE,
    `${url} is reachable: it answered ${answer} to a request without credentials; ${notTried}`,
  );
}

/** A token request that failed: refused, not a token endpoint, or unreachable. */
function requestFailure(url: string, error: unknown): CheckResult {
  if (isSharedTokenError(error, 'TokenRefreshError')) {
    const refused = error as TokenRefreshError;
    return httpFailure(url, refused.status, refused.oauthError, refused.message);
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return fail(
      ID,
      TITLE,
      `${url} did not answer within ${formatDuration(PROBE_TIMEOUT_MS)}`,
      'every refresh times out (TokenRefreshError), and callers wait for the lease meanwhile',
      "check that this network reaches the endpoint (the functions' VPC: a NAT gateway or proxy) and that the URL is right",
    );
  }
  const code = networkCode(error);
  return fail(
    ID,
    TITLE,
    `${url} is unreachable (${code})`,
    'every refresh fails before it reaches the provider (TokenRefreshError)',
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? "the host name does not resolve: check the URL (--token-url, or the secret's instanceUrl for Salesforce)"
      : "check the URL and its port, and that this network reaches it (the functions' VPC: a NAT gateway or proxy, security groups)",
  );
}

function httpFailure(
  url: string,
  status: number | undefined,
  oauthError: string | undefined,
  message?: string,
): CheckResult {
  const answered = message ?? `${url} answered HTTP ${status}`;
  if (status === 401 || oauthError === 'invalid_client') {
    return fail(
      ID,
      TITLE,
      `${url} refused the credentials: ${answered}`,
      'the clientId / clientSecret in the secret are wrong or revoked, or the server wants them another way: every refresh fails with a TokenRefreshError',
      "put the right clientId and clientSecret in the secret (the functions fetch it again after invalid_client); if they are right, try --auth-method basic or body, and set the provider's authMethod to what works",
    );
  }
  if (
    oauthError === 'invalid_grant' ||
    oauthError === 'unauthorized_client' ||
    oauthError === 'unsupported_grant_type'
  ) {
    return fail(
      ID,
      TITLE,
      `${url} refused the grant: ${answered}`,
      'the client exists but may not use this grant: every refresh fails',
      "enable the client credentials grant for this client (Salesforce: the connected app's client credentials flow, with a Run As user; instanceUrl is the My Domain URL)",
    );
  }
  if (oauthError === 'invalid_scope') {
    return fail(
      ID,
      TITLE,
      `${url} refused the scope: ${answered}`,
      'every refresh fails',
      "set the provider's scope to scopes this client may ask for (--scope to try one)",
    );
  }
  if (status === 404 || status === 405) {
    return fail(
      ID,
      TITLE,
      `${url} answered HTTP ${status}: no token endpoint at this URL`,
      'every refresh fails with a TokenRefreshError',
      "check the URL: the provider's tokenUrl option (--token-url), or for Salesforce the My Domain instanceUrl",
    );
  }
  if (status !== undefined && status >= 500) {
    return fail(
      ID,
      TITLE,
      `${url} answered HTTP ${status}`,
      'the provider is failing: refreshes fail and the shared back-off holds callers off',
      "retry later; check the provider's status page",
    );
  }
  return fail(
    ID,
    TITLE,
    answered,
    'a refresh gets the same answer and fails',
    'see docs/providers.md for what the provider needs',
  );
}

/** The Node code of a failed fetch (`TypeError: fetch failed`, its cause holds the code). */
function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return 'network error';
}

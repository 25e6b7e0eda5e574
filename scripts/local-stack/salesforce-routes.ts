import { createHmac } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { clientAuthenticates } from './client-auth.js';
import { sendJson } from './http-io.js';
import { type ApiVerdict, bearerToken, mediaType, type ProviderState } from './oauth-state.js';

/**
 * Salesforce's flavour of the local provider, on the same server and the same state: the
 * client credentials flow of a My Domain, and one REST API query. Shapes follow Salesforce:
 * no expires_in, issued_at in epoch ms as a string, errors of the REST API as
 * `[{"message","errorCode"}]`.
 */

export const SALESFORCE_TOKEN_PATH = '/services/oauth2/token';
export const SALESFORCE_QUERY_PATH = '/services/data/v60.0/query';

const ORG_ID = '00D000000000001AAA';
const USER_ID = '005000000000001AAA';

/** `POST /services/oauth2/token`: client_credentials only. */
export async function handleSalesforceToken(
  state: ProviderState,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { injected, body } = await state.beginTokenCall(req);
  if (injected) return state.sendInjected(res, injected);

  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'unsupported content type' });
  }
  const form = new URLSearchParams(body);
  if (!clientAuthenticates(req.headers, form, state.credentials)) {
    return sendJson(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return sendJson(res, 400, {
      error: 'unsupported_grant_type',
      error_description: 'grant type not supported',
    });
  }
  // The session lives tokenTtlSeconds on this server, yet the answer says nothing of it, as Salesforce's.
  const accessToken = state.tokens.issueAccessToken(state.tokenTtlSeconds);
  state.stats.tokensIssued++;
  const id = `${origin}/id/${ORG_ID}/${USER_ID}`;
  const issuedAt = String(Date.now());
  sendJson(
    res,
    200,
    {
      access_token: accessToken,
      signature: createHmac('sha256', state.credentials.clientSecret)
        .update(id + issuedAt)
        .digest('base64'),
      scope: 'api',
      instance_url: origin,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    },
    { 'cache-control': 'no-store', pragma: 'no-cache' },
  );
}

const INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];

// Salesforce answers a missing, expired and revoked session alike.
const QUERY_REPLIES: Record<ApiVerdict, [number, unknown, OutgoingHttpHeaders?]> = {
  ok: [200, { totalSize: 1, done: true, records: [{ attributes: { type: 'Account' }, Name: 'Acme' }] }],
  'no-token': [401, INVALID_SESSION, { 'www-authenticate': 'Token' }],
  rejected: [401, INVALID_SESSION, { 'www-authenticate': 'Token' }],
  'rate-limited': [403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]],
};

/** `GET /services/data/v60.0/query`: one Account for a live session. */
export function handleSalesforceQuery(state: ProviderState, req: IncomingMessage, res: ServerResponse): void {
  state.stats.apiCalls++;
  const injected = state.apiFaults.take();
  if (injected) {
    state.sendInjected(res, injected);
    return;
  }
  const [status, body, headers] = QUERY_REPLIES[state.judgeApiCall(bearerToken(req))];
  sendJson(res, status, body, headers);
}

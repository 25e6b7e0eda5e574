import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { clientAuthenticates } from './client-auth.js';
import { BodyTooLargeError, sendJson } from './http-io.js';
import { listenOnLoopback } from './loopback-server.js';
import {
  type ApiVerdict,
  bearerToken,
  mediaType,
  type OAuthProviderStats,
  type ProviderAnswer,
  ProviderState,
  type ProviderStateOptions,
  type StreamedAnswerStats,
} from './oauth-state.js';
import {
  handleSalesforceQuery,
  handleSalesforceToken,
  SALESFORCE_QUERY_PATH,
  SALESFORCE_TOKEN_PATH,
} from './salesforce-routes.js';

export type { OAuthProviderStats, StreamedAnswer, StreamedAnswerStats } from './oauth-state.js';

/**
 * What `failTokenNext` and `failApiNext` take: a canned answer (`{ status, body }`,
 * `{ status, rawBody }`, `'timeout'`) or a streamed one (`{ stream: 'huge' }`: 200 MiB made as it
 * is read; `{ stream: 'drip', everyMs }`: a byte every `everyMs`, forever).
 */
export type InjectedAnswer = ProviderAnswer;

export interface OAuthProviderOptions extends ProviderStateOptions {
  /** When true, tokens come with a refresh_token, and grant_type=refresh_token rotates it. Default false. */
  issueRefreshTokens?: boolean;
}

export interface LocalOAuthProvider {
  /** http://127.0.0.1:PORT/oauth2/token */
  tokenUrl: string;
  /** http://127.0.0.1:PORT/api/data */
  apiUrl: string;
  /** http://127.0.0.1:PORT: the "My Domain" of the Salesforce routes; its token URL is `${instanceUrl}/services/oauth2/token`. */
  instanceUrl: string;
  /** http://127.0.0.1:PORT/services/data/v60.0/query */
  salesforceQueryUrl: string;
  stats(): OAuthProviderStats;
  resetStats(): void;
  setLatency(ms: number): void;
  setRejectRate(rate: number): void;
  setRateLimitRate(rate: number): void;
  setTokenTtl(seconds: number): void;
  /** One shot: the next successful OAuth2 token answer carries this raw expires_in (undefined = omitted); Salesforce answers never have one. */
  setNextExpiresIn(value: unknown): void;
  /**
   * The next `count` token requests (OAuth2 and Salesforce) get this answer, queued after earlier
   * injections. `{ stream: 'huge' }` or `{ stream: 'drip' }` for an answer no client should read whole.
   */
  failTokenNext(count: number, answer: InjectedAnswer): void;
  /** The next `count` data API calls get this answer (queued after earlier injections). */
  failApiNext(count: number, answer: InjectedAnswer): void;
  revokeAll(): void;
  /** Bytes written by streamed answers so far, and how many of them are still open. */
  streamedAnswers(): StreamedAnswerStats;
  /**
   * A refresh token as an operator would put it in the secret: usable once with
   * grant_type=refresh_token, then rotated like any other. Needs `issueRefreshTokens: true`.
   */
  issueBootstrapRefreshToken(): string;
  /**
   * Every access and refresh token issued so far, so a test can assert none of them leaked into
   * output. Secret values: compare with them, never print them.
   */
  issuedTokens(): string[];
  /** Issued, not revoked, not expired. */
  isLive(accessToken: string): boolean;
  /** Every distinct token a data API request presented (secret values: compare, never print). */
  presentedTokens(): string[];
  /** Also ends parked 'timeout' requests and every open socket. */
  stop(): Promise<void>;
}

const TOKEN_PATH = '/oauth2/token';
const API_PATH = '/api/data';

const API_REPLIES: Record<ApiVerdict, [number, unknown, OutgoingHttpHeaders?]> = {
  ok: [200, { ok: true }],
  'no-token': [401, { error: 'invalid_request' }, { 'www-authenticate': 'Bearer' }],
  'rate-limited': [403, { error: 'rate_limited', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
  rejected: [403, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' }],
};

/**
 * A local OAuth2 provider (client_credentials, rotating refresh tokens) plus a data API that checks
 * tokens, and the same in Salesforce's shapes under /services/…
 */
export async function startOAuthProvider(options: OAuthProviderOptions): Promise<LocalOAuthProvider> {
  const state = new ProviderState(options);
  const issueRefreshTokens = options.issueRefreshTokens ?? false;
  let nextExpiresIn: { value: unknown } | undefined;
  const { tokens } = state;

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { injected, body } = await state.beginTokenCall(req);
    if (injected) return state.sendInjected(res, injected);

    if (mediaType(req) !== 'application/x-www-form-urlencoded') {
      return sendJson(res, 400, { error: 'invalid_request' });
    }
    const form = new URLSearchParams(body);
    if (!clientAuthenticates(req.headers, form, state.credentials)) {
      return sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="oauth2"' });
    }
    const grant = form.get('grant_type');
    if (grant === null) return sendJson(res, 400, { error: 'invalid_request' });
    if (grant === 'refresh_token' && issueRefreshTokens) {
      const use = tokens.consumeRefreshToken(form.get('refresh_token') ?? '');
      if (use === 'replayed') state.stats.refreshReplays++;
      if (use !== 'rotated') return sendJson(res, 400, { error: 'invalid_grant' });
      return sendTokens(res);
    }
    if (grant === 'client_credentials') return sendTokens(res);
    return sendJson(res, 400, { error: 'unsupported_grant_type' });
  }

  function sendTokens(res: ServerResponse): void {
    const answer: Record<string, unknown> = {
      access_token: tokens.issueAccessToken(state.tokenTtlSeconds),
      token_type: 'Bearer',
      expires_in: state.tokenTtlSeconds,
    };
    state.stats.tokensIssued++;
    if (nextExpiresIn) {
      // Only the answer lies: the token itself still lives tokenTtlSeconds on this server.
      if (nextExpiresIn.value === undefined) delete answer.expires_in;
      else answer.expires_in = nextExpiresIn.value;
      nextExpiresIn = undefined;
    }
    if (issueRefreshTokens) answer.refresh_token = tokens.issueRefreshToken();
    sendJson(res, 200, answer, { 'cache-control': 'no-store', pragma: 'no-cache' });
  }

  function handleApi(req: IncomingMessage, res: ServerResponse): void {
    state.stats.apiCalls++;
    const injected = state.apiFaults.take();
    if (injected) {
      state.sendInjected(res, injected);
      return;
    }
    const [status, body, headers] = API_REPLIES[state.judgeApiCall(bearerToken(req))];
    sendJson(res, status, body, headers);
  }

  const routes: Record<
    string,
    { method: string; handle: (req: IncomingMessage, res: ServerResponse) => unknown }
  > = {
    [TOKEN_PATH]: { method: 'POST', handle: handleToken },
    [API_PATH]: { method: 'GET', handle: handleApi },
    [SALESFORCE_TOKEN_PATH]: {
      method: 'POST',
      handle: (req, res) => handleSalesforceToken(state, listener.origin, req, res),
    },
    [SALESFORCE_QUERY_PATH]: { method: 'GET', handle: (req, res) => handleSalesforceQuery(state, req, res) },
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const target = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!target) return sendJson(res, 404, { error: 'not_found' });
    if (req.method !== target.method) {
      return sendJson(res, 405, { error: 'invalid_request' }, { allow: target.method });
    }
    await target.handle(req, res);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      // The error text is ours (body size, socket state), never request content.
      const status = error instanceof BodyTooLargeError ? 413 : 500;
      sendJson(res, status, { error: status === 413 ? 'invalid_request' : 'server_error' });
    });
  });
  const listener = await listenOnLoopback(server);

  return {
    tokenUrl: `${listener.origin}${TOKEN_PATH}`,
    apiUrl: `${listener.origin}${API_PATH}`,
    instanceUrl: listener.origin,
    salesforceQueryUrl: `${listener.origin}${SALESFORCE_QUERY_PATH}`,
    stats: () => ({ ...state.stats }),
    resetStats: () => state.resetStats(),
    setLatency: (ms) => {
      state.latencyMs = ms;
    },
    setRejectRate: (rate) => {
      state.rejectRate = rate;
    },
    setRateLimitRate: (rate) => {
      state.rateLimitRate = rate;
    },
    setTokenTtl: (seconds) => {
      state.tokenTtlSeconds = seconds;
    },
    setNextExpiresIn: (value) => {
      nextExpiresIn = { value };
    },
    failTokenNext: (count, answer) => state.tokenFaults.add(count, answer),
    failApiNext: (count, answer) => state.apiFaults.add(count, answer),
    revokeAll: () => tokens.revokeAll(),
    streamedAnswers: () => ({ ...state.streamed }),
    issueBootstrapRefreshToken: () => {
      if (!issueRefreshTokens) {
        throw new Error('issueBootstrapRefreshToken needs a provider started with issueRefreshTokens: true');
      }
      return tokens.issueRefreshToken();
    },
    issuedTokens: () => tokens.issued(),
    isLive: (accessToken) => tokens.isLive(accessToken),
    presentedTokens: () => [...state.presentedTokens],
    stop: async () => {
      state.stop();
      await listener.close();
    },
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { clientAuthenticates } from './client-auth.js';
import { BodyTooLargeError, readBody, sendJson } from './http-io.js';
import type { InjectedAnswer } from './injected-answers.js';
import { InjectedAnswerQueue, sendInjected } from './injected-answers.js';
import { listenOnLoopback } from './loopback-server.js';
import { TokenRegistry } from './oauth-tokens.js';

export type { InjectedAnswer } from './injected-answers.js';

export interface OAuthProviderOptions {
  clientId: string;
  clientSecret: string;
  /** expires_in of issued tokens, and their real lifetime on this server; default 3600. */
  tokenTtlSeconds?: number;
  /** Delay before the token endpoint answers; default 0. */
  latencyMs?: number;
  /** 0..1: probability that the data API revokes the (live) token it is shown, then answers 403; default 0. */
  rejectRate?: number;
  random?: () => number;
  /** When true, tokens come with a refresh_token, and grant_type=refresh_token rotates it. Default false. */
  issueRefreshTokens?: boolean;
}

export interface OAuthProviderStats {
  /** Every request to the token endpoint, injected answers included. */
  tokenCalls: number;
  tokensIssued: number;
  /** Every data API request, injected answers included. */
  apiCalls: number;
  apiOk: number;
  /** 401/403 because of the token; injected answers are not counted here. */
  apiRejected: number;
}

export interface LocalOAuthProvider {
  /** http://127.0.0.1:PORT/oauth2/token */
  tokenUrl: string;
  /** http://127.0.0.1:PORT/api/data */
  apiUrl: string;
  stats(): OAuthProviderStats;
  resetStats(): void;
  setLatency(ms: number): void;
  setRejectRate(rate: number): void;
  setTokenTtl(seconds: number): void;
  /** One shot: the next successful token answer carries this raw expires_in (undefined = omitted). */
  setNextExpiresIn(value: unknown): void;
  /** The next `count` token requests get this answer (queued after earlier injections). */
  failTokenNext(count: number, answer: InjectedAnswer): void;
  /** The next `count` data API calls get this answer (queued after earlier injections). */
  failApiNext(count: number, answer: InjectedAnswer): void;
  revokeAll(): void;
  /**
   * Every access and refresh token issued so far, so a test can assert none of them leaked into
   * output. Secret values: compare with them, never print them.
   */
  issuedTokens(): string[];
  /** Issued, not revoked, not expired. */
  isLive(accessToken: string): boolean;
  /** Also ends parked 'timeout' requests and every open socket. */
  stop(): Promise<void>;
}

const TOKEN_PATH = '/oauth2/token';
const API_PATH = '/api/data';

const emptyStats = (): OAuthProviderStats => ({
  tokenCalls: 0,
  tokensIssued: 0,
  apiCalls: 0,
  apiOk: 0,
  apiRejected: 0,
});

/** A local OAuth2 provider (client_credentials, rotating refresh tokens) plus a data API that checks tokens. */
export async function startOAuthProvider(options: OAuthProviderOptions): Promise<LocalOAuthProvider> {
  const credentials = { clientId: options.clientId, clientSecret: options.clientSecret };
  const random = options.random ?? Math.random;
  const issueRefreshTokens = options.issueRefreshTokens ?? false;
  let tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
  let latencyMs = options.latencyMs ?? 0;
  let rejectRate = options.rejectRate ?? 0;
  let nextExpiresIn: { value: unknown } | undefined;
  let stats = emptyStats();
  const tokens = new TokenRegistry();
  const tokenFaults = new InjectedAnswerQueue();
  const apiFaults = new InjectedAnswerQueue();
  const latencyTimers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        latencyTimers.delete(timer);
        resolve();
      }, ms);
      latencyTimers.add(timer);
    });

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.tokenCalls++;
    const injected = tokenFaults.take();
    const body = await readBody(req);
    if (latencyMs > 0) await sleep(latencyMs);
    if (injected) return sendInjected(res, injected);

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      return sendJson(res, 400, { error: 'invalid_request' });
    }
    const form = new URLSearchParams(body);
    if (!clientAuthenticates(req.headers, form, credentials)) {
      return sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="oauth2"' });
    }
    const grant = form.get('grant_type');
    if (grant === null) return sendJson(res, 400, { error: 'invalid_request' });
    if (grant === 'refresh_token' && issueRefreshTokens) {
      if (!tokens.consumeRefreshToken(form.get('refresh_token') ?? '')) {
        return sendJson(res, 400, { error: 'invalid_grant' });
      }
      return sendTokens(res);
    }
    if (grant === 'client_credentials') return sendTokens(res);
    return sendJson(res, 400, { error: 'unsupported_grant_type' });
  }

  function sendTokens(res: ServerResponse): void {
    const answer: Record<string, unknown> = {
      access_token: tokens.issueAccessToken(tokenTtlSeconds),
      token_type: 'Bearer',
      expires_in: tokenTtlSeconds,
    };
    stats.tokensIssued++;
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
    stats.apiCalls++;
    const injected = apiFaults.take();
    if (injected) {
      sendInjected(res, injected);
      return;
    }
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!bearer) {
      stats.apiRejected++;
      sendJson(res, 401, { error: 'invalid_request' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    const token = bearer[1]!;
    let accepted = tokens.isLive(token);
    if (accepted && rejectRate > 0 && random() < rejectRate) {
      tokens.revoke(token);
      accepted = false;
    }
    if (!accepted) {
      stats.apiRejected++;
      sendJson(res, 403, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    stats.apiOk++;
    sendJson(res, 200, { ok: true });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === TOKEN_PATH) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' }, { allow: 'POST' });
      return handleToken(req, res);
    }
    if (path === API_PATH) {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'invalid_request' }, { allow: 'GET' });
      return handleApi(req, res);
    }
    sendJson(res, 404, { error: 'not_found' });
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
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = emptyStats();
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setRejectRate: (rate) => {
      rejectRate = rate;
    },
    setTokenTtl: (seconds) => {
      tokenTtlSeconds = seconds;
    },
    setNextExpiresIn: (value) => {
      nextExpiresIn = { value };
    },
    failTokenNext: (count, answer) => tokenFaults.add(count, answer),
    failApiNext: (count, answer) => apiFaults.add(count, answer),
    revokeAll: () => tokens.revokeAll(),
    issuedTokens: () => tokens.issued(),
    isLive: (accessToken) => tokens.isLive(accessToken),
    stop: async () => {
      for (const timer of latencyTimers) clearTimeout(timer);
      latencyTimers.clear();
      tokenFaults.clear();
      apiFaults.clear();
      await listener.close();
    },
  };
}

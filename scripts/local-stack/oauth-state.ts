import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-io.js';
import { type InjectedAnswer, sendInjected } from './injected-answers.js';
import { TokenRegistry } from './oauth-tokens.js';
import { registerSecret } from './secret-registry.js';

/**
 * An answer too long or too slow for any client to read whole: what a broken or hostile token
 * endpoint (or a proxy in front of it) sends. The body is made as the client reads it, never
 * held whole, and stops when the client closes the connection or the server stops.
 */
export type StreamedAnswer =
  /** `{` and then `bytes` of spaces, written only as fast as the client reads. @default bytes 200 MiB, status 200 */
  | { stream: 'huge'; status?: number; bytes?: number }
  /** `{` and then one space every `everyMs`, forever. @default everyMs 100, status 200 */
  | { stream: 'drip'; status?: number; everyMs?: number };

/** A canned answer (status and body, or 'timeout') or a streamed one. */
export type ProviderAnswer = InjectedAnswer | StreamedAnswer;

/** How the streamed answers went: what was written, and how many are still open. */
export interface StreamedAnswerStats {
  bytesSent: number;
  open: number;
}

/** FIFO of injected answers: each request takes one until the queue is empty. */
export class AnswerQueue {
  private readonly pending: ProviderAnswer[] = [];

  /** Appends, so several calls line up in call order. */
  add(count: number, answer: ProviderAnswer): void {
    for (let i = 0; i < count; i++) this.pending.push(answer);
  }

  take(): ProviderAnswer | undefined {
    return this.pending.shift();
  }

  clear(): void {
    this.pending.length = 0;
  }
}

const HUGE_DEFAULT_BYTES = 200 * 1024 * 1024;
const HUGE_CHUNK = Buffer.alloc(64 * 1024, ' ');

export interface OAuthProviderStats {
  /** Every request to a token endpoint (OAuth2 and Salesforce), injected answers included. */
  tokenCalls: number;
  tokensIssued: number;
  /** refresh_token grants that presented a refresh token already rotated away (answered invalid_grant). */
  refreshReplays: number;
  /** Every data API request (generic and Salesforce), injected answers included. */
  apiCalls: number;
  apiOk: number;
  /** 401/403 because of the token; injected answers are not counted here. */
  apiRejected: number;
  /** 403 rate-limit answers from `rateLimitRate`; the token stays live. */
  apiRateLimited: number;
}

const emptyStats = (): OAuthProviderStats => ({
  tokenCalls: 0,
  tokensIssued: 0,
  refreshReplays: 0,
  apiCalls: 0,
  apiOk: 0,
  apiRejected: 0,
  apiRateLimited: 0,
});

/** How the data API judges a call: served, refused because of the token, or refused for the rate limit. */
export type ApiVerdict = 'ok' | 'no-token' | 'rejected' | 'rate-limited';

/** The local provider's settings; `startOAuthProvider` adds `issueRefreshTokens`. */
export interface ProviderStateOptions {
  clientId: string;
  clientSecret: string;
  /** expires_in of issued tokens, and their real lifetime on this server; default 3600. */
  tokenTtlSeconds?: number;
  /** Delay before a token endpoint (OAuth2 or Salesforce) answers; default 0. */
  latencyMs?: number;
  /** 0..1: probability that the data API revokes the (live) token it is shown, then answers 403 (Salesforce: 401); default 0. */
  rejectRate?: number;
  /**
   * 0..1: probability that the data API answers a live token with a 403 rate-limit error
   * (`REQUEST_LIMIT_EXCEEDED`) and leaves the token live; drawn before rejectRate; default 0.
   */
  rateLimitRate?: number;
  random?: () => number;
}

/**
 * What the routes of the local provider share: issued tokens, counters, settings the tests
 * change at run time, injected answers and latency.
 */
export class ProviderState {
  readonly credentials: { clientId: string; clientSecret: string };
  readonly tokens = new TokenRegistry();
  readonly tokenFaults = new AnswerQueue();
  readonly apiFaults = new AnswerQueue();
  readonly streamed: StreamedAnswerStats = { bytesSent: 0, open: 0 };
  /** Every distinct token shown to the data API, so a run can check each was committed first. */
  readonly presentedTokens = new Set<string>();
  stats = emptyStats();
  tokenTtlSeconds: number;
  latencyMs: number;
  rejectRate: number;
  rateLimitRate: number;
  private readonly random: () => number;
  private readonly latencyTimers = new Set<NodeJS.Timeout>();
  private readonly dripTimers = new Set<NodeJS.Timeout>();

  constructor(options: ProviderStateOptions) {
    this.credentials = { clientId: options.clientId, clientSecret: options.clientSecret };
    registerSecret(options.clientSecret, `oauth-provider:${options.clientId}:client-secret`);
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.latencyMs = options.latencyMs ?? 0;
    this.rejectRate = options.rejectRate ?? 0;
    this.rateLimitRate = options.rateLimitRate ?? 0;
    this.random = options.random ?? Math.random;
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  /** The start of every token request: count it, take an injected answer, read the body, wait the latency. */
  async beginTokenCall(
    req: IncomingMessage,
  ): Promise<{ injected: ProviderAnswer | undefined; body: string }> {
    this.stats.tokenCalls++;
    const injected = this.tokenFaults.take();
    const body = await readBody(req);
    if (this.latencyMs > 0) await this.sleep(this.latencyMs);
    return { injected, body };
  }

  /**
   * Judges a data API call's bearer token and counts the verdict. A live token is rate limited
   * with probability rateLimitRate (and stays live), else revoked with probability rejectRate.
   * No random number is drawn for a rate of 0, so tests that script `random` see the same draws.
   */
  judgeApiCall(token: string | undefined): ApiVerdict {
    if (token === undefined) {
      this.stats.apiRejected++;
      return 'no-token';
    }
    this.presentedTokens.add(token);
    let live = this.tokens.isLive(token);
    if (live && this.rateLimitRate > 0 && this.random() < this.rateLimitRate) {
      this.stats.apiRateLimited++;
      return 'rate-limited';
    }
    if (live && this.rejectRate > 0 && this.random() < this.rejectRate) {
      this.tokens.revoke(token);
      live = false;
    }
    if (!live) {
      this.stats.apiRejected++;
      return 'rejected';
    }
    this.stats.apiOk++;
    return 'ok';
  }

  /** Sends an injected answer: a canned one as it is, a streamed one as it is read. */
  sendInjected(res: ServerResponse, answer: ProviderAnswer): void {
    if (answer === 'timeout' || !('stream' in answer)) {
      sendInjected(res, answer);
      return;
    }
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    this.streamed.open++;
    res.once('close', () => this.streamed.open--);
    if (answer.stream === 'huge') this.streamHuge(res, answer.bytes ?? HUGE_DEFAULT_BYTES);
    else this.drip(res, answer.everyMs ?? 100);
  }

  /** Ends pending latency waits and drips, and forgets injected answers. */
  stop(): void {
    for (const timer of this.latencyTimers) clearTimeout(timer);
    this.latencyTimers.clear();
    for (const timer of this.dripTimers) clearInterval(timer);
    this.dripTimers.clear();
    this.tokenFaults.clear();
    this.apiFaults.clear();
  }

  // Chunked (no content-length), so only reading tells the client how long it is. Written under
  // backpressure: a client that stops reading leaves the rest unmade.
  private streamHuge(res: ServerResponse, bytes: number): void {
    let left = bytes;
    const pump = (): void => {
      if (left === bytes) {
        res.write('{');
        left--;
        this.streamed.bytesSent++;
      }
      while (left > 0 && !res.destroyed) {
        const chunk = left >= HUGE_CHUNK.length ? HUGE_CHUNK : HUGE_CHUNK.subarray(0, left);
        left -= chunk.length;
        this.streamed.bytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  }

  private drip(res: ServerResponse, everyMs: number): void {
    res.write('{');
    this.streamed.bytesSent++;
    const timer = setInterval(() => {
      res.write(' ');
      this.streamed.bytesSent++;
    }, everyMs);
    this.dripTimers.add(timer);
    res.once('close', () => {
      clearInterval(timer);
      this.dripTimers.delete(timer);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.latencyTimers.delete(timer);
        resolve();
      }, ms);
      this.latencyTimers.add(timer);
    });
  }
}

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  return /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** The media type of the request, lower case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

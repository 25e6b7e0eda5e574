import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import type { TokenProvider, TokenRequest } from 'lambda-shared-token';
import { InvalidProviderResponseError, SalesforceApiError, TokenRefreshError } from 'lambda-shared-token';
import {
  OAuth2ClientCredentialsProvider,
  OAuth2RefreshTokenProvider,
  SalesforceProvider,
} from 'lambda-shared-token/advanced';
import { rejectionOf, renderings } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

// A token endpoint's answer is read up to a cap (64 KiB), never whole. These tests
// answer through an in-process fetch whose body is generated lazily and counts what was pulled.

const NOW = Date.UTC(2026, 10, 22, 12);
const CAP = 64 * 1024;
const HUGE = 200 * 1024 * 1024;
const CHUNK = 16 * 1024;
const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-');
const ACCESS_TOKEN = testSecret('accessToken', 'access-token-');

/** A body of `total` bytes of `fill`, made chunk by chunk only when read; counts what was pulled. */
function lazyBody(total: number, fill = 0x20) {
  const counter = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const size = Math.min(CHUNK, total - counter.pulled);
        if (size <= 0) return controller.close();
        counter.pulled += size;
        controller.enqueue(new Uint8Array(size).fill(fill));
      },
      cancel() {
        counter.cancelled = true;
      },
    },
    // Nothing is pulled before somebody reads.
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

/** A body that sends `{` and then a space every few milliseconds, forever, until cancelled. */
function drippingBody() {
  const counter = { pulled: 0, cancelled: false };
  let timer: NodeJS.Timeout | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            counter.pulled += 1;
            controller.enqueue(new TextEncoder().encode(counter.pulled === 1 ? '{' : ' '));
            resolve();
          }, 5);
        });
      },
      cancel() {
        counter.cancelled = true;
        clearTimeout(timer);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

const answering =
  (response: () => Response): typeof fetch =>
  async (_input, init) => {
    init?.signal?.throwIfAborted();
    return response();
  };

const request = (signal: AbortSignal = new AbortController().signal): TokenRequest => ({
  tokenType: 'webex',
  signal,
});

const PROVIDERS: Record<string, (fetch: typeof globalThis.fetch, timeoutMs?: number) => TokenProvider> = {
  'OAuth2 client credentials': (fetch, timeoutMs) =>
    new OAuth2ClientCredentialsProvider({
      tokenUrl: 'https://idp.example.test/oauth2/token',
      clientId: 'client-id',
      clientSecret: CLIENT_SECRET,
      clock: { now: () => NOW },
      fetch,
      ...(timeoutMs !== undefined && { timeoutMs }),
    }),
  'OAuth2 refresh token': (fetch, timeoutMs) =>
    new OAuth2RefreshTokenProvider({
      tokenUrl: 'https://idp.example.test/oauth2/token',
      clientId: 'client-id',
      clientSecret: CLIENT_SECRET,
      refreshToken: 'bootstrap-refresh-token',
      clock: { now: () => NOW },
      fetch,
      ...(timeoutMs !== undefined && { timeoutMs }),
    }),
  Salesforce: (fetch, timeoutMs) =>
    new SalesforceProvider({
      instanceUrl: 'https://acme.my.salesforce.com',
      clientId: 'client-id',
      clientSecret: CLIENT_SECRET,
      clock: { now: () => NOW },
      fetch,
      ...(timeoutMs !== undefined && { timeoutMs }),
    }),
};

describe.each(Object.keys(PROVIDERS))('%s: the token endpoint answer is bounded', (name) => {
  const provider = PROVIDERS[name]!;

  it('stops reading a 200 MiB answer near 64 KiB and fails with InvalidProviderResponseError naming the limit', async () => {
    const { stream, counter } = lazyBody(HUGE);

    const error = await rejectionOf(
      provider(answering(() => new Response(stream, { status: 200 }))).fetchToken(request()),
    );

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(error.message).toContain(`${CAP} bytes`);
    expect((error as InvalidProviderResponseError).status).toBe(200);
    // Reported, and bounded: at most the cap plus one chunk was ever pulled from the 200 MiB.
    expect(counter.pulled).toBeLessThanOrEqual(CAP + CHUNK);
    expect(counter.cancelled).toBe(true);
  });

  it('bounds an error answer (HTTP 503) the same way, keeping its status', async () => {
    const { stream, counter } = lazyBody(HUGE);

    const error = await rejectionOf(
      provider(answering(() => new Response(stream, { status: 503 }))).fetchToken(request()),
    );

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(503);
    expect(error.message).toContain('503');
    expect(error.message).toContain(`${CAP} bytes`);
    expect(counter.pulled).toBeLessThanOrEqual(CAP + CHUNK);
  });

  it('reads nothing of an answer whose Content-Length is over the cap', async () => {
    const { stream, counter } = lazyBody(HUGE);
    const huge = () => new Response(stream, { status: 200, headers: { 'content-length': String(HUGE) } });

    const error = await rejectionOf(provider(answering(huge)).fetchToken(request()));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    expect(counter.pulled).toBe(0);
    expect(counter.cancelled).toBe(true);
  });

  it('never quotes the answer in the error', async () => {
    const body = JSON.stringify({ access_token: ACCESS_TOKEN, padding: ' '.repeat(CAP) });

    const error = await rejectionOf(
      provider(answering(() => new Response(body, { status: 200 }))).fetchToken(request()),
    );

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
    for (const rendering of renderings(error)) expect(rendering).not.toContain(ACCESS_TOKEN);
  });

  it('cuts a slow-drip answer at timeoutMs with fetch’s TimeoutError, and cancels it', async () => {
    const { stream, counter } = drippingBody();

    const error = await rejectionOf(
      provider(
        answering(() => new Response(stream, { status: 200 })),
        50,
      ).fetchToken(request()),
    );

    expect(error.name).toBe('TimeoutError');
    expect(counter.cancelled).toBe(true);
  });

  it('cuts a slow-drip answer at timeoutMs even when a garbage collection runs meanwhile', async () => {
    // Node 20 holds a bare AbortSignal.timeout() inside AbortSignal.any() weakly: collected, it
    // never fires, and the drip would run until the lease's own signal (or forever).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { stream, counter } = drippingBody();
    const pending = provider(
      answering(() => new Response(stream, { status: 200 })),
      200,
    ).fetchToken(request());
    await new Promise<void>((resolve) => {
      const wait = (): void => (counter.pulled >= 2 ? resolve() : void setTimeout(wait, 5));
      wait();
    });

    gc();
    gc();
    const error = await rejectionOf(pending);

    expect(error.name).toBe('TimeoutError');
    expect(counter.cancelled).toBe(true);
  });

  it('cuts a slow-drip answer when the request’s signal aborts (the lease runs out), with AbortError', async () => {
    const { stream, counter } = drippingBody();
    const controller = new AbortController();
    const pending = provider(answering(() => new Response(stream, { status: 200 }))).fetchToken(
      request(controller.signal),
    );
    await new Promise<void>((resolve) => {
      const wait = (): void => (counter.pulled >= 3 ? resolve() : void setTimeout(wait, 5));
      wait();
    });

    controller.abort();
    const error = await rejectionOf(pending);

    expect(error.name).toBe('AbortError');
    expect(counter.cancelled).toBe(true);
  });
});

describe('a token answer under the cap', () => {
  const answer = (body: string | ReadableStream<Uint8Array>) =>
    PROVIDERS['OAuth2 client credentials']!(answering(() => new Response(body, { status: 200 }))).fetchToken(
      request(),
    );

  it('is read whole at exactly 64 KiB', async () => {
    const json = JSON.stringify({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 60 });
    const padded = json.padEnd(CAP, ' ');

    const token = await answer(padded);

    expect(Buffer.byteLength(padded)).toBe(CAP);
    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: NOW + 60_000 });
  });

  it('is refused one byte over 64 KiB', async () => {
    const json = JSON.stringify({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 60 });

    const error = await rejectionOf(answer(json.padEnd(CAP + 1, ' ')));

    expect(error).toBeInstanceOf(InvalidProviderResponseError);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode(
      JSON.stringify({ access_token: `${ACCESS_TOKEN}é€`, token_type: 'Bearer', expires_in: 60 }),
    );
    const split = bytes.indexOf(0xe2) + 1; // between the first and second byte of '€'
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });

    const token = await answer(stream);

    expect(token.accessToken).toBe(`${ACCESS_TOKEN}é€`);
  });
});

describe('SalesforceApiError.from', () => {
  it('reads at most 64 KiB of a data API error answer, keeping the status', async () => {
    const { stream, counter } = lazyBody(HUGE);

    const error = await SalesforceApiError.from(new Response(stream, { status: 401 }));

    expect(error.statusCode).toBe(401);
    expect(error.errorCode).toBeUndefined();
    expect(counter.pulled).toBeLessThanOrEqual(CAP + CHUNK);
    expect(counter.cancelled).toBe(true);
  });
});

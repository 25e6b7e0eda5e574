/** An in-process `fetch` for the providers' unit tests (the real-server tests use the local stack). */

/** What the provider sent, as the fake saw it. */
export interface Sent {
  url: string;
  method: string | undefined;
  headers: Headers;
  form: URLSearchParams;
  signal: AbortSignal;
}

/** Records what the provider sends and answers with `answer(sent)`; honours an aborted signal. */
export function fakeFetch(answer: (sent: Sent) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const signal = init.signal as AbortSignal;
    signal.throwIfAborted();
    const request: Sent = {
      url: String(input),
      method: init.method,
      headers: new Headers(init.headers),
      form: new URLSearchParams(String(init.body)),
      signal,
    };
    sent.push(request);
    return answer(request);
  }) as typeof globalThis.fetch;
  return { fetch, sent };
}

/** An answer of `status` with `payload` as its JSON body. */
export const json = (status: number, payload: unknown) => () =>
  new Response(JSON.stringify(payload), { status, headers: { 'content-type': 'application/json' } });

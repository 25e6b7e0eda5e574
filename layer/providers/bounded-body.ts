/**
 * The body of a provider's answer, read up to a cap and never beyond: a token endpoint (or a
 * proxy in front of it) that answers 200 MiB must not take a 512 MB Lambda down with it, and
 * then the next lease holder with the same answer.
 */

/**
 * The longest token endpoint answer we read: 64 KiB. A real answer is a few hundred bytes; a JWT
 * access token with many claims (groups, roles) a few KiB, and the token must fit in the
 * `Authorization` header of every API call, which servers cap at 8 to 16 KiB (nginx, Apache, ALB).
 * An answer carrying an access token, an ID token and a refresh token of that size each stays
 * under 64 KiB, with room to spare; a longer answer is not a token answer.
 */
export const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

/**
 * The body as UTF-8 text, or `undefined` when it is longer than `maxBytes`: then reading stops
 * at the first chunk past the cap and the stream is cancelled (with fetch, that closes the
 * connection), so at most `maxBytes` plus one chunk is ever held. A declared `content-length`
 * over the cap is refused before anything is read.
 *
 * When `signal` aborts while the body is still coming (a slow drip), the read stops and the
 * signal's reason is thrown: fetch's own `TimeoutError` or `AbortError`, as for a slow header.
 */
export async function readBodyUpTo(
  response: Response,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { body } = response;
  if (body === null) return '';
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await body.cancel().catch(() => {});
    return undefined;
  }
  const reader = body.getReader();
  const cancel = (reason?: unknown): void => void reader.cancel(reason).catch(() => {});
  const onAbort = (): void => cancel(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  try {
    for (;;) {
      signal?.throwIfAborted();
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        signal?.throwIfAborted();
        throw error;
      }
      // A cancel on abort ends a pending read as if the body were complete: it is not.
      signal?.throwIfAborted();
      if (next.done) {
        ended = true;
        break;
      }
      size += next.value.byteLength;
      if (size > maxBytes) return undefined;
      chunks.push(next.value);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Past the cap, aborted, or failed: the rest is never read, so let go of the connection.
    if (!ended) cancel();
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

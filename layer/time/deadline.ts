/**
 * The caller's deadline, applied to the calls a token needs (DynamoDB, KMS, Secrets Manager):
 * each is abandoned when the caller's time runs out (I2), and an abandoned call reaches the caller
 * as the deadline reached, a LockWaitTimeoutError whose `cause` is the abandoned call's error.
 */
import { isSharedTokenError, LockWaitTimeoutError } from '../errors/error-classes.js';

/**
 * The least time one call gets: a caller whose cutoff has passed still makes the call once (a
 * valid token in the table is better than an error), but briefly.
 */
export const MIN_CALL_MS = 100;

/** Aborted at `cutoff` (epoch ms, judged on `now`); AbortSignal.timeout's timer never holds the process open. */
export function cutoffSignal(cutoff: number, now: number): AbortSignal {
  return AbortSignal.timeout(Math.max(MIN_CALL_MS, Math.floor(cutoff - now)));
}

/**
 * A timeout signal the caller holds, and clears once done: unlike a bare AbortSignal.timeout()
 * inside AbortSignal.any(), which Node 20 references weakly, it fires even after a garbage
 * collection (a slow answer was seen never to time out). Its timer does not hold the process open.
 */
export function heldTimeout(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  timer.unref?.();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * `work`, or `abandoned()` thrown once `signal` aborts, whichever comes first. For a call other
 * callers share (a cached secret fetch, a data key in flight): this caller stops waiting, the call
 * goes on for the others, bounded by the client's own timeouts.
 */
export function abandonAt<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  abandoned: () => Error,
): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => {}); // Nobody waits for it any more; its failure is not unhandled.
    return Promise.reject(abandoned());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** One of our errors for a call abandoned at the caller's deadline (`abandoned: true`). */
function isAbandoned(error: unknown): boolean {
  return isSharedTokenError(error) && (error as { abandoned?: unknown }).abandoned === true;
}

/**
 * A call abandoned at the caller's deadline, as the caller sees it: the deadline reached. A slow
 * DynamoDB, KMS or Secrets Manager (often a busy one, not a broken one) is not a failure of the
 * token, and no container backs off for it. Anything else is returned as it is.
 */
export function asDeadlineReached(error: unknown, tokenType: string, waitedMs: number): unknown {
  if (!isAbandoned(error)) return error;
  return new LockWaitTimeoutError(tokenType, waitedMs, {
    cause: error,
    reason: isSharedTokenError(error, 'TokenStoreError') ? 'store-call-abandoned' : 'aws-call-abandoned',
  });
}

import { isSharedTokenError, type TokenStoreError } from '../errors/error-classes.js';
import type { CommitRequest, TokenRecord } from '../store/token-record.js';
import { MIN_CALL_MS } from '../time/deadline.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';

/** First pause before the commit is tried again; it doubles up to the maximum. */
const COMMIT_RETRY_INITIAL_MS = 100;
const COMMIT_RETRY_MAX_MS = 1_000;

/**
 * Step 5's write, once the provider has answered: a transient DynamoDB failure (throttling, a
 * reset or refused connection, a 5xx, all after the SDK's own retries) is tried again until the
 * caller's cutoff, because giving up throws the provider's answer away (and a refresh token it
 * may have rotated) and costs another call (I1).
 *
 * Going on past the lease is safe: the commit is fenced by `lockOwner`, so once another container
 * has taken the lease over it fails as lease lost and cannot overwrite a newer token (I3); the
 * store answers a commit whose earlier attempt applied as committed. Each attempt is abandoned at
 * the cutoff, and none starts after it (I2): a DynamoDB that never answers cannot hold the caller.
 */
export async function commitWithinLease(
  options: Pick<ResolvedTokenManagerOptions, 'tokenType' | 'store' | 'clock' | 'sleep' | 'logger'>,
  request: Omit<CommitRequest, 'timeoutMs'>,
  /** Epoch ms: the caller's deadline less `deadlineMarginMs`. */
  cutoff: number,
): Promise<TokenRecord | undefined> {
  const { tokenType, store, clock, sleep, logger } = options;
  let pauseMs = COMMIT_RETRY_INITIAL_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.commit(tokenType, {
        ...request,
        // Even at the cutoff one short attempt: the provider has answered, and storing its token beats throwing it away.
        timeoutMs: Math.max(MIN_CALL_MS, cutoff - clock.now()),
      });
    } catch (error) {
      if (!isTransientStoreError(error) || clock.now() + pauseMs >= cutoff) throw error;
      logger.warn('token commit failed; trying again before the deadline', {
        tokenType,
        lockOwner: request.owner,
        error: error.code ?? error.name,
        attempt,
        pauseMs,
      });
      await sleep(pauseMs);
      pauseMs = Math.min(pauseMs * 2, COMMIT_RETRY_MAX_MS);
    }
  }
}

function isTransientStoreError(error: unknown): error is TokenStoreError {
  return isSharedTokenError(error, 'TokenStoreError') && (error as TokenStoreError).transient === true;
}

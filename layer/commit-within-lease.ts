import { isSharedTokenError, type TokenStoreError } from './errors.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';
import type { CommitRequest, TokenRecord } from './token-store.js';

/** First pause before the commit is tried again; it doubles up to the maximum. */
const COMMIT_RETRY_INITIAL_MS = 100;
const COMMIT_RETRY_MAX_MS = 1_000;

/**
 * Step 5's write, once the provider has answered: a transient DynamoDB failure (throttling, a
 * reset or refused connection, a 5xx, all after the SDK's own retries) is tried again while the
 * lease lasts, because giving up throws the provider's answer away and costs another call (I1).
 *
 * Repeating is safe: the commit is fenced by `lockOwner`, so it cannot overwrite a newer token
 * (I3), and the store answers a commit whose earlier attempt applied as committed. No new
 * attempt starts after the lease ends, which ends before the caller's deadline (I2).
 */
export async function commitWithinLease(
  options: Pick<ResolvedTokenManagerOptions, 'tokenType' | 'store' | 'clock' | 'sleep' | 'logger'>,
  request: CommitRequest,
  leaseExpiresAt: number,
): Promise<TokenRecord | undefined> {
  const { tokenType, store, clock, sleep, logger } = options;
  let pauseMs = COMMIT_RETRY_INITIAL_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.commit(tokenType, request);
    } catch (error) {
      if (!isTransientStoreError(error) || clock.now() + pauseMs >= leaseExpiresAt) throw error;
      logger.warn('token commit failed; trying again within the lease', {
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

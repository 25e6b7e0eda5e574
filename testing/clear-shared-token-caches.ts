import { clearCache } from '@middy/util';
import type { SharedToken } from '../layer/shared-token.js';
import { stopSecretRefreshes } from '../middleware/middy-secret-source.js';

/** Anything that holds a SharedToken: a handler from `withSharedToken`, a `sharedToken()` middleware. */
export interface HoldsSharedToken {
  readonly sharedToken: Pick<SharedToken, 'clearCache'>;
}

/**
 * Call in `afterEach` (or `afterAll`): what one test left behind is gone before the next.
 *
 * - Middy's cache, through `clearCache()` of the very `@middy/util` the middleware imports: in the
 *   layer that is the copy bundled with it, which a test's own `import { clearCache } from
 *   '@middy/util'` never reaches. It drops the provider secret Middy keeps for the container's life
 *   (the next test fetches its own) and stops every refresh timer Middy started. Like Middy's own
 *   `clearCache()`, it clears every key of that copy.
 * - The middleware's own background refresh of the secret (a finite `secretCacheExpiry`): its
 *   unref'd timer keeps no process alive, but could fire during a later test.
 * - The token each of `handlers` holds in memory (`handler.sharedToken.clearCache()`): the next
 *   invocation reads the store again. A handler built anew for each test holds nothing to clear.
 */
export function clearSharedTokenCaches(...handlers: HoldsSharedToken[]): void {
  clearCache();
  stopSecretRefreshes();
  for (const handler of handlers) handler.sharedToken.clearCache();
}

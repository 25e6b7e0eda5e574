/**
 * `lambda-shared-token/middleware`: the Middy 6 adapter. One line attaches a shared,
 * encrypted, single-refresh access token to any handler:
 *
 * ```ts
 * export const handler = withSharedToken(baseHandler, {
 *   tokenType: 'salesforce',
 *   secretName: '/prod/orders/oauth/salesforce',
 *   provider: salesforce(),
 * });
 * ```
 *
 * The root API (`lambda-shared-token`) is re-exported, so a function needs one import path.
 */
export * from '../layer/index.js';
export type { SharedTokenContext } from './shared-token-context.js';
export {
  type SharedTokenMiddleware,
  type SharedTokenMiddlewareOptions,
  sharedToken,
} from './shared-token-middleware.js';
export { type SharedTokenHandler, withSharedToken } from './with-shared-token.js';

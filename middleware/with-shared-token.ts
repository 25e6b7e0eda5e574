import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  type SharedTokenMiddleware,
  type SharedTokenMiddlewareOptions,
  sharedToken,
} from './shared-token-middleware.js';

/**
 * The one line that attaches the shared token to any handler:
 *
 * ```ts
 * export const handler = withSharedToken(queryAccounts, { tokenType: 'salesforce', secretName, provider: salesforce() });
 * ```
 *
 * Returns a Middy handler (`.use()` more middlewares as usual). Inside, `context.sharedToken`
 * holds a valid token; a 401/403 from the provider's API refreshes it once, for every
 * container, and runs the handler once more.
 */
export function withSharedToken<TEvent = unknown, TResult = unknown>(
  handler: (event: TEvent, context: Context, options: { signal: AbortSignal }) => Promise<TResult> | TResult,
  options: SharedTokenMiddlewareOptions,
): MiddyfiedHandler<TEvent, TResult, Error, Context> & { sharedToken: SharedTokenMiddleware['sharedToken'] } {
  const middleware = sharedToken(options);
  const wrapped = middy<TEvent, TResult, Error, Context>(middleware.retrying(handler)).use(
    middleware as never,
  ) as MiddyfiedHandler<TEvent, TResult, Error, Context> & {
    sharedToken: SharedTokenMiddleware['sharedToken'];
  };
  wrapped.sharedToken = middleware.sharedToken;
  return wrapped;
}

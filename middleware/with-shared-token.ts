import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { SharedTokenContext } from './shared-token-context.js';
import {
  type SharedTokenMiddleware,
  type SharedTokenMiddlewareOptions,
  sharedToken,
} from './shared-token-middleware.js';

/**
 * The property the handler's context is typed under. A `contextKey` known only as `string` (options
 * declared as `SharedTokenMiddlewareOptions`) is taken to be the default: give another key as a
 * literal for its type to follow.
 */
type TypedKey<TKey extends string> = string extends TKey ? 'sharedToken' : TKey;

/**
 * A handler `withSharedToken` accepts: its context may be typed `Context`, `SharedTokenContext`,
 * or `Context & { sharedToken: AccessToken }`; a context claiming anything the middleware does not
 * put there (`sharedToken: string`) is refused.
 */
export type SharedTokenHandler<TEvent, TResult, TKey extends string = 'sharedToken'> = (
  event: TEvent,
  context: SharedTokenContext<TKey>,
  options: { signal: AbortSignal },
) => Promise<TResult> | TResult;

/** What the retrying wrapper and Middy call the handler with: the runtime's plain `Context`. */
type PlainHandler<TEvent, TResult> = (
  event: TEvent,
  context: Context,
  options: { signal: AbortSignal },
) => Promise<TResult> | TResult;

/**
 * The one line that attaches the shared token to any handler:
 *
 * ```ts
 * export const handler = withSharedToken(queryAccounts, { tokenType: 'salesforce', secretName, provider: salesforce() });
 * ```
 *
 * Returns a Middy handler (`.use()` more middlewares as usual), invoked with the runtime's plain
 * `Context`. Inside, `context.sharedToken` holds a valid token, typed when the handler's context
 * is a {@link SharedTokenContext}; a 401/403 from the provider's API refreshes it once, for every
 * container, and runs the handler once more.
 */
export function withSharedToken<TEvent = unknown, TResult = unknown, TKey extends string = 'sharedToken'>(
  // NoInfer: the key comes from `contextKey` (or the default), never from how the handler is typed.
  handler: SharedTokenHandler<TEvent, TResult, TypedKey<NoInfer<TKey>>>,
  options: SharedTokenMiddlewareOptions & { contextKey?: TKey },
): MiddyfiedHandler<TEvent, TResult, Error, Context> & { sharedToken: SharedTokenMiddleware['sharedToken'] } {
  const middleware = sharedToken(options);
  // The middleware's `before` puts the token under contextKey before the handler runs.
  const plain = handler as unknown as PlainHandler<TEvent, TResult>;
  const wrapped = middy<TEvent, TResult, Error, Context>(middleware.retrying(plain)).use(
    middleware as never,
  ) as MiddyfiedHandler<TEvent, TResult, Error, Context> & {
    sharedToken: SharedTokenMiddleware['sharedToken'];
  };
  wrapped.sharedToken = middleware.sharedToken;
  return wrapped;
}

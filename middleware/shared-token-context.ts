import type { Context } from 'aws-lambda';
import type { AccessToken } from '../layer/access-token.js';

/**
 * The Lambda context a handler attached with `withSharedToken` receives: aws-lambda's `Context`
 * plus the token under the middleware's `contextKey` (`sharedToken` unless that option says
 * otherwise). Type the handler with it and `context.sharedToken` is an `AccessToken`:
 *
 * ```ts
 * const queryAccounts = async (event: QueryEvent, context: SharedTokenContext) => {
 *   const { value } = context.sharedToken;
 * };
 * export const handler = withSharedToken(queryAccounts, options);
 * ```
 *
 * With another key: `SharedTokenContext<'salesforceToken'>` and `contextKey: 'salesforceToken'`.
 * Exported by `lambda-shared-token/middleware` only: it is built on aws-lambda's types, which the
 * root entry point does not need.
 */
export type SharedTokenContext<TKey extends string = 'sharedToken'> = Context & { [K in TKey]: AccessToken };

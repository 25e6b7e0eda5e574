/**
 * Type test, compiled by `tsc --noEmit -p tsconfig.json` (make typecheck), never run: how a
 * handler's context may be typed with `withSharedToken` and with `middy(handler).use(sharedToken())`.
 * Each `@ts-expect-error` line must stay an error; were a type to become `any`, tsc would report
 * the directive as unused.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { AccessToken } from 'lambda-shared-token';
import {
  type SharedTokenContext,
  type SharedTokenMiddlewareOptions,
  salesforce,
  sharedToken,
  withSharedToken,
} from 'lambda-shared-token/middleware';

interface QueryEvent {
  soql: string;
}

const options = {
  tokenType: 'salesforce',
  secretName: '/prod/orders/oauth/salesforce',
  provider: salesforce({ instanceUrl: 'https://example.my.salesforce.com' }),
} satisfies SharedTokenMiddlewareOptions;

/** Options declared with the interface: `contextKey` is then only a `string`. */
const declaredOptions: SharedTokenMiddlewareOptions = options;

const withContextType = async (event: QueryEvent, context: SharedTokenContext) =>
  `${event.soql} ${context.sharedToken.value.length} ${context.functionName}`;
const withIntersection = async (_event: QueryEvent, context: Context & { sharedToken: AccessToken }) =>
  context.sharedToken.version;
const withPlainContext = async (_event: QueryEvent, context: Context) => context.awsRequestId;
const withWrongToken = async (_event: QueryEvent, context: Context & { sharedToken: string }) =>
  context.sharedToken.length;
const withOtherKey = async (_event: QueryEvent, context: SharedTokenContext<'salesforceToken'>) =>
  context.salesforceToken.expiresAt;

// withSharedToken: every honest way of typing the context is accepted.
export const typedByContextType = withSharedToken(withContextType, options);
export const typedByIntersection = withSharedToken(withIntersection, options);
export const typedPlain = withSharedToken(withPlainContext, options);
export const typedWithDeclaredOptions = withSharedToken(withContextType, declaredOptions);
export const typedWithOtherKey = withSharedToken(withOtherKey, { ...options, contextKey: 'salesforceToken' });

// An inline handler gets its context typed, not `any`.
export const inline = withSharedToken(async (_event: QueryEvent, context) => {
  const version: number = context.sharedToken.version;
  // @ts-expect-error functionName is aws-lambda's string
  const functionName: number = context.functionName;
  return { version, functionName };
}, options);
export const inlineWithOtherKey = withSharedToken(
  async (_event: QueryEvent, context) => context.salesforceToken.value,
  { ...options, contextKey: 'salesforceToken' },
);

// What the middleware does not put on the context is refused.
// @ts-expect-error the middleware puts an AccessToken there, not a string
export const wrongToken = withSharedToken(withWrongToken, options);
// @ts-expect-error the token is under salesforceToken, not sharedToken
export const wrongKey = withSharedToken(withContextType, { ...options, contextKey: 'salesforceToken' });
// @ts-expect-error no token under salesforceToken when contextKey is the default
export const missingKey = withSharedToken(withOtherKey, options);

// The result is Middy's handler: the runtime calls it with a plain Context, and .use() is typed.
export async function invoke(context: Context): Promise<string> {
  const result: string = await typedByContextType({ soql: 'SELECT Id FROM Account' }, context);
  // @ts-expect-error the event is a QueryEvent
  await typedByContextType({ query: 1 }, context);
  return result;
}
export const moreMiddleware = typedByContextType.use({ before: async () => undefined });
// @ts-expect-error .use() is Middy's, typed
export const useIsTyped: number = typedByContextType.use;

// The .use() form keeps compiling for a handler typed either way.
export const usedWithContextType = middy(withContextType).use(sharedToken(options));
export const usedWithIntersection = middy(withIntersection).use(sharedToken(options));
export const usedPlain = middy(withPlainContext).use(sharedToken(declaredOptions));

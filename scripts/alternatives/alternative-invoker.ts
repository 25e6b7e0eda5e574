/**
 * The invocation loop every alternative shares, so only the coordination differs from this
 * project: get a token, run the Salesforce example's query with it, and on a 401/403 (never a
 * rate limit) get another token once and run the query again, as this project's middleware does.
 */
import type { Context } from 'aws-lambda';
import { type AccessToken, isTokenRejection } from '../../layer/index.js';
import { InvocationTimer } from './invocation-timer.js';
import type { Invoker } from './invoker.js';
import type { TokenSource } from './token-source.js';

/** The example's handler: reads `context.sharedToken`, throws SalesforceApiError on a failed call. */
export type QueryHandler = (event: unknown, context: Context) => Promise<unknown>;

export function alternativeInvoker(source: () => Promise<TokenSource>, query: QueryHandler): Invoker {
  const timer = new InvocationTimer();
  const callApi = timer.timeHandler(async (token: AccessToken, deadline: number) => {
    await query({}, lambdaContext(token, deadline));
  });

  return {
    invoke: (deadline) =>
      timer.measure(async () => {
        const tokens = await source();
        const token = await tokens.get();
        try {
          await callApi(token, deadline);
        } catch (error) {
          if (!isTokenRejection(error)) throw error;
          await callApi(await tokens.replaceRejected(token), deadline);
        }
      }),
    lastOverheadMs: () => timer.lastOverheadMs(),
    lastTokenAt: () => timer.lastTokenAt(),
  };
}

/** What the example reads of its context: the token, and the time left. */
function lambdaContext(token: AccessToken, deadline: number): Context {
  return {
    sharedToken: token,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  } as unknown as Context;
}

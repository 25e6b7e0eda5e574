/**
 * A unit test of examples/salesforce-query as its author would write it: no AWS, no Salesforce,
 * no open handle when it ends. The handler's options are spread with the in-memory fakes of
 * `lambda-shared-token/testing`; Salesforce's API is a stubbed `fetch`.
 *
 * It imports query-accounts.ts (the query and its options), never handler.ts: a module that
 * attaches the middleware at import time would start fetching the secret from AWS.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { withSharedToken } from 'lambda-shared-token/middleware';
import { clearSharedTokenCaches, inMemorySharedTokenOptions } from 'lambda-shared-token/testing';

// Read by query-accounts.ts when it loads: set them first, then import it.
process.env.SALESFORCE_INSTANCE_URL = 'https://example.my.salesforce.com';
process.env.SALESFORCE_SECRET_NAME = '/test/orders/oauth/salesforce';
const { queryAccounts, sharedTokenOptions } = await import('../salesforce-query/query-accounts.js');

const context = {} as Context;
const accounts = { totalSize: 1, records: [{ Name: 'Acme' }] };
const ok = () => new Response(JSON.stringify(accounts), { status: 200 });
const sessionExpired = () =>
  new Response(JSON.stringify([{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]), {
    status: 401,
  });

/** Salesforce's API, answering `answers` in turn; the bearer token of each request is recorded. */
function stubSalesforce(...answers: Array<() => Response>): string[] {
  const bearers: string[] = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
    bearers.push(new Headers(init?.headers).get('authorization') ?? '');
    const answer = answers[Math.min(bearers.length, answers.length) - 1]!;
    return answer();
  });
  return bearers;
}

describe('queryAccounts with a shared token', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    clearSharedTokenCaches();
  });

  it('queries Salesforce with the token the middleware put on the context', async () => {
    const fakes = inMemorySharedTokenOptions({ accessToken: 'token-1' });
    const handler = withSharedToken(queryAccounts, { ...sharedTokenOptions, ...fakes });
    const bearers = stubSalesforce(ok);

    await expect(handler({}, context)).resolves.toEqual(accounts);

    expect(bearers).toEqual(['Bearer token-1']);
    expect(fakes.provider.calls).toBe(1);
  });

  it('refreshes the token once and queries again when Salesforce answers 401', async () => {
    const fakes = inMemorySharedTokenOptions({ accessToken: (call) => `token-${call}` });
    const handler = withSharedToken(queryAccounts, { ...sharedTokenOptions, ...fakes });
    const bearers = stubSalesforce(sessionExpired, ok);

    await expect(handler({}, context)).resolves.toEqual(accounts);

    expect(bearers).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(fakes.provider.calls).toBe(2);
  });

  it('reuses the token on a warm invocation', async () => {
    const fakes = inMemorySharedTokenOptions();
    const handler = withSharedToken(queryAccounts, { ...sharedTokenOptions, ...fakes });
    stubSalesforce(ok);

    await handler({}, context);
    await handler({}, context);

    expect(fakes.provider.calls).toBe(1);
  });
});

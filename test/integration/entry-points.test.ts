/**
 * End to end, through both entry points (the Middy middleware and the core API), against
 * real servers on 127.0.0.1: dynalite behind a counting proxy, the local Secrets Manager, the local
 * OAuth provider with its data APIs. The protocol's promises as a caller sees them: the warm path,
 * one refresh and one retry per rejection, rate limits left alone, one refresh for many containers.
 * Secret rotation and bad input: entry-points-secrets.test.ts. Metrics and the examples:
 * entry-points-examples.test.ts.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { AccessToken } from 'lambda-shared-token';
import { MetricName, oauth2ClientCredentials, salesforce } from 'lambda-shared-token';
import { TokenStore } from 'lambda-shared-token/advanced';
import {
  type Container,
  callApi,
  ENTRY_POINTS,
  type EntryPoint,
  HttpError,
  querySalesforce,
  rejectionOf,
  resetCounts,
  secretJson,
  uniqueNames,
  useLocalWorld,
} from '../support/entry-points.js';

const world = useLocalWorld();

beforeEach(() => resetCounts(world));

describe.each(ENTRY_POINTS)('through the %s entry point', (label: string, entry: EntryPoint) => {
  /** A fresh tokenType and secret; `count` containers of this entry point on the generic OAuth2 provider. */
  function setUp(count = 1): { containers: Container[]; secretName: string } {
    const { tokenType, secretName } = uniqueNames(label);
    world.secrets.putSecret(secretName, secretJson());
    const provider = oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl });
    const containers = Array.from({ length: count }, () =>
      entry.container(world, { tokenType, secretName, provider }),
    );
    return { containers, secretName };
  }

  const getSecretValueCalls = (secretName: string): number =>
    world.secrets.stats().getSecretValueByName[secretName] ?? 0;
  const dataApi = (token: AccessToken) => callApi(world.provider.apiUrl, token);

  it('serves ten warm invocations from memory: no provider call, no secret fetch, no DynamoDB read', async () => {
    const { containers, secretName } = setUp();
    const [container] = containers as [Container];

    const first = await container.invoke(dataApi);
    const afterFirst = {
      tokenCalls: world.provider.stats().tokenCalls,
      secretFetches: getSecretValueCalls(secretName),
      dynamo: world.proxy.counts(),
    };
    for (let i = 0; i < 10; i++) await container.invoke(dataApi);

    expect(first).toEqual({ ok: true });
    // One read, then the claim and the commit.
    expect(afterFirst).toEqual({
      tokenCalls: 1,
      secretFetches: 1,
      dynamo: { reads: 1, writes: 2, byOperation: { GetItem: 1, UpdateItem: 2 } },
    });
    expect(world.provider.stats().tokenCalls).toBe(1);
    expect(world.provider.stats().apiOk).toBe(11);
    expect(getSecretValueCalls(secretName)).toBe(1);
    expect(world.proxy.counts()).toMatchObject({ reads: 1, writes: 2 });
    expect(container.metrics?.count(MetricName.TokenCacheHit)).toBe(10);
  });

  it('refreshes once and runs the handler once more when the data API rejects the token (403)', async () => {
    const { containers } = setUp();
    const [container] = containers as [Container];
    await container.invoke(dataApi);
    world.provider.revokeAll();
    const versions: number[] = [];

    const result = await container.invoke((token) => {
      versions.push(token.version);
      return dataApi(token);
    });

    expect(result).toEqual({ ok: true });
    expect(versions).toEqual([1, 2]);
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 2, apiRejected: 1 });
    expect(container.metrics?.count(MetricName.ProviderRejected)).toBe(1);
    expect(container.metrics?.count(MetricName.RetrySucceeded)).toBe(1);
  });

  it("refreshes once on Salesforce's 401 INVALID_SESSION_ID and returns the query's result", async () => {
    const { tokenType, secretName } = uniqueNames(`${label}-salesforce`);
    world.secrets.putSecret(secretName, secretJson());
    const container = entry.container(world, {
      tokenType,
      secretName,
      provider: salesforce({ instanceUrl: world.provider.instanceUrl }),
    });
    const query = (token: AccessToken) => querySalesforce(world.provider.instanceUrl, token);
    await container.invoke(query);
    world.provider.revokeAll();
    const errors: unknown[] = [];

    const result = await container.invoke(async (token) => {
      try {
        return await query(token);
      } catch (error) {
        errors.push(error);
        throw error;
      }
    });

    expect(result).toMatchObject({ totalSize: 1, records: [{ Name: 'Acme' }] });
    expect(errors).toEqual([expect.objectContaining({ statusCode: 401, errorCode: 'INVALID_SESSION_ID' })]);
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 2, apiRejected: 1 });
    expect(container.metrics?.count(MetricName.RetrySucceeded)).toBe(1);
  });

  it('surfaces the ORIGINAL error when the retry is rejected too, after exactly two runs and one refresh', async () => {
    const { containers } = setUp();
    const [container] = containers as [Container];
    await container.invoke(dataApi);
    // A 403 about permissions, not the token: a new token does not cure it.
    world.provider.failApiNext(2, { status: 403, body: { error: 'insufficient_scope' } });
    const { thrown, call } = recordingFailures(dataApi);

    const error = await rejectionOf(container.invoke(call));

    expect(thrown).toHaveLength(2);
    expect(error).toBe(thrown[0]);
    expect(error).not.toBe(thrown[1]);
    expect(error).toMatchObject({ statusCode: 403, body: { error: 'insufficient_scope' } });
    expect(world.provider.stats().tokenCalls).toBe(2);
    expect(container.metrics?.count(MetricName.RetrySucceeded)).toBe(0);
  });

  it('surfaces the ORIGINAL error, after one run, when the refresh after a rejection fails', async () => {
    const { containers } = setUp();
    const [container] = containers as [Container];
    await container.invoke(dataApi);
    world.provider.revokeAll();
    world.provider.failTokenNext(1, { status: 503, body: { error: 'temporarily_unavailable' } });
    const { thrown, call } = recordingFailures(dataApi);

    const error = await rejectionOf(container.invoke(call));

    expect(thrown).toHaveLength(1);
    expect(error).toBe(thrown[0]);
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 2, tokensIssued: 1 });
    expect(container.logger?.calls).toContainEqual(
      expect.objectContaining({
        message: 'token rejected and the refresh failed; the original error surfaces',
      }),
    );
  });

  it('waits no longer than the invocation has while another container holds the lease (I2)', async () => {
    const { containers } = setUp();
    const [container] = containers as [Container];
    // A container that claimed the lease and crashed: its lease outlives this invocation.
    const store = new TokenStore({ client: world.dynamoClient, tableName: world.tableName });
    const now = Date.now();
    await store.claim(container.sharedToken.tokenType, {
      seenVersion: undefined,
      owner: 'crashed-container:1',
      leaseExpiresAt: now + 60_000,
      now,
    });

    const error = await rejectionOf<unknown>(container.invoke(dataApi, { remainingMs: 1_500 }));

    // The lease outlives the invocation: only giving up at the deadline ends the call with this
    // error. How long it waited is a time, not asserted here (it would flake on a busy machine):
    // token-manager.test.ts proves the bound on a virtual clock.
    expect(error).toMatchObject({ name: 'LockWaitTimeoutError', tokenType: container.sharedToken.tokenType });
    expect(world.provider.stats().tokenCalls).toBe(0);
  });

  it('leaves a REQUEST_LIMIT_EXCEEDED 403 alone: no refresh, the error surfaces after one run', async () => {
    const { tokenType, secretName } = uniqueNames(`${label}-limit`);
    world.secrets.putSecret(secretName, secretJson());
    const container = entry.container(world, {
      tokenType,
      secretName,
      provider: salesforce({ instanceUrl: world.provider.instanceUrl }),
    });
    await container.invoke((token) => querySalesforce(world.provider.instanceUrl, token));
    world.provider.failApiNext(1, {
      status: 403,
      body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }],
    });
    let runs = 0;

    const error = await rejectionOf(
      container.invoke((token) => {
        runs++;
        return querySalesforce(world.provider.instanceUrl, token);
      }),
    );

    expect(error).toMatchObject({
      name: 'SalesforceApiError',
      statusCode: 403,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
    });
    expect(runs).toBe(1);
    expect(world.provider.stats().tokenCalls).toBe(1);
    expect(container.metrics?.count(MetricName.ProviderRejected)).toBe(0);
  });

  it("leaves the generic API's rate-limit 403 alone as well", async () => {
    const { containers } = setUp();
    const [container] = containers as [Container];
    await container.invoke(dataApi);
    world.provider.setRateLimitRate(1);
    let runs = 0;

    const error = await rejectionOf(
      container
        .invoke((token) => {
          runs++;
          return dataApi(token);
        })
        .finally(() => world.provider.setRateLimitRate(0)),
    );

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 403, body: { errorCode: 'REQUEST_LIMIT_EXCEEDED' } });
    expect(runs).toBe(1);
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 1, apiRateLimited: 1 });
  });

  it('gives 20 containers rejected on the same version at once ONE provider call', async () => {
    const { containers } = setUp(20);
    const warm = await Promise.all(containers.map((container) => container.invoke((token) => token.version)));
    expect(warm).toEqual(Array(20).fill(1));
    expect(world.provider.stats().tokenCalls).toBe(1);
    world.provider.revokeAll();
    const versionsSeen = containers.map(() => [] as number[]);

    const results = await Promise.all(
      containers.map((container, index) =>
        container.invoke((token) => {
          versionsSeen[index]?.push(token.version);
          return dataApi(token);
        }),
      ),
    );

    expect(results).toEqual(Array(20).fill({ ok: true }));
    expect(versionsSeen).toEqual(Array(20).fill([1, 2]));
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 2, tokensIssued: 2, apiRejected: 20 });
    for (const container of containers) {
      expect(container.metrics?.count(MetricName.ProviderRejected)).toBe(1);
      expect(container.metrics?.count(MetricName.RetrySucceeded)).toBe(1);
    }
    const refreshed = containers.map((container) => container.metrics?.count(MetricName.TokenRefreshed));
    expect(refreshed.reduce((sum, count) => (sum ?? 0) + (count ?? 0), 0)).toBe(2);
  });

  // Once, 30 requests a handler turned away made 31 provider calls and ran it twice each.
  it("makes at most 2 provider calls for 30 of the handler's own 403s in 3 s across 3 containers", async () => {
    const { containers } = setUp(3);
    for (const container of containers) await container.invoke((token) => token.version);
    // A 403 the default classifier cannot tell from the API's (no expose flag): the fleet-wide bound holds.
    const turnedAway = () => Object.assign(new Error('Forbidden: not your order'), { statusCode: 403 });
    let runs = 0;

    for (let request = 0; request < 30; request++) {
      const container = containers[request % containers.length]!;
      await rejectionOf(
        container.invoke(() => {
          runs++;
          throw turnedAway();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    expect(world.provider.stats().tokenCalls).toBeLessThanOrEqual(2);
    // A retry only where a container first learned of the newer version: once per container.
    expect(runs).toBeLessThanOrEqual(30 + containers.length);
    const limited = containers.map(
      (container) => container.metrics?.count(MetricName.RejectionRefreshLimited) ?? 0,
    );
    expect(limited.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(30 - containers.length);
    // The API still takes the token the bound kept.
    expect(await containers[0]!.invoke(dataApi)).toEqual({ ok: true });
  });
});

/** `call`, with every error it throws recorded in `thrown` (the handler's runs, in order). */
function recordingFailures<T>(call: (token: AccessToken) => Promise<T>) {
  const thrown: unknown[] = [];
  const recording = async (token: AccessToken): Promise<T> => {
    try {
      return await call(token);
    } catch (failure) {
      thrown.push(failure);
      throw failure;
    }
  };
  return { thrown, call: recording };
}

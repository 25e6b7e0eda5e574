/**
 * The entry points as deployed: the Powertools defaults (EMF metrics on stdout, JSON logs) through the
 * middleware, and both examples imported as Lambda would load them (configured by environment
 * variables only), run end to end against real servers on 127.0.0.1.
 */

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AccessToken } from 'lambda-shared-token';
import { oauth2ClientCredentials } from 'lambda-shared-token';
import { type LoopbackListener, listenOnLoopback } from '../../scripts/local-stack/loopback-server.js';
import {
  CLIENT_SECRET,
  callApi,
  captureOutput,
  lambdaContext,
  middlewareEntry,
  rejectionOf,
  resetCounts,
  SALT,
  secretJson,
  uniqueNames,
  useLocalWorld,
} from '../support/entry-points.js';
import { testSecret } from '../support/test-secrets.js';

const world = useLocalWorld();

beforeEach(() => resetCounts(world));

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
  };
  [key: string]: unknown;
}

/** The EMF documents among the lines of `stdout`. */
function emfDocuments(stdout: string): EmfDocument[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((doc): doc is EmfDocument => typeof doc._aws === 'object');
}

/** What CloudWatch's Sum would give: a document's value is a number or an array of numbers. */
function sumOf(documents: EmfDocument[], metric: string): number {
  let total = 0;
  for (const doc of documents) {
    const listed = doc._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === metric);
    if (!listed) continue;
    const value = doc[metric];
    total += Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value);
  }
  return total;
}

/** No secret value, issued token or API key anywhere in `text`. */
function expectNoSecretIn(text: string, extra: string[] = []): void {
  for (const secret of [CLIENT_SECRET, SALT, ...extra, ...world.provider.issuedTokens()]) {
    expect(text.includes(secret)).toBe(false);
  }
}

describe('the middleware with the Powertools defaults', () => {
  it('publishes EMF whose TokenRefreshed total equals the tokens the provider issued', async () => {
    const { tokenType, secretName } = uniqueNames('powertools');
    world.secrets.putSecret(secretName, secretJson());
    const dataApi = (token: AccessToken) => callApi(world.provider.apiUrl, token);
    // The containers' clock, moved past the default bound on rejection-driven refreshes (10 s)
    // before the second revocation: version 2 replaced a rejected token, and a revocation of it
    // within 10 s would surface instead of refreshing (tested in rejection-bound.test.ts).
    let clockOffsetMs = 0;
    const clock = { now: () => Date.now() + clockOffsetMs };

    const { stdout, stderr } = await captureOutput(async () => {
      const containers = [0, 1, 2].map(() =>
        middlewareEntry.container(world, {
          tokenType,
          secretName,
          provider: oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl }),
          telemetry: 'powertools',
          options: { clock },
        }),
      );
      for (let invocation = 0; invocation < 12; invocation++) {
        // The provider revokes every token twice: each container meets the revocation once.
        if (invocation === 9) clockOffsetMs += 10_000;
        if (invocation === 3 || invocation === 9) world.provider.revokeAll();
        await containers[invocation % 3]?.invoke(dataApi);
      }
      // Cache hits alone wait up to a minute for a flush; a container shutting down would lose them.
      for (const container of containers) container.sharedToken.flushMetrics({ force: true });
    });
    const documents = emfDocuments(stdout);
    const stats = world.provider.stats();

    expect(stats).toMatchObject({ tokensIssued: 3, apiRejected: 6, apiOk: 12 });
    expect(sumOf(documents, 'TokenRefreshed')).toBe(stats.tokensIssued);
    expect(sumOf(documents, 'ProviderRejected')).toBe(stats.apiRejected);
    expect(sumOf(documents, 'RetrySucceeded')).toBe(stats.apiRejected);
    // Every invocation but each container's first starts from memory.
    expect(sumOf(documents, 'TokenCacheHit')).toBe(12 - 3);
    expect(documents.length).toBeGreaterThan(0);
    for (const doc of documents) {
      expect(doc._aws.CloudWatchMetrics).toEqual([
        expect.objectContaining({ Namespace: 'SharedToken', Dimensions: [['tokenType']] }),
      ]);
      expect(doc.tokenType).toBe(tokenType);
    }
    // Powertools Logger: WARN lines on stderr, one per rejection, as JSON with the tokenType.
    const warnings = stderr
      .split('\n')
      .filter((line) => line.includes('provider rejected token'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toMatchObject({ level: 'WARN', tokenType, service: 'lambda-shared-token' });
    expectNoSecretIn(stdout + stderr);
  });
});

/** Sets `values` in process.env; returns the function that puts the old values back. */
function setEnvironment(values: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** A small "reports" API: POST /tokens for an x-api-key, GET /reports/latest for a bearer token it issued. */
class ReportsApi {
  readonly apiKey = testSecret('reports:apiKey', 'api-key-');
  readonly issued = new Set<string>();
  readonly revoked = new Set<string>();
  tokenCalls = 0;
  reportCalls = 0;
  rejected = 0;
  private listener: LoopbackListener | undefined;

  get origin(): string {
    if (!this.listener) throw new Error('the reports API is not started');
    return this.listener.origin;
  }

  async start(): Promise<void> {
    this.listener = await listenOnLoopback(createServer((req, res) => this.handle(req, res)));
  }

  stop(): Promise<void> {
    return this.listener?.close() ?? Promise.resolve();
  }

  revokeAll(): void {
    for (const token of this.issued) this.revoked.add(token);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const [status, body] = this.answer(req);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private answer(req: IncomingMessage): [number, unknown] {
    if (req.method === 'POST' && req.url === '/tokens') {
      this.tokenCalls++;
      if (req.headers['x-api-key'] !== this.apiKey) return [401, { error: 'bad api key' }];
      const token = randomBytes(24).toString('base64url');
      this.issued.add(token);
      return [200, { token, validForMinutes: 60 }];
    }
    if (req.method === 'GET' && req.url === '/reports/latest') {
      this.reportCalls++;
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!this.issued.has(token) || this.revoked.has(token)) {
        this.rejected++;
        return [401, { error: 'invalid token' }];
      }
      return [200, { report: 'latest', rows: 3 }];
    }
    return [404, { error: 'not found' }];
  }
}

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

describe('the examples, configured by environment variables only', () => {
  const reports = new ReportsApi();
  const SALESFORCE_SECRET = '/test/examples/oauth/salesforce';
  const REPORTS_SECRET = '/test/examples/api-key/reports';
  let salesforceHandler: Handler;
  let reportsHandler: Handler;
  let restoreEnvironment = (): void => undefined;

  beforeAll(async () => {
    await reports.start();
    world.secrets.putSecret(SALESFORCE_SECRET, secretJson());
    world.secrets.putSecret(REPORTS_SECRET, JSON.stringify({ apiKey: reports.apiKey, key: SALT }));
    restoreEnvironment = setEnvironment({
      DYNAMODB_TABLE_ACCESS_TOKENS: world.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: world.proxy.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      SALESFORCE_SECRET_NAME: SALESFORCE_SECRET,
      SALESFORCE_INSTANCE_URL: world.provider.instanceUrl,
      REPORTS_SECRET_NAME: REPORTS_SECRET,
      REPORTS_BASE_URL: reports.origin,
    });
    // Imported after the environment is set: both read it, and Middy prefetches the secret, at load.
    salesforceHandler = (await import('../../examples/salesforce-query/handler.js')).handler as Handler;
    reportsHandler = (await import('../../examples/custom-provider/handler.js')).handler as Handler;
  });

  afterAll(async () => {
    restoreEnvironment();
    await reports.stop();
  });

  it('salesforce-query: queries with one shared token, refreshes once after the org revokes it', async () => {
    const { stdout, stderr } = await captureOutput(async () => {
      const first = await salesforceHandler({}, lambdaContext('salesforce-query'));
      const second = await salesforceHandler(
        { soql: 'SELECT Id FROM Account' },
        lambdaContext('salesforce-query'),
      );
      expect(first).toMatchObject({ totalSize: 1, records: [{ Name: 'Acme' }] });
      expect(second).toEqual(first);
      expect(world.provider.stats()).toMatchObject({ tokenCalls: 1, apiOk: 2 });

      world.provider.revokeAll();
      const afterRevocation = await salesforceHandler({}, lambdaContext('salesforce-query'));
      expect(afterRevocation).toEqual(first);
      expect(world.provider.stats()).toMatchObject({ tokenCalls: 2, apiRejected: 1, apiOk: 3 });
    });
    const documents = emfDocuments(stdout);
    expect(sumOf(documents, 'TokenRefreshed')).toBe(2);
    expect(sumOf(documents, 'RetrySucceeded')).toBe(1);
    expect(documents.every((doc) => doc.tokenType === 'salesforce')).toBe(true);
    expectNoSecretIn(stdout + stderr);
  });

  it('salesforce-query: REQUEST_LIMIT_EXCEEDED surfaces as it is, without a refresh', async () => {
    world.provider.failApiNext(1, {
      status: 403,
      body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }],
    });

    const { result: error } = await captureOutput(() =>
      rejectionOf(salesforceHandler({}, lambdaContext('salesforce-query'))),
    );

    expect(error).toMatchObject({
      name: 'SalesforceApiError',
      statusCode: 403,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
    });
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 0, apiCalls: 1 });
  });

  it('custom-provider: fetches reports with a token from POST /tokens, refreshes once after a 401', async () => {
    const { stdout, stderr } = await captureOutput(async () => {
      const first = await reportsHandler({}, lambdaContext('reports'));
      await reportsHandler({}, lambdaContext('reports'));
      expect(first).toEqual({ report: 'latest', rows: 3 });
      expect(reports.tokenCalls).toBe(1);

      reports.revokeAll();
      const afterRevocation = await reportsHandler({}, lambdaContext('reports'));
      expect(afterRevocation).toEqual(first);
      expect(reports).toMatchObject({ tokenCalls: 2, reportCalls: 4, rejected: 1 });
    });
    expectNoSecretIn(stdout + stderr, [reports.apiKey, ...reports.issued]);
    expect(emfDocuments(stdout).every((doc) => doc.tokenType === 'reports')).toBe(true);
    expect(sumOf(emfDocuments(stdout), 'TokenRefreshed')).toBe(2);
  });
});

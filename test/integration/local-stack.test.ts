import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { LocalOAuthProvider, RunningDynamo } from '../../scripts/local-stack/index.js';
import {
  createTokenTable,
  javaAvailable,
  localDynamoClient,
  startDynamo,
  startDynamoProxy,
  startLocalStack,
  startOAuthProvider,
} from '../../scripts/local-stack/index.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'test-access-tokens';
const CLIENT_ID = 'local-client';
const CLIENT_SECRET = testSecret('clientSecret', 'local-secret+with/odd=chars-');

const hasJava = await javaAvailable();
if (!hasJava) console.warn('java is not on this machine: the DynamoDB Local tests are skipped');
const describeWithJava = hasJava ? describe : describe.skip;
// Socket tables from /proc are Linux only.
const itOnLinux = existsSync('/proc/net/tcp') ? it : it.skip;

describeWithJava('DynamoDB Local', () => {
  let dynamo: RunningDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamo({ engine: 'dynamodb-local' });
    client = localDynamoClient(dynamo.endpoint);
    await createTokenTable(client, TABLE);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  it('is spawned with -disableTelemetry and DDB_LOCAL_TELEMETRY=0', () => {
    const { command } = dynamo;

    expect(dynamo.engine).toBe('dynamodb-local');
    expect(command?.args).toContain('-disableTelemetry');
    expect(command?.env).toEqual({ DDB_LOCAL_TELEMETRY: '0' });
  });

  itOnLinux('runs as a JVM whose real command line and environment have telemetry off', () => {
    const cmdline = readFileSync(`/proc/${dynamo.pid}/cmdline`, 'utf8').split('\0');
    const environ = readFileSync(`/proc/${dynamo.pid}/environ`, 'utf8').split('\0');

    expect(cmdline[0]).toMatch(/java$/);
    expect(cmdline).toContain('-disableTelemetry');
    expect(environ).toContain('DDB_LOCAL_TELEMETRY=0');
  });

  it('answers ListTables on a 127.0.0.1 endpoint', async () => {
    const { TableNames } = await client.send(new ListTablesCommand({}));

    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(TableNames).toContain(TABLE);
  });

  itOnLinux('listens on the loopback interface only', () => {
    const addresses = listeningAddresses(portOf(dynamo.endpoint));

    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.filter((address) => !LOOPBACK_ADDRESSES.has(address))).toEqual([]);
  });

  it('creates the token table idempotently, keyed by tokenType, pay per request, TTL on expiresAt', async () => {
    await createTokenTable(client, 'idempotent-tokens');
    await createTokenTable(client, 'idempotent-tokens');

    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'idempotent-tokens' }));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'idempotent-tokens' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'tokenType', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('returns the old item in the ConditionalCheckFailedException when asked for ALL_OLD', async () => {
    const old = { tokenType: 'all-old', version: 7, lockOwner: 'first' };
    await client.send(new PutItemCommand({ TableName: TABLE, Item: marshall(old) }));

    const error = await client.send(staleClaim('all-old')).catch((caught: unknown) => caught);

    expect(errorName(error)).toBe('ConditionalCheckFailedException');
    expect(unmarshall((error as { Item: Parameters<typeof unmarshall>[0] }).Item)).toEqual(old);
  });

  it('is counted by the proxy: GetItem as a read, UpdateItem as a write, others by operation only', async () => {
    const proxy = await startDynamoProxy(dynamo.endpoint);
    const viaProxy = localDynamoClient(proxy.endpoint);
    try {
      await viaProxy.send(new ListTablesCommand({}));
      proxy.reset();

      await viaProxy.send(new GetItemCommand({ TableName: TABLE, Key: marshall({ tokenType: 'counted' }) }));
      await viaProxy.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: marshall({ tokenType: 'counted' }),
          UpdateExpression: 'SET version = :one',
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        }),
      );
      await viaProxy.send(new DescribeTableCommand({ TableName: TABLE }));

      expect(proxy.counts()).toEqual({
        reads: 1,
        writes: 1,
        byOperation: { GetItem: 1, UpdateItem: 1, DescribeTable: 1 },
      });
    } finally {
      viaProxy.destroy();
      await proxy.stop();
    }
  });

  it('is reachable through the proxy by 300 concurrent connections', async () => {
    const proxy = await startDynamoProxy(dynamo.endpoint);
    const httpAgent = new Agent({ keepAlive: true, maxSockets: 300 });
    const viaProxy = localDynamoClient(proxy.endpoint, { requestHandler: { httpAgent }, maxAttempts: 1 });
    try {
      const gets = Array.from({ length: 300 }, (_, i) =>
        viaProxy.send(
          new GetItemCommand({ TableName: TABLE, Key: marshall({ tokenType: `concurrent-${i}` }) }),
        ),
      );

      const results = await Promise.allSettled(gets);

      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      expect(proxy.counts().reads).toBe(300);
    } finally {
      viaProxy.destroy();
      httpAgent.destroy();
      await proxy.stop();
    }
  });

  it('stops: the java process is gone, the port refuses connections, and stop() can be called again', async () => {
    const pid = dynamo.pid!;
    const port = portOf(dynamo.endpoint);

    await dynamo.stop();

    expect(processExists(pid)).toBe(false);
    expect(await connectionRefused(port)).toBe(true);
    await expect(dynamo.stop()).resolves.toBeUndefined();
  });
});

describe('dynalite', () => {
  let dynamo: RunningDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamo({ engine: 'dynalite' });
    client = localDynamoClient(dynamo.endpoint);
    await createTokenTable(client, TABLE);
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  it('starts in this process and answers ListTables on a 127.0.0.1 endpoint', async () => {
    const { TableNames } = await client.send(new ListTablesCommand({}));

    expect(dynamo.engine).toBe('dynalite');
    expect(dynamo.command).toBeUndefined();
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(TableNames).toContain(TABLE);
  });

  it('gets the token table idempotently, but without TTL: dynalite has no UpdateTimeToLive', async () => {
    await createTokenTable(client, 'idempotent-tokens');
    await createTokenTable(client, 'idempotent-tokens');

    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'idempotent-tokens' }));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'idempotent-tokens' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'tokenType', KeyType: 'HASH' }]);
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });
  });

  it('accepts ALL_OLD but leaves Item out of the ConditionalCheckFailedException: read again instead', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: marshall({ tokenType: 'all-old', version: 7 }) }),
    );

    const error = await client.send(staleClaim('all-old')).catch((caught: unknown) => caught);

    expect(errorName(error)).toBe('ConditionalCheckFailedException');
    expect((error as { Item?: unknown }).Item).toBeUndefined();
  });

  it('stops: the port refuses connections, and stop() can be called again', async () => {
    const port = portOf(dynamo.endpoint);

    await dynamo.stop();

    expect(await connectionRefused(port)).toBe(true);
    await expect(dynamo.stop()).resolves.toBeUndefined();
  });
});

describe('startLocalStack', () => {
  it('starts dynamo, proxy, table and provider on loopback, counts from zero, and stops them all', async () => {
    const stack = await startLocalStack({
      engine: 'dynalite',
      provider: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    });
    const ports = [stack.dynamo.endpoint, stack.proxy.endpoint, stack.provider.tokenUrl].map(portOf);
    try {
      const countsAfterStart = stack.proxy.counts();
      await stack.client.send(
        new GetItemCommand({ TableName: stack.tableName, Key: marshall({ tokenType: 'none' }) }),
      );

      expect(stack.tableName).toBe('demo-local-access-tokens');
      expect(countsAfterStart).toEqual({ reads: 0, writes: 0, byOperation: {} });
      expect(stack.proxy.counts().reads).toBe(1);
      if (existsSync('/proc/net/tcp')) {
        const addresses = ports.flatMap(listeningAddresses);
        expect(addresses.length).toBeGreaterThanOrEqual(3);
        expect(addresses.filter((address) => !LOOPBACK_ADDRESSES.has(address))).toEqual([]);
      }
    } finally {
      await stack.stop();
    }

    for (const port of ports) expect(await connectionRefused(port)).toBe(true);
  });

  it('uses a running DynamoDB and leaves it running; Secrets Manager and KMS start only when asked', async () => {
    const dynamo = await startDynamo({ engine: 'dynalite' });
    const direct = localDynamoClient(dynamo.endpoint);
    try {
      const bare = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, tableName: 'shared-engine' });
      await bare.stop();
      const full = await startLocalStack({
        dynamoEndpoint: dynamo.endpoint,
        tableName: 'shared-engine',
        secretsManager: { secrets: { 'stack/secret': CLIENT_SECRET } },
        kms: { aliases: ['alias/stack'] },
      });
      const ports = [full.proxy.endpoint, full.secretsManager.endpoint, full.kms.endpoint].map(portOf);
      await full.stop();

      expect(bare.dynamo).toEqual({ engine: 'external', endpoint: dynamo.endpoint });
      expect([bare.provider, bare.secretsManager, bare.kms]).toEqual([undefined, undefined, undefined]);
      expect(full.kms.keys.map((key) => key.alias)).toEqual(['alias/stack']);
      for (const port of ports) expect(await connectionRefused(port)).toBe(true);
      const { TableNames } = await direct.send(new ListTablesCommand({}));
      expect(TableNames).toContain('shared-engine');
    } finally {
      direct.destroy();
      await dynamo.stop();
    }
  });

  it('refuses an unknown option, naming it', async () => {
    await expect(startLocalStack({ tablename: 'typo' } as never)).rejects.toThrow(
      "startLocalStack: unknown option 'tablename'",
    );
  });
});

describe('local OAuth provider', () => {
  let provider: LocalOAuthProvider;
  let nextRandom = 0.99;

  beforeAll(async () => {
    provider = await startOAuthProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      random: () => nextRandom,
    });
  });

  beforeEach(() => {
    provider.resetStats();
    provider.setLatency(0);
    provider.setRejectRate(0);
    provider.setTokenTtl(3600);
    nextRandom = 0.99;
  });

  afterAll(async () => {
    await provider?.stop();
  });

  it('issues a live Bearer token for client credentials in the form body', async () => {
    const answer = await requestToken(provider, {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });

    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(answer.json).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    expect(accessToken(answer)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(provider.isLive(accessToken(answer))).toBe(true);
    expect(provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 1 });
  });

  it('issues a token for client credentials sent with HTTP Basic, form-encoded or raw', async () => {
    const encoded = await requestToken(
      provider,
      { grant_type: 'client_credentials' },
      { basic: [CLIENT_ID, encodeURIComponent(CLIENT_SECRET)] },
    );
    const raw = await requestToken(
      provider,
      { grant_type: 'client_credentials' },
      { basic: [CLIENT_ID, CLIENT_SECRET] },
    );

    expect([encoded.status, raw.status]).toEqual([200, 200]);
    expect(accessToken(encoded)).not.toBe(accessToken(raw));
    expect(provider.stats()).toMatchObject({ tokenCalls: 2, tokensIssued: 2 });
  });

  it('refuses wrong or missing client credentials with 401 invalid_client and counts the calls', async () => {
    const wrongBody = await requestToken(provider, {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: 'not-the-secret',
    });
    const wrongBasic = await requestToken(
      provider,
      { grant_type: 'client_credentials' },
      { basic: [CLIENT_ID, 'not-the-secret'] },
    );
    const missing = await requestToken(provider, { grant_type: 'client_credentials' });

    for (const answer of [wrongBody, wrongBasic, missing]) {
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ error: 'invalid_client' });
    }
    expect(provider.stats()).toMatchObject({ tokenCalls: 3, tokensIssued: 0 });
  });

  it('answers 400 unsupported_grant_type to an unknown grant, and to refresh_token when it issues none', async () => {
    const credentials = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET };

    const unknown = await requestToken(provider, { ...credentials, grant_type: 'password' });
    const refresh = await requestToken(provider, {
      ...credentials,
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });

    expect([unknown.status, refresh.status]).toEqual([400, 400]);
    expect(unknown.json).toEqual({ error: 'unsupported_grant_type' });
    expect(refresh.json).toEqual({ error: 'unsupported_grant_type' });
  });

  it('serves the data API for a live token, 401 without a token, 403 for unknown and revoked ones', async () => {
    const token = accessToken(await clientCredentialsToken(provider));

    const ok = await callApi(provider, token);
    const noHeader = await callApi(provider, undefined);
    const unknown = await callApi(provider, 'never-issued');
    provider.revokeAll();
    const revoked = await callApi(provider, token);

    expect([ok.status, ok.json]).toEqual([200, { ok: true }]);
    expect([noHeader.status, noHeader.json]).toEqual([401, { error: 'invalid_request' }]);
    expect([unknown.status, unknown.json]).toEqual([403, { error: 'invalid_token' }]);
    expect([revoked.status, revoked.json]).toEqual([403, { error: 'invalid_token' }]);
    expect(provider.isLive(token)).toBe(false);
    expect(provider.stats()).toMatchObject({ apiCalls: 4, apiOk: 1, apiRejected: 3 });
  });

  it('answers 403 once a token has expired by the server clock', async () => {
    const token = accessToken(await clientCredentialsToken(provider));
    const issuedAt = Date.now();
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(issuedAt + 3_590_000);
      const beforeExpiry = await callApi(provider, token);
      clock.mockReturnValue(issuedAt + 3_601_000);
      const afterExpiry = await callApi(provider, token);

      expect(beforeExpiry.status).toBe(200);
      expect(afterExpiry.status).toBe(403);
      expect(provider.isLive(token)).toBe(false);
    } finally {
      clock.mockRestore();
    }
  });

  it('revokes the token it is shown with probability rejectRate', async () => {
    const token = accessToken(await clientCredentialsToken(provider));
    provider.setRejectRate(0.5);

    nextRandom = 0.6;
    const kept = await callApi(provider, token);
    nextRandom = 0.4;
    const rejected = await callApi(provider, token);

    expect(kept.status).toBe(200);
    expect([rejected.status, rejected.json]).toEqual([403, { error: 'invalid_token' }]);
    expect(provider.isLive(token)).toBe(false);
    expect(provider.stats()).toMatchObject({ apiOk: 1, apiRejected: 1 });
  });

  it('gives the next token requests the injected answers, counted as token calls, then recovers', async () => {
    provider.failTokenNext(2, { status: 503, body: { error: 'temporarily_unavailable' } });
    provider.failTokenNext(1, { status: 200, rawBody: '{"access_token":' });

    const first = await clientCredentialsToken(provider);
    const second = await clientCredentialsToken(provider);
    const third = await clientCredentialsToken(provider);
    const fourth = await clientCredentialsToken(provider);

    expect([first.status, first.json]).toEqual([503, { error: 'temporarily_unavailable' }]);
    expect(second.status).toBe(503);
    expect([third.status, third.text]).toEqual([200, '{"access_token":']);
    expect(fourth.status).toBe(200);
    expect(provider.stats()).toMatchObject({ tokenCalls: 4, tokensIssued: 1 });
  });

  it("leaves a token request unanswered on an injected 'timeout', and answers the next one", async () => {
    provider.failTokenNext(1, 'timeout');

    const parked = clientCredentialsToken(provider, AbortSignal.timeout(300));

    await expect(parked).rejects.toThrow();
    expect((await clientCredentialsToken(provider)).status).toBe(200);
    expect(provider.stats()).toMatchObject({ tokenCalls: 2, tokensIssued: 1 });
  });

  it('gives the next data API calls the injected answer without touching the token', async () => {
    const token = accessToken(await clientCredentialsToken(provider));
    provider.failApiNext(1, { status: 403, body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });

    const limited = await callApi(provider, token);
    const next = await callApi(provider, token);

    expect([limited.status, limited.json]).toEqual([403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }]]);
    expect(next.status).toBe(200);
    expect(provider.isLive(token)).toBe(true);
    expect(provider.stats()).toMatchObject({ apiCalls: 2, apiOk: 1, apiRejected: 0 });
  });

  it('puts a raw expires_in into the next answer only, or leaves it out for undefined', async () => {
    provider.setNextExpiresIn('soon');
    const odd = await clientCredentialsToken(provider);
    const normal = await clientCredentialsToken(provider);
    provider.setNextExpiresIn(undefined);
    const omitted = await clientCredentialsToken(provider);

    expect((odd.json as { expires_in: unknown }).expires_in).toBe('soon');
    expect((normal.json as { expires_in: unknown }).expires_in).toBe(3600);
    expect(omitted.json).not.toHaveProperty('expires_in');
    expect(provider.isLive(accessToken(odd))).toBe(true);
  });

  it('answers with the configured expires_in and waits the configured latency', async () => {
    provider.setTokenTtl(120);
    provider.setLatency(200);

    const started = performance.now();
    const answer = await clientCredentialsToken(provider);
    const elapsed = performance.now() - started;

    expect((answer.json as { expires_in: unknown }).expires_in).toBe(120);
    expect(elapsed).toBeGreaterThanOrEqual(190);
  });

  it('rotates refresh tokens: each use returns a new one and a reused one gets 400 invalid_grant', async () => {
    const rotating = await startOAuthProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      issueRefreshTokens: true,
    });
    try {
      const credentials = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
      const initial = await clientCredentialsToken(rotating);
      const firstRefresh = refreshToken(initial);

      const rotated = await requestToken(rotating, {
        ...credentials,
        grant_type: 'refresh_token',
        refresh_token: firstRefresh,
      });
      const reused = await requestToken(rotating, {
        ...credentials,
        grant_type: 'refresh_token',
        refresh_token: firstRefresh,
      });
      const chained = await requestToken(rotating, {
        ...credentials,
        grant_type: 'refresh_token',
        refresh_token: refreshToken(rotated),
      });

      expect(rotated.status).toBe(200);
      expect(refreshToken(rotated)).not.toBe(firstRefresh);
      expect(rotating.isLive(accessToken(rotated))).toBe(true);
      expect([reused.status, reused.json]).toEqual([400, { error: 'invalid_grant' }]);
      expect(chained.status).toBe(200);
      expect(rotating.stats()).toMatchObject({ tokenCalls: 4, tokensIssued: 3 });
    } finally {
      await rotating.stop();
    }
  });

  it('stops: parked requests end, the port refuses connections', async () => {
    const stopping = await startOAuthProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const port = portOf(stopping.tokenUrl);
    stopping.failApiNext(1, 'timeout');
    const parked = callApi(stopping, 'any');
    await waitFor(() => stopping.stats().apiCalls === 1);

    await stopping.stop();

    await expect(parked).rejects.toThrow();
    expect(await connectionRefused(port)).toBe(true);
  });
});

interface HttpAnswer {
  status: number;
  contentType: string | null;
  text: string;
  json: unknown;
}

async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
}

async function requestToken(
  provider: LocalOAuthProvider,
  form: Record<string, string>,
  options: { basic?: [string, string]; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.basic) {
    headers.authorization = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`;
  }
  const response = await fetch(provider.tokenUrl, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return answerOf(response);
}

function clientCredentialsToken(provider: LocalOAuthProvider, signal?: AbortSignal): Promise<HttpAnswer> {
  const form = { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
  return requestToken(provider, form, signal ? { signal } : {});
}

async function callApi(provider: LocalOAuthProvider, token: string | undefined): Promise<HttpAnswer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return answerOf(await fetch(provider.apiUrl, { headers }));
}

function accessToken(answer: HttpAnswer): string {
  return (answer.json as { access_token: string }).access_token;
}

function refreshToken(answer: HttpAnswer): string {
  return (answer.json as { refresh_token: string }).refresh_token;
}

/** The claim of step 4 (docs/how-it-works.md) against a version nobody holds any more. */
function staleClaim(tokenType: string): UpdateItemCommand {
  return new UpdateItemCommand({
    TableName: TABLE,
    Key: marshall({ tokenType }),
    UpdateExpression: 'SET lockOwner = :me',
    ConditionExpression: 'version = :seen',
    ExpressionAttributeValues: marshall({ ':me': 'second', ':seen': 6 }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** Polls `condition`; the limit only stops a broken run from hanging (generous: CI may be busy). */
async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// 127.0.0.1 in /proc/net/tcp, ::ffff:127.0.0.1 and ::1 in /proc/net/tcp6 (hex, host byte order).
const LOOPBACK_ADDRESSES = new Set([
  '0100007F',
  '0000000000000000FFFF00000100007F',
  '00000000000000000000000001000000',
]);

/** Local addresses of the sockets listening on this port, as /proc/net/tcp{,6} print them. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, localPort] = (local ?? '').split(':');
      if (state === '0A' && localPort === hexPort && address) addresses.push(address);
    }
  }
  return addresses;
}

/**
 * `lambda-shared-token status` as an operator runs it (the built command, a child process) on a
 * table the simulator filled, plus items written with the store's own claim, commit and release:
 * a live lease, a shared back-off, a KMS envelope, and a hand-edited item. Its output is checked
 * against the items read directly, and scanned for every secret and ciphertext involved.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TokenStatus } from '../../cli/status/token-status.js';
import { KmsCipher } from '../../layer/crypto/kms-cipher.js';
import { SaltCipher } from '../../layer/crypto/salt-cipher.js';
import { TokenStore } from '../../layer/store/token-store.js';
import { freeLoopbackPort } from '../../scripts/local-stack/free-port.js';
import { registerSecret } from '../../scripts/local-stack/secret-registry.js';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack/stack.js';
import { runSimulation } from '../../scripts/simulator/simulation.js';
import { runCliProcess } from '../support/cli-process.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'cli-status-access-tokens';
const KMS_ALIAS = 'alias/cli-status';
const LEASE_OWNER = 'orders-fn:0badcafe:2';
const RELEASED_OWNER = 'reports-fn:feedf00d:1';

let stack: LocalStack<{ kms: object }>;
/** The items as DynamoDB holds them, by tokenType. */
let items: Map<string, Record<string, unknown>>;

const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stack = await startLocalStack({ tableName: TABLE, kms: { aliases: [KMS_ALIAS] } });
  // A real fleet fills the table: 2 containers share one Salesforce token (salt cipher).
  const report = await runSimulation({
    endpoint: stack.dynamo.endpoint,
    table: TABLE,
    containers: 2,
    invocations: 3,
    tokenTtlSeconds: 600,
    tokenType: 'salesforce',
  });
  expect({ failed: report.failed, errors: report.errors }).toEqual({ failed: 0, errors: {} });

  const store = new TokenStore({ client: stack.directClient, tableName: TABLE });
  // A tenant's token, then a live lease on it: another container is refreshing it now.
  const salt = new SaltCipher({ keys: [testSecret('cli-status:key')] });
  const tenant = 'orders#tenant-42';
  await store.claim(tenant, {
    seenVersion: undefined,
    owner: 'orders-fn:first:1',
    leaseExpiresAt: Date.now() + 10_000,
    now: Date.now(),
  });
  await store.commit(tenant, {
    owner: 'orders-fn:first:1',
    accessToken: await salt.encrypt(testSecret('cli-status:tenant-token'), tenant),
    expiresAt: nowSeconds() + 1800,
    updatedAt: nowSeconds(),
    refreshDuration: { refreshMs: 42, refreshDeviationMs: 7 },
  });
  await store.claim(tenant, {
    seenVersion: 1,
    owner: LEASE_OWNER,
    leaseExpiresAt: Date.now() + 600_000,
    now: Date.now(),
  });

  // A KMS-sealed token with a stored refresh token, then a failed refresh: the shared back-off.
  const kmsClient = new KMSClient({
    endpoint: stack.kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const kms = new KmsCipher({ keyId: KMS_ALIAS, client: kmsClient });
  await store.claim('reports', {
    seenVersion: undefined,
    owner: 'reports-fn:first:1',
    leaseExpiresAt: Date.now() + 10_000,
    now: Date.now(),
  });
  await store.commit('reports', {
    owner: 'reports-fn:first:1',
    accessToken: await kms.encrypt(testSecret('cli-status:reports-token'), 'reports'),
    refreshToken: await kms.encrypt(testSecret('cli-status:reports-refresh-token'), 'reports'),
    expiresAt: nowSeconds() + 900,
    updatedAt: nowSeconds(),
  });
  await store.claim('reports', {
    seenVersion: 1,
    owner: RELEASED_OWNER,
    leaseExpiresAt: Date.now() + 10_000,
    now: Date.now(),
  });
  await store.release('reports', { owner: RELEASED_OWNER, retryAfter: Date.now() + 600_000 });
  kmsClient.destroy();

  // Hand-edited: every attribute in the wrong type or unit.
  await stack.directClient.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        tokenType: { S: 'hand-edited' },
        version: { S: 'seven' },
        expiresAt: { S: '2030-01-01T00:00:00Z' },
        updatedAt: { N: String(Date.now()) },
        updating: { BOOL: true },
        lockOwner: { S: 'someone' },
        lockExpiresAt: { N: String(nowSeconds() + 60) },
        accessToken: { S: 'not base64!' },
      },
    }),
  );

  const { Items } = await stack.directClient.send(
    new ScanCommand({ TableName: TABLE, ConsistentRead: true }),
  );
  items = new Map((Items ?? []).map((item) => [item.tokenType!.S!, unmarshall(item)]));
  for (const item of items.values()) {
    // The ciphertexts are no secret in the clear, but status must never print them either.
    registerSecret(item.accessToken, `table:${item.tokenType}:accessToken`);
    registerSecret(item.refreshToken, `table:${item.tokenType}:refreshToken`);
  }
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

const env = () => ({ AWS_ENDPOINT_URL_DYNAMODB: stack.proxy.endpoint });

/** What status prints for a time, from the item's own value: bounded by the clock before and after the run. */
function within(value: number, low: number, high: number): void {
  expect(value).toBeGreaterThanOrEqual(Math.min(low, high) - 1);
  expect(value).toBeLessThanOrEqual(Math.max(low, high) + 1);
}

function saltKeyId(envelope: unknown): string {
  return Buffer.from(envelope as string, 'base64')
    .subarray(1, 5)
    .toString('hex');
}

function kmsFingerprint(envelope: unknown): string {
  const bytes = Buffer.from(envelope as string, 'base64');
  const length = bytes.readUInt16BE(1);
  return createHash('sha256')
    .update(bytes.subarray(3, 3 + length))
    .digest('hex')
    .slice(0, 8);
}

describe('lambda-shared-token status --json', () => {
  it('lists every item with the values the table holds, in their own units, and sends one Scan', async () => {
    stack.proxy.reset();
    const before = Date.now();
    const run = await runCliProcess(['status', '--table', TABLE, '--json'], env());
    const after = Date.now();

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(stack.proxy.counts().byOperation).toEqual({ Scan: 1 });
    const statuses = JSON.parse(run.stdout) as TokenStatus[];
    expect(statuses.map((status) => status.tokenType)).toEqual([
      'hand-edited',
      'orders#tenant-42',
      'reports',
      'salesforce',
    ]);
    const byType = new Map(statuses.map((status) => [status.tokenType, status]));

    const salesforce = byType.get('salesforce')!;
    const fleet = items.get('salesforce')!;
    expect(salesforce).toMatchObject({
      version: fleet.version,
      hasToken: true,
      expiresAt: new Date((fleet.expiresAt as number) * 1000).toISOString(),
      updatedAt: new Date((fleet.updatedAt as number) * 1000).toISOString(),
      lease: null,
      backoff: null,
      key: { cipher: 'salt', keyId: saltKeyId(fleet.accessToken) },
      refreshTokenStored: false,
      problems: [],
    });
    expect(fleet.version).toBeGreaterThanOrEqual(1);
    // The fleet's refresh history: the commit recorded it.
    expect(salesforce.refreshMs).toBe(fleet.refreshMs);
    within(
      salesforce.expiresInSeconds!,
      (fleet.expiresAt as number) - after / 1000,
      (fleet.expiresAt as number) - before / 1000,
    );
    within(
      salesforce.updatedSecondsAgo!,
      before / 1000 - (fleet.updatedAt as number),
      after / 1000 - (fleet.updatedAt as number),
    );

    const tenant = byType.get('orders#tenant-42')!;
    const tenantItem = items.get('orders#tenant-42')!;
    expect(tenant).toMatchObject({
      version: 1,
      refreshMs: 42,
      refreshDeviationMs: 7,
      key: { cipher: 'salt', keyId: saltKeyId(tenantItem.accessToken) },
      lease: {
        owner: LEASE_OWNER,
        live: true,
        endsAt: new Date(tenantItem.lockExpiresAt as number).toISOString(),
        claimedAt: new Date(tenantItem.lockClaimedAt as number).toISOString(),
      },
      backoff: null,
    });
    within(
      tenant.lease!.endsInMs! / 1000,
      ((tenantItem.lockExpiresAt as number) - after) / 1000,
      ((tenantItem.lockExpiresAt as number) - before) / 1000,
    );

    const reports = byType.get('reports')!;
    const reportsItem = items.get('reports')!;
    expect(reports).toMatchObject({
      version: 1,
      key: { cipher: 'kms', dataKeyFingerprint: kmsFingerprint(reportsItem.accessToken) },
      refreshTokenStored: true,
      lease: null,
      backoff: {
        failures: 1,
        active: true,
        retryAfter: new Date(reportsItem.retryAfter as number).toISOString(),
      },
    });

    const edited = byType.get('hand-edited')!;
    expect(edited).toMatchObject({ version: null, expiresAt: null, hasToken: true, key: null });
    expect(edited.problems).toEqual([
      'version is of type S, but the layer writes a whole number (N)',
      'expiresAt is of type S, but the layer writes a number (N) of epoch seconds',
      'updatedAt looks like epoch milliseconds, but the layer writes epoch seconds here',
      'accessToken is not base64 text',
      'lockExpiresAt looks like epoch seconds, but the layer writes epoch milliseconds here',
    ]);
  });

  it('reads the table from DYNAMODB_TABLE_ACCESS_TOKENS when --table is not given', async () => {
    const run = await runCliProcess(['status', '--json'], { ...env(), DYNAMODB_TABLE_ACCESS_TOKENS: TABLE });

    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(items.size);
  });
});

describe('lambda-shared-token status', () => {
  it('prints one row per tokenType: lease holder, back-off, keys, and what is wrong with an item', async () => {
    const run = await runCliProcess(['status', '--table', TABLE], env());

    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    const rowOf = (tokenType: string) => lines.find((line) => line.startsWith(`${tokenType} `)) ?? '';
    expect(lines[0]).toMatch(new RegExp(`^Table ${TABLE} at \\d{4}-\\d\\d-\\d\\dT.*Z: 4 tokenTypes$`));
    expect(lines[2]).toMatch(
      /^TOKEN TYPE\s+VERSION\s+EXPIRES\s+LAST REFRESH\s+REFRESH TAKES\s+LEASE\s+BACK-OFF\s+KEY\s+REFRESH TOKEN$/,
    );
    const fleet = items.get('salesforce')!;
    expect(rowOf('salesforce')).toMatch(
      new RegExp(`^salesforce\\s+${fleet.version}\\s+in \\d+m \\d+s\\s+\\S+ ago\\s`),
    );
    expect(rowOf('salesforce')).toMatch(
      new RegExp(`\\s-\\s+-\\s+salt ${saltKeyId(fleet.accessToken)}\\s+no$`),
    );
    expect(rowOf('orders#tenant-42')).toContain(`held by ${LEASE_OWNER}, ends in 9m`);
    expect(rowOf('orders#tenant-42')).toContain('42 ms ±7');
    expect(rowOf('reports')).toMatch(/1 failure, retry in 9m \d+s\s+kms [0-9a-f]{8}\s+yes$/);
    expect(rowOf('hand-edited')).toMatch(/^hand-edited\s+\?\s+\?\s+/);
    expect(run.stdout).toContain(
      '  hand-edited:\n    - version is of type S, but the layer writes a whole number (N)\n',
    );
    expect(run.stdout).toContain('3 valid, 0 expired, 1 live lease(s), 1 in back-off, 1 with problems.');
  });
});

describe('lambda-shared-token status failures', () => {
  it('exits 1 naming the table and the AWS error when the table does not exist', async () => {
    const run = await runCliProcess(['status', '--table', 'no-such-access-tokens'], env());

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'dynamodb:Scan on table "no-such-access-tokens" (us-east-1) failed: ResourceNotFoundException',
    );
  });

  it('exits 1 naming the network error when DynamoDB does not answer', async () => {
    const closed = await freeLoopbackPort();
    const run = await runCliProcess(['status', '--table', TABLE], {
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${closed}`,
    });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`dynamodb:Scan on table "${TABLE}" (us-east-1) failed: ECONNREFUSED`);
    expect(run.stderr).toContain('fix: the endpoint did not answer');
  });

  it('exits 2 naming --table and DYNAMODB_TABLE_ACCESS_TOKENS when neither is given', async () => {
    const run = await runCliProcess(['status'], env());

    expect(run.status).toBe(2);
    expect(run.stderr).toContain('pass --table NAME or set DYNAMODB_TABLE_ACCESS_TOKENS');
  });
});

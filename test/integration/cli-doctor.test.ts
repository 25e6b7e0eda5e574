/**
 * `lambda-shared-token doctor` as an operator runs it (the built command, a child process) against
 * the local stack: a healthy deployment passes every check with exit 0; each misconfiguration fails
 * its own check with the cause and the fix, exit 1. Every run's output is scanned for the secrets
 * (credentials, keys, tokens, data keys, ciphertexts), and the AWS calls it made are counted.
 */
import {
  CreateTableCommand,
  type KeySchemaElement,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CheckResult } from '../../cli/doctor/check.js';
import { KmsCipher } from '../../layer/crypto/kms-cipher.js';
import { SaltCipher } from '../../layer/crypto/salt-cipher.js';
import { TokenStore } from '../../layer/store/token-store.js';
import { freeLoopbackPort } from '../../scripts/local-stack/free-port.js';
import type {
  LocalKmsOptions,
  LocalSecretsManagerOptions,
  OAuthProviderOptions,
} from '../../scripts/local-stack/index.js';
import { registerSecret } from '../../scripts/local-stack/secret-registry.js';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack/stack.js';
import { runCliProcess } from '../support/cli-process.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'cli-doctor-access-tokens';
const KMS_ALIAS = 'alias/cli-doctor';
const CLIENT_ID = 'cli-doctor-client';
const CLIENT_SECRET = testSecret('cli-doctor:clientSecret');
const KEY = testSecret('cli-doctor:key');
const SECRET = '/test/cli-doctor/oauth/salesforce';

type Stack = LocalStack<{
  provider: OAuthProviderOptions;
  secretsManager: LocalSecretsManagerOptions;
  kms: LocalKmsOptions;
}>;
let stack: Stack;

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function createTable(name: string, keys: KeySchemaElement[], ttlAttribute?: string): Promise<void> {
  await stack.directClient.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: keys,
      AttributeDefinitions: keys.map((key) => ({ AttributeName: key.AttributeName!, AttributeType: 'S' })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  if (ttlAttribute !== undefined) {
    await stack.directClient.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  }
}

beforeAll(async () => {
  stack = await startLocalStack({
    tableName: TABLE,
    provider: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    secretsManager: {},
    kms: { aliases: [KMS_ALIAS] },
  });
  const { instanceUrl } = stack.provider;
  const secrets: Record<string, unknown> = {
    [SECRET]: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, instanceUrl, key: KEY },
    '/test/cli-doctor/oauth/no-key': { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, instanceUrl },
    '/test/cli-doctor/oauth/short-key': {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      key: 'too-short',
    },
    '/test/cli-doctor/oauth/no-client-secret': { clientId: CLIENT_ID, instanceUrl, key: KEY },
    '/test/cli-doctor/oauth/wrong-credentials': {
      clientId: CLIENT_ID,
      clientSecret: testSecret('cli-doctor:wrongClientSecret'),
      instanceUrl,
      key: KEY,
    },
  };
  for (const [name, value] of Object.entries(secrets))
    stack.secretsManager.putSecret(name, JSON.stringify(value));
  // Plain text where JSON belongs: registered whole by the local Secrets Manager.
  stack.secretsManager.putSecret(
    '/test/cli-doctor/oauth/not-json',
    `clientSecret=${testSecret('cli-doctor:plain')}`,
  );

  await createTable('cli-doctor-wrong-key', [{ AttributeName: 'id', KeyType: 'HASH' }], 'expiresAt');
  await createTable('cli-doctor-ttl-off', [{ AttributeName: 'tokenType', KeyType: 'HASH' }]);
  await createTable('cli-doctor-ttl-other', [{ AttributeName: 'tokenType', KeyType: 'HASH' }], 'ttl');

  // The token a container committed, sealed under the secret's key (SaltCipher), as the layer stores it.
  const store = new TokenStore({ client: stack.directClient, tableName: TABLE });
  const owner = 'doctor-test:0:1';
  await store.claim('salesforce', {
    seenVersion: undefined,
    owner,
    leaseExpiresAt: Date.now() + 10_000,
    now: Date.now(),
  });
  const sealed = await new SaltCipher({ keys: [KEY] }).encrypt(testSecret('cli-doctor:token'), 'salesforce');
  registerSecret(sealed, 'table:salesforce:accessToken');
  await store.commit('salesforce', {
    owner,
    accessToken: sealed,
    expiresAt: nowSeconds() + 3600,
    updatedAt: nowSeconds(),
  });

  // A KMS-sealed item copied from another tokenType: KMS refuses its data key under this one's context.
  const kmsClient = new KMSClient({
    endpoint: stack.kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const copied = await new KmsCipher({ keyId: KMS_ALIAS, client: kmsClient }).encrypt(
    testSecret('cli-doctor:copied-token'),
    'reports',
  );
  kmsClient.destroy();
  registerSecret(copied, 'table:copied:accessToken');
  await stack.directClient.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        tokenType: { S: 'copied' },
        accessToken: { S: copied },
        expiresAt: { N: String(nowSeconds() + 3600) },
        updatedAt: { N: String(nowSeconds()) },
        updating: { BOOL: false },
        version: { N: '3' },
      },
    }),
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: stack.proxy.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.secretsManager.endpoint,
    AWS_ENDPOINT_URL_KMS: stack.kms.endpoint,
    ...extra,
  };
}

/** Runs doctor with --json; the report and the exit code. */
async function doctor(args: string[], extra: Record<string, string> = {}) {
  const run = await runCliProcess(['doctor', ...args, '--json'], env(extra));
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as { ok: boolean; checks: CheckResult[] };
  const check = (id: string) => report.checks.find((result) => result.id === id)!;
  return { status: run.status, report, check };
}

/** The checks that failed, by id. */
const failed = (report: { checks: CheckResult[] }) =>
  report.checks.filter((result) => result.status === 'fail').map((result) => result.id);

describe('lambda-shared-token doctor on a healthy deployment', () => {
  it('passes every check, exit 0, with one provider call and only the calls the operator policy grants', async () => {
    stack.proxy.reset();
    stack.secretsManager.resetStats();
    stack.kms.resetStats();
    stack.provider.resetStats();
    const args = ['--table', TABLE, '--secret', SECRET, '--provider', 'salesforce', '--kms-key', KMS_ALIAS];

    const run = await runCliProcess(['doctor', ...args, '--token-type', 'salesforce'], env());

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    // status, title, summary: the columns are two or more spaces apart.
    const rows = lines.slice(0, -2).map((line) => line.split(/ {2,}/));
    expect(rows.map(([status, title]) => `${status} ${title}`)).toEqual([
      'ok table',
      'ok key schema',
      'ok TTL',
      'ok secret',
      'ok secret value',
      'ok secret content',
      'ok provider fields',
      'ok KMS key',
      'ok stored token',
      'ok token endpoint',
    ]);
    expect(rows.map((row) => row[2])).toEqual([
      'table "cli-doctor-access-tokens" exists (ACTIVE)',
      'partition key tokenType (S), no sort key',
      'TTL enabled on expiresAt (epoch seconds)',
      expect.stringMatching(
        /^secret "\/test\/cli-doctor\/oauth\/salesforce" exists, last changed .* ago, rotation off$/,
      ),
      'the current version (AWSCURRENT) is readable',
      expect.stringMatching(
        /^a JSON object with fields clientId, clientSecret, instanceUrl, key; key id [0-9a-f]{8}$/,
      ),
      'has clientId, clientSecret, instanceUrl (the salesforce provider reads)',
      expect.stringMatching(
        /^alias\/cli-doctor \(arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}\) made a data key and decrypted it under the encryption context \{"tokenType":"salesforce"\}$/,
      ),
      expect.stringMatching(
        /^the stored token of "salesforce" \(version 1, valid\) opens with the secret's current key [0-9a-f]{8}$/,
      ),
      expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/services\/oauth2\/token issued a token for these credentials \(valid 2h 0m\); dropped, never printed nor stored$/,
      ),
    ]);
    expect(lines.at(-1)).toBe('All 10 checks passed.');
    expect(stack.provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 1 });
    // The operator policy (examples/terraform/operator.tf), and nothing else.
    expect(Object.keys(stack.proxy.counts().byOperation).sort()).toEqual([
      'DescribeTable',
      'DescribeTimeToLive',
      'GetItem',
    ]);
    expect(stack.secretsManager.stats().byOperation).toEqual({ DescribeSecret: 1, GetSecretValue: 1 });
    expect(stack.kms.stats().byOperation).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
  });

  it('skips what it is not given, and takes the KMS context from the first tokenType of the table', async () => {
    const { status, report, check } = await doctor(['--kms-key', KMS_ALIAS], {
      DYNAMODB_TABLE_ACCESS_TOKENS: TABLE,
    });

    expect(status).toBe(0);
    expect(report.ok).toBe(true);
    expect(check('table.ttl').status).toBe('ok');
    expect(check('secret.exists')).toMatchObject({ status: 'skip', summary: 'no --secret given' });
    expect(check('kms.dataKey').status).toBe('ok');
    expect(check('kms.dataKey').summary).toMatch(/\{"tokenType":"(salesforce|copied)"\}$/);
    expect(check('token.stored')).toMatchObject({ status: 'skip' });
    expect(check('provider.endpoint')).toMatchObject({ status: 'skip' });
  });

  it('checks oauth2RefreshToken endpoints for reachability only: no refresh token is sent, none rotated', async () => {
    stack.provider.resetStats();

    const { status, check } = await doctor([
      ...['--secret', SECRET, '--provider', 'oauth2RefreshToken', '--token-url', stack.provider.tokenUrl],
    ]);

    // The secret holds no refreshToken: that field fails, the endpoint is still reachable.
    expect(status).toBe(1);
    expect(check('secret.providerFields').summary).toBe('missing field refreshToken');
    expect(check('provider.endpoint')).toMatchObject({ status: 'ok' });
    expect(check('provider.endpoint').summary).toContain(
      'is reachable: it answered HTTP 401 (invalid_client) to a request without credentials',
    );
    expect(stack.provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 0 });
  });
});

describe('lambda-shared-token doctor on a misconfigured table', () => {
  it('fails when the table does not exist', async () => {
    const { status, check, report } = await doctor(['--table', 'cli-doctor-missing']);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['table.exists']);
    expect(check('table.exists')).toMatchObject({
      summary: 'table "cli-doctor-missing" not found in us-east-1',
      cause: expect.stringContaining('ResourceNotFoundException'),
      fix: expect.stringContaining('create the table with examples/terraform/modules/access-token-table'),
    });
    expect(check('table.keySchema')).toMatchObject({ status: 'skip', summary: 'the table was not found' });
  });

  it('fails when the partition key is not tokenType', async () => {
    const { status, check, report } = await doctor(['--table', 'cli-doctor-wrong-key']);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['table.keySchema']);
    expect(check('table.keySchema')).toMatchObject({
      summary: 'partition key id (S), no sort key',
      cause: expect.stringContaining('by the partition key "tokenType", not "id"'),
      fix: expect.stringContaining(
        'a key schema cannot be changed: create a table with partition key tokenType (S)',
      ),
    });
  });

  it('fails when TTL is off', async () => {
    const { status, check, report } = await doctor(['--table', 'cli-doctor-ttl-off']);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['table.ttl']);
    expect(check('table.ttl')).toMatchObject({
      summary: 'TTL is disabled',
      fix: expect.stringContaining(
        'aws dynamodb update-time-to-live --table-name cli-doctor-ttl-off --time-to-live-specification "Enabled=true, AttributeName=expiresAt"',
      ),
    });
  });

  it('fails when TTL is on another attribute', async () => {
    const { status, check } = await doctor(['--table', 'cli-doctor-ttl-other']);

    expect(status).toBe(1);
    expect(check('table.ttl')).toMatchObject({
      status: 'fail',
      summary: 'TTL is on "ttl", not on expiresAt',
      cause: expect.stringContaining('the layer never writes "ttl", so TTL deletes nothing'),
      fix: expect.stringContaining('disable TTL on "ttl", then'),
    });
  });
});

describe('lambda-shared-token doctor on a misconfigured secret', () => {
  it('fails when the secret does not exist', async () => {
    const { status, check, report } = await doctor(['--secret', '/test/cli-doctor/oauth/missing']);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['secret.exists']);
    expect(check('secret.exists')).toMatchObject({
      summary: 'secret "/test/cli-doctor/oauth/missing" not found in us-east-1',
      fix: expect.stringContaining('check the name'),
    });
    expect(check('secret.readable').status).toBe('skip');
  });

  it('fails when the secret is not JSON, naming no value', async () => {
    const { status, check } = await doctor(['--secret', '/test/cli-doctor/oauth/not-json']);

    expect(status).toBe(1);
    expect(check('secret.content')).toMatchObject({
      status: 'fail',
      summary: 'secret "/test/cli-doctor/oauth/not-json" is not valid JSON',
      fix: expect.stringContaining('store the secret as one JSON object of fields'),
    });
  });

  it('fails when the secret has no key field', async () => {
    const { status, check } = await doctor(['--secret', '/test/cli-doctor/oauth/no-key']);

    expect(status).toBe(1);
    expect(check('secret.content')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('no "key" field'),
      fix: 'add "key": a random string of at least 16 characters: openssl rand -base64 32',
    });
  });

  it('fails when the key is too short', async () => {
    const { status, check } = await doctor(['--secret', '/test/cli-doctor/oauth/short-key']);

    expect(status).toBe(1);
    expect(check('secret.content')).toMatchObject({
      status: 'fail',
      summary: 'secret "/test/cli-doctor/oauth/short-key": "key" is shorter than 16 characters',
      fix: expect.stringContaining('replace it with a random string of at least 16 characters'),
    });
  });

  it('fails when a field the provider reads is missing', async () => {
    const { status, check, report } = await doctor([
      ...['--secret', '/test/cli-doctor/oauth/no-client-secret', '--provider', 'salesforce'],
    ]);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['secret.providerFields']);
    expect(check('secret.providerFields')).toMatchObject({
      summary: 'missing field clientSecret',
      cause: expect.stringContaining(
        'the salesforce provider reads clientId, clientSecret, instanceUrl from the secret',
      ),
      fix: expect.stringContaining('add "clientSecret" to the secret'),
    });
    expect(check('provider.endpoint')).toMatchObject({ status: 'skip' });
  });
});

describe('lambda-shared-token doctor on a misconfigured KMS key', () => {
  it('fails when the KMS key does not exist', async () => {
    const { status, check, report } = await doctor([
      '--kms-key',
      'alias/no-such-key',
      '--token-type',
      'salesforce',
    ]);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['kms.dataKey']);
    expect(check('kms.dataKey')).toMatchObject({
      summary: 'KMS key "alias/no-such-key" not found in us-east-1',
      cause: expect.stringContaining('NotFoundException'),
      fix: expect.stringContaining("check --kms-key against the functions' keyId"),
    });
  });

  it("fails when the stored token does not open under its tokenType's encryption context (copied from another)", async () => {
    const { status, check, report } = await doctor([
      '--table',
      TABLE,
      '--kms-key',
      KMS_ALIAS,
      '--token-type',
      'copied',
    ]);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['token.stored']);
    expect(check('token.stored')).toMatchObject({
      summary: expect.stringContaining(
        'the stored token of "copied" (version 3, valid) does not open: KMS key "alias/cli-doctor" with the encryption context {"tokenType":"copied"} refuses its data key',
      ),
      cause: expect.stringContaining('counts DecryptFailed and refreshes it'),
    });
  });
});

describe('lambda-shared-token doctor on the token endpoint', () => {
  it('fails when the endpoint refuses the credentials', async () => {
    stack.provider.resetStats();

    const { status, check, report } = await doctor([
      ...['--secret', '/test/cli-doctor/oauth/wrong-credentials', '--provider', 'salesforce'],
    ]);

    expect(status).toBe(1);
    expect(failed(report)).toEqual(['provider.endpoint']);
    expect(check('provider.endpoint')).toMatchObject({
      summary: expect.stringMatching(/refused the credentials: .*answered HTTP 40[01] \(invalid_client/),
      fix: expect.stringContaining('put the right clientId and clientSecret in the secret'),
    });
    expect(stack.provider.stats()).toMatchObject({ tokenCalls: 1, tokensIssued: 0 });
  });

  it('fails when the endpoint is unreachable', async () => {
    const closed = `http://127.0.0.1:${await freeLoopbackPort()}/oauth2/token`;

    const { status, check } = await doctor([
      ...['--secret', SECRET, '--provider', 'oauth2ClientCredentials', '--token-url', closed],
    ]);

    expect(status).toBe(1);
    expect(check('provider.endpoint')).toMatchObject({
      status: 'fail',
      summary: `${closed} is unreachable (ECONNREFUSED)`,
      fix: expect.stringContaining('check the URL and its port'),
    });
  });
});

describe('lambda-shared-token doctor usage', () => {
  it('exits 2 with nothing to check', async () => {
    const run = await runCliProcess(['doctor'], env());

    expect(run.status).toBe(2);
    expect(run.stderr).toContain('doctor: nothing to check');
  });

  it('exits 2 for an unknown provider, and for an option of another provider', async () => {
    const unknown = await runCliProcess(['doctor', '--provider', 'webex'], env());
    const misplaced = await runCliProcess(
      ['doctor', '--provider', 'salesforce', '--token-url', 'https://x.example/t'],
      env(),
    );

    expect([unknown.status, misplaced.status]).toEqual([2, 2]);
    expect(unknown.stderr).toContain(
      '--provider must be one of salesforce, oauth2ClientCredentials, oauth2RefreshToken, function',
    );
    expect(misplaced.stderr).toContain('--token-url does not go with --provider salesforce');
  });
});

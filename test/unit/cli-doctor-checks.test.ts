/**
 * doctor's checks against fake AWS clients and a fake provider, for the answers the local stack
 * cannot give (AccessDenied, a disabled key, a table still CREATING, a 503): each failure names the
 * action and the fix, and never the SDK's message (it can quote a request).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from '@jest/globals';
import { checkEndpoint } from '../../cli/doctor/endpoint-check.js';
import { checkKms } from '../../cli/doctor/kms-check.js';
import type { ProviderSetup } from '../../cli/doctor/provider-kinds.js';
import { checkSecret } from '../../cli/doctor/secret-check.js';
import { checkTable } from '../../cli/doctor/table-check.js';
import { TokenRefreshError } from '../../layer/errors/error-classes.js';
import type { TokenProvider } from '../../layer/providers/token-provider.js';
import { testSecret } from '../support/test-secrets.js';

const SDK_MESSAGE =
  'User: arn:aws:sts::123456789012:assumed-role/x is not authorized: request body quoted here';

/** A client whose `send` answers by command class name; a thrown answer is an AWS error of that name. */
function fakeClient<Client>(answers: Record<string, unknown>): Client {
  return {
    config: { region: async () => 'eu-west-1' },
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const answer = answers[command.constructor.name];
      if (typeof answer === 'function') return answer(command.input);
      if (answer instanceof Error) throw answer;
      if (answer === undefined) throw new Error(`unexpected ${command.constructor.name}`);
      return answer;
    },
  } as unknown as Client;
}

const awsError = (name: string): Error => Object.assign(new Error(SDK_MESSAGE), { name });

const TABLE_OK = {
  TableStatus: 'ACTIVE',
  KeySchema: [{ AttributeName: 'tokenType', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'tokenType', AttributeType: 'S' }],
};
const TTL_OK = { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' } };

describe('checkTable', () => {
  it('fails a sort key and a numeric tokenType, naming both', async () => {
    const client = fakeClient<DynamoDBClient>({
      DescribeTableCommand: {
        Table: {
          TableStatus: 'ACTIVE',
          KeySchema: [
            { AttributeName: 'tokenType', KeyType: 'HASH' },
            { AttributeName: 'tenant', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'tokenType', AttributeType: 'N' },
            { AttributeName: 'tenant', AttributeType: 'S' },
          ],
        },
      },
      DescribeTimeToLiveCommand: TTL_OK,
    });

    const { results } = await checkTable(client, 't');

    expect(results[1]).toMatchObject({
      id: 'table.keySchema',
      status: 'fail',
      summary: 'partition key tokenType (N), sort key tenant (S)',
      cause: expect.stringMatching(
        /"tokenType" must be a string \(S\), not N; the sort key "tenant" makes every GetItem/,
      ),
    });
  });

  it('names the IAM action AWS refused, not the SDK message, and skips what depends on it', async () => {
    const client = fakeClient<DynamoDBClient>({ DescribeTableCommand: awsError('AccessDeniedException') });

    const { results } = await checkTable(client, 'tokens');

    expect(results[0]).toMatchObject({
      status: 'fail',
      summary: 'dynamodb:DescribeTable on table "tokens" (eu-west-1) failed: AccessDeniedException',
      fix: expect.stringContaining(
        'grant dynamodb:DescribeTable on it (the operator policy, docs/operations.md)',
      ),
    });
    expect(results.slice(1).map((result) => result.status)).toEqual(['skip', 'skip']);
    expect(JSON.stringify(results)).not.toContain('not authorized');
  });

  it('fails a table still CREATING, and passes a TTL being enabled on expiresAt', async () => {
    const client = fakeClient<DynamoDBClient>({
      DescribeTableCommand: { Table: { ...TABLE_OK, TableStatus: 'CREATING' } },
      DescribeTimeToLiveCommand: {
        TimeToLiveDescription: { TimeToLiveStatus: 'ENABLING', AttributeName: 'expiresAt' },
      },
    });

    const { results } = await checkTable(client, 't');

    expect(results.map((result) => [result.id, result.status, result.summary])).toEqual([
      ['table.exists', 'fail', 'table "t" is still CREATING'],
      ['table.keySchema', 'ok', 'partition key tokenType (S), no sort key'],
      ['table.ttl', 'ok', 'TTL being enabled on expiresAt (epoch seconds)'],
    ]);
  });
});

describe('checkSecret', () => {
  const SECRET = '/prod/orders/oauth/salesforce';

  it('names GetSecretValue and the KMS key of the secret when the caller may not read it', async () => {
    const client = fakeClient<SecretsManagerClient>({
      DescribeSecretCommand: { Name: SECRET, LastChangedDate: new Date(Date.UTC(2030, 0, 1)) },
      GetSecretValueCommand: awsError('AccessDeniedException'),
    });

    const { results, secret } = await checkSecret(client, SECRET, undefined, Date.UTC(2030, 0, 2));

    expect(secret).toBeUndefined();
    expect(results.map((result) => [result.id, result.status])).toEqual([
      ['secret.exists', 'ok'],
      ['secret.readable', 'fail'],
      ['secret.content', 'skip'],
      ['secret.providerFields', 'skip'],
    ]);
    expect(results[0]!.summary).toBe(`secret "${SECRET}" exists, last changed 1d 0h ago, rotation off`);
    expect(results[1]!.fix).toContain(
      "grant secretsmanager:GetSecretValue on the secret's ARN (and kms:Decrypt on its KMS key",
    );
  });

  it('fails a secret scheduled for deletion with the command that restores it', async () => {
    const client = fakeClient<SecretsManagerClient>({
      DescribeSecretCommand: { Name: SECRET, DeletedDate: new Date(Date.UTC(2030, 0, 1)) },
    });

    const { results } = await checkSecret(client, SECRET, undefined, Date.UTC(2030, 0, 1, 0, 5));

    expect(results[0]).toMatchObject({
      status: 'fail',
      summary: `secret "${SECRET}" is scheduled for deletion (5m 0s ago)`,
      fix: `aws secretsmanager restore-secret --secret-id ${SECRET}`,
    });
    expect(results[1]).toMatchObject({ status: 'skip', summary: 'the secret is scheduled for deletion' });
  });

  it('fails SecretBinary, and reads the rotation and a pending version from the metadata', async () => {
    const client = fakeClient<SecretsManagerClient>({
      DescribeSecretCommand: {
        Name: SECRET,
        RotationEnabled: true,
        RotationRules: { AutomaticallyAfterDays: 30 },
        VersionIdsToStages: { a: ['AWSCURRENT'], b: ['AWSPENDING'] },
      },
      GetSecretValueCommand: { SecretBinary: new Uint8Array([1, 2, 3]) },
    });

    const { results } = await checkSecret(client, SECRET, undefined, 0);

    expect(results[0]!.summary).toBe(
      `secret "${SECRET}" exists, rotation on (every 30 days); a version is staged AWSPENDING (a rotation under way, or one that failed)`,
    );
    expect(results[1]).toMatchObject({
      status: 'fail',
      summary: 'the current version holds SecretBinary, no SecretString',
    });
  });

  it('lists every missing field and a field of the wrong type, and the key ids of a rotation under way', async () => {
    const keys = [testSecret('cli-doctor-checks:new'), testSecret('cli-doctor-checks:old')];
    const client = fakeClient<SecretsManagerClient>({
      DescribeSecretCommand: { Name: SECRET },
      GetSecretValueCommand: { SecretString: JSON.stringify({ clientId: 42, keys }) },
    });
    const setup: ProviderSetup = {
      kind: 'oauth2RefreshToken',
      fields: ['clientId', 'clientSecret', 'refreshToken'].map((field) => ({ role: field, field })),
      factory: undefined,
      tokenUrl: () => undefined,
      endpointNeeds: undefined,
    };

    const { results } = await checkSecret(client, SECRET, setup, 0);

    expect(results[2]!.summary).toMatch(
      /^a JSON object with fields clientId, keys; 2 keys, current [0-9a-f]{8}, older [0-9a-f]{8}: a key rotation is under way/,
    );
    expect(results[3]).toMatchObject({
      status: 'fail',
      summary: 'missing fields clientSecret, refreshToken; field clientId is not a non-empty string',
      fix: expect.stringContaining('add "clientSecret", "refreshToken", "clientId" to the secret'),
    });
  });
});

describe('checkKms', () => {
  it('generates and decrypts under the context of the tokenType, compares, and zero-fills both data keys', async () => {
    const generated = new Uint8Array(32).fill(7);
    const decrypted = new Uint8Array(32).fill(7);
    const inputs: unknown[] = [];
    const client = fakeClient<KMSClient>({
      GenerateDataKeyCommand: (input: unknown) => {
        inputs.push(input);
        return {
          Plaintext: generated,
          CiphertextBlob: new Uint8Array([1, 2, 3]),
          KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
        };
      },
      DecryptCommand: (input: unknown) => {
        inputs.push(input);
        return { Plaintext: decrypted };
      },
    });

    const result = await checkKms(client, 'alias/tokens', 'salesforce#tenant-42');

    expect(result).toMatchObject({ status: 'ok' });
    expect(result.summary).toContain(
      'under the encryption context {"tokenType":"salesforce#tenant-42","tenant":"tenant-42"}',
    );
    expect(inputs).toEqual([
      {
        KeyId: 'alias/tokens',
        KeySpec: 'AES_256',
        EncryptionContext: { tokenType: 'salesforce#tenant-42', tenant: 'tenant-42' },
      },
      {
        KeyId: 'alias/tokens',
        CiphertextBlob: new Uint8Array([1, 2, 3]),
        EncryptionContext: { tokenType: 'salesforce#tenant-42', tenant: 'tenant-42' },
      },
    ]);
    expect([...generated, ...decrypted].every((byte) => byte === 0)).toBe(true);
  });

  it.each([
    [
      'GenerateDataKeyCommand',
      'AccessDeniedException',
      'kms:GenerateDataKey on KMS key "alias/tokens" (eu-west-1) failed: AccessDeniedException with encryption context {"tokenType":"salesforce"}',
    ],
    ['GenerateDataKeyCommand', 'DisabledException', 'KMS key "alias/tokens" is disabled'],
    [
      'DecryptCommand',
      'InvalidCiphertextException',
      'KMS refused to decrypt the data key it had just made, under the same context (InvalidCiphertextException)',
    ],
  ])('fails %s answering %s', async (command, error, summary) => {
    const client = fakeClient<KMSClient>({
      GenerateDataKeyCommand: { Plaintext: new Uint8Array(32), CiphertextBlob: new Uint8Array([1]) },
      DecryptCommand: { Plaintext: new Uint8Array(32) },
      [command]: awsError(error),
    });

    const result = await checkKms(client, 'alias/tokens', 'salesforce');

    expect(result).toMatchObject({ status: 'fail', summary });
    expect(JSON.stringify(result)).not.toContain('not authorized');
  });

  it('fails when KMS gives back another data key', async () => {
    const client = fakeClient<KMSClient>({
      GenerateDataKeyCommand: { Plaintext: new Uint8Array(32).fill(1), CiphertextBlob: new Uint8Array([1]) },
      DecryptCommand: { Plaintext: new Uint8Array(32).fill(2) },
    });

    expect(await checkKms(client, 'alias/tokens', 'salesforce')).toMatchObject({
      status: 'fail',
      summary: 'Decrypt gave back another data key than GenerateDataKey made',
    });
  });
});

describe('checkEndpoint', () => {
  const setup: ProviderSetup = {
    kind: 'oauth2ClientCredentials',
    fields: [],
    factory: undefined,
    tokenUrl: () => 'https://login.example.com/oauth2/token',
    endpointNeeds: undefined,
  };
  const secret = 'unused' as never;
  const failing = (error: unknown): TokenProvider => ({
    fetchToken: async () => {
      throw error;
    },
  });
  const check = (error: unknown) =>
    checkEndpoint({ setup, secret, provider: failing(error), tokenType: 'orders', nowMs: 0 });

  const cases: Array<[string, unknown, string, string]> = [
    [
      'HTTP 401',
      new TokenRefreshError('The token endpoint of "orders" answered HTTP 401', 'orders', { status: 401 }),
      'refused the credentials',
      'put the right clientId and clientSecret',
    ],
    [
      'unauthorized_client',
      new TokenRefreshError('x', 'orders', { status: 400, oauthError: 'unauthorized_client' }),
      'refused the grant',
      'enable the client credentials grant',
    ],
    [
      'invalid_scope',
      new TokenRefreshError('x', 'orders', { status: 400, oauthError: 'invalid_scope' }),
      'refused the scope',
      "set the provider's scope",
    ],
    [
      'HTTP 404',
      new TokenRefreshError('x', 'orders', { status: 404 }),
      'answered HTTP 404: no token endpoint at this URL',
      'check the URL',
    ],
    ['HTTP 503', new TokenRefreshError('x', 'orders', { status: 503 }), 'answered HTTP 503', 'retry later'],
    [
      'a timeout',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'did not answer within 5.0s',
      'check that this network reaches',
    ],
    [
      'an unknown host',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }),
      }),
      'is unreachable (ENOTFOUND)',
      'the host name does not resolve',
    ],
  ];

  it.each(cases)('fails %s with its cause and fix', async (_label, error, summary, fix) => {
    const result = await check(error);

    expect(result).toMatchObject({
      id: 'provider.endpoint',
      status: 'fail',
      summary: expect.stringContaining(summary),
      fix: expect.stringContaining(fix),
    });
  });

  it('passes a token answer and keeps nothing of the token', async () => {
    const token = testSecret('cli-doctor-checks:access-token');
    const provider: TokenProvider = {
      fetchToken: async () => ({ accessToken: token, expiresAt: 3_600_000 }),
    };

    const result = await checkEndpoint({ setup, secret, provider, tokenType: 'orders', nowMs: 0 });

    expect(result.status).toBe('ok');
    expect(result.summary).toBe(
      'https://login.example.com/oauth2/token issued a token for these credentials (valid 1h 0m); dropped, never printed nor stored',
    );
    expect(JSON.stringify(result)).not.toContain(token);
  });
});

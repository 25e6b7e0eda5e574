/**
 * Where the tokens live, the Powertools way: `tableName` (the environment variable stays the
 * default) and the user's own DynamoDB client (`dynamoDBClient`), for SharedToken, TenantTokens
 * and the middleware; `store` excludes both. In one process: a client that records what it is
 * asked and answers that the table does not exist.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  functionProvider,
  SharedToken,
  TableNotFoundError,
  TenantTokens,
} from 'lambda-shared-token';
import { sharedToken } from 'lambda-shared-token/middleware';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { rejectionOf, thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const ENV = 'DYNAMODB_TABLE_ACCESS_TOKENS';
const SECRET_NAME = '/test/orders/oauth/reports';
const SECRET = JSON.stringify({ apiKey: 'key-id', salt: testSecret('storeOptionsSalt', 'salt-') });
const provider = functionProvider(async () => ({ accessToken: 'unused', expiresAt: Date.now() + 3_600_000 }));
const secrets = { load: async () => SECRET, peek: () => SECRET };

/** A DynamoDBClient stand-in: records each command's table, answers ResourceNotFoundException. */
function recordingClient() {
  const tables: string[] = [];
  const client = {
    async send(command: { input: { TableName?: string } }): Promise<never> {
      tables.push(String(command.input.TableName));
      throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    },
  };
  return { tables, client: client as never };
}

let saved: string | undefined;
beforeEach(() => {
  saved = process.env[ENV];
  delete process.env[ENV];
});
afterEach(() => {
  if (saved === undefined) delete process.env[ENV];
  else process.env[ENV] = saved;
});

describe('SharedToken store options', () => {
  const base = { tokenType: 'reports', secretName: SECRET_NAME, provider, secrets };

  it('reads the table named by tableName through the given dynamoDBClient, without the variable', async () => {
    const { tables, client } = recordingClient();
    const token = new SharedToken({
      ...base,
      tableName: 'orders-prod-access-tokens',
      dynamoDBClient: client,
    });

    const error = await rejectionOf(token.getToken({ deadline: Date.now() + 10_000 }));

    expect(error).toBeInstanceOf(TableNotFoundError);
    expect(tables.length).toBeGreaterThan(0);
    expect(new Set(tables)).toEqual(new Set(['orders-prod-access-tokens']));
  });

  it('keeps the environment variable as the default table', async () => {
    process.env[ENV] = 'from-the-environment';
    const { tables, client } = recordingClient();
    const token = new SharedToken({ ...base, dynamoDBClient: client });

    await rejectionOf(token.getToken({ deadline: Date.now() + 10_000 }));

    expect(new Set(tables)).toEqual(new Set(['from-the-environment']));
  });

  it('still names the variable when neither it nor tableName is given', () => {
    const error = thrownBy(() => new SharedToken(base));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`${ENV} is not set`);
  });

  it.each([
    [
      'a table name DynamoDB refuses',
      { tableName: 'a b' },
      'option "tableName" must be a DynamoDB table name',
    ],
    ['a client without send()', { dynamoDBClient: {} }, 'option "dynamoDBClient" must be a DynamoDBClient'],
    [
      'store together with tableName',
      { store: new MemoryTokenStore(), tableName: 'orders-prod-access-tokens' },
      'takes "store", or "tableName" and "dynamoDBClient" to build one, not both',
    ],
  ])('refuses %s with a ConfigurationError', (_case, extra, message) => {
    const error = thrownBy(() => new SharedToken({ ...base, ...(extra as object) }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(message);
  });
});

describe('TenantTokens and the middleware take the same options', () => {
  it('TenantTokens reads every tenant from tableName through one dynamoDBClient', async () => {
    const { tables, client } = recordingClient();
    const tenants = new TenantTokens({
      providerName: 'reports',
      secretName: (tenant) => `/test/orders/oauth/${tenant}`,
      provider,
      // Each tenant's secret names its tenant, as TenantTokens requires.
      secrets: (name) => {
        const tenantSecret = JSON.stringify({ ...JSON.parse(SECRET), tenant: name.split('/').pop() });
        return { load: async () => tenantSecret, peek: () => tenantSecret };
      },
      tableName: 'tenants-prod-access-tokens',
      dynamoDBClient: client,
    });

    await rejectionOf(tenants.forTenant('tenant-1').getToken({ deadline: Date.now() + 10_000 }));
    await rejectionOf(tenants.forTenant('tenant-2').getToken({ deadline: Date.now() + 10_000 }));

    expect(new Set(tables)).toEqual(new Set(['tenants-prod-access-tokens']));
  });

  it('the middleware accepts tableName and dynamoDBClient and refuses them next to store', () => {
    const options = { tokenType: 'reports', secretName: SECRET_NAME, provider, disablePrefetch: true };
    expect(() =>
      sharedToken({
        ...options,
        tableName: 'orders-prod-access-tokens',
        dynamoDBClient: recordingClient().client,
      }),
    ).not.toThrow();
    const error = thrownBy(() =>
      sharedToken({ ...options, store: new MemoryTokenStore(), dynamoDBClient: recordingClient().client }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
  });
});

/**
 * Tenant ids chosen by the caller, against the real local Secrets Manager (its GetSecretValue
 * count per secret name), the table through the counting proxy and the local OAuth provider: a
 * flood of made-up ids costs one read each, none on repeat, and pushes no known tenant out; of
 * Secrets Manager's answers, only "not found" is remembered. In one process, with the clock:
 * test/unit/unknown-tenants.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { oauth2ClientCredentials, SecretError, TenantTokens } from 'lambda-shared-token';
import { SecretsManagerSource, TokenStore } from 'lambda-shared-token/advanced';
import {
  FAKE_CREDENTIALS,
  REGION,
  RecordingLogger,
  RecordingMetrics,
  secretJson,
  useLocalWorld,
} from '../support/entry-points.js';

const world = useLocalWorld('unknown-tenants-access-tokens');
const secretName = (tenant: string) => `/test/unknown-tenants/oauth/salesforce-${tenant}`;
const clients: SecretsManagerClient[] = [];

beforeAll(() => {
  world.secrets.putSecret(secretName('a'), secretJson({ tenant: 'a' }));
  world.secrets.putSecret(secretName('b'), secretJson({ tenant: 'b' }));
  // Tenant c's secret is tenant a's: a misconfiguration, refused like a missing secret.
  world.secrets.putSecret(secretName('c'), secretJson({ tenant: 'a' }));
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

/** One Lambda container serving every tenant: one Secrets Manager client, no SDK retries. */
function container() {
  // One attempt per read, so one injected ThrottlingException is one failed read.
  const client = new SecretsManagerClient({
    endpoint: world.secrets.endpoint,
    region: REGION,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
  });
  clients.push(client);
  return new TenantTokens({
    providerName: 'salesforce',
    secretName,
    secrets: (name) => new SecretsManagerSource({ secretName: name, client }),
    provider: oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl }),
    store: new TokenStore({ client: world.dynamoClient, tableName: world.tableName }),
    logger: new RecordingLogger(),
    metrics: new RecordingMetrics(),
  });
}

const reads = (tenant: string): number => world.secrets.stats().getSecretValueByName[secretName(tenant)] ?? 0;

/** What a request for `tenant` ends with: its token's value, or the error's name. */
async function outcomeOf(tenants: TenantTokens, tenant: string): Promise<string> {
  try {
    return (await tenants.forTenant(tenant).getToken()).value;
  } catch (error) {
    return (error as Error).name;
  }
}

describe('Tenant ids chosen by the caller, against Secrets Manager', () => {
  it('a flood of 300 made-up ids costs one GetSecretValue each, none on repeat, and the known tenants keep their tokens with no read', async () => {
    const tenants = container();
    const tokenA = await tenants.forTenant('a').getToken();
    const tokenB = await tenants.forTenant('b').getToken();
    world.secrets.resetStats();
    const providerCalls = world.provider.stats().tokenCalls;
    const flood = Array.from({ length: 300 }, () => `ghost-${randomUUID()}`);

    const outcomes: string[] = [];
    for (let i = 0; i < flood.length; i += 50) {
      outcomes.push(...(await Promise.all(flood.slice(i, i + 50).map((ghost) => outcomeOf(tenants, ghost)))));
    }
    const afterFlood = world.secrets.stats();
    const repeats = flood.map((ghost) => {
      try {
        tenants.forTenant(ghost);
        return 'served';
      } catch (error) {
        return error instanceof SecretError ? 'refused' : 'other';
      }
    });
    world.proxy.reset();
    const againA = await tenants.forTenant('a').getToken();
    const againB = await tenants.forTenant('b').getToken();

    expect(new Set(outcomes)).toEqual(new Set(['SecretError']));
    expect(afterFlood.byOperation.GetSecretValue).toBe(300);
    expect(flood.every((ghost) => afterFlood.getSecretValueByName[secretName(ghost)] === 1)).toBe(true);
    expect(new Set(repeats)).toEqual(new Set(['refused']));
    expect(world.secrets.stats().byOperation.GetSecretValue).toBe(300);
    expect(tenants.tenants()).toEqual(['a', 'b']);
    expect([againA.value, againB.value]).toEqual([tokenA.value, tokenB.value]);
    expect([reads('a'), reads('b')]).toEqual([0, 0]);
    expect(world.proxy.counts().byOperation).toEqual({});
    expect(world.provider.stats().tokenCalls).toBe(providerCalls);
  });

  it('of Secrets Manager answers, only "not found" and a secret of another tenant are remembered; a throttled read is asked again', async () => {
    const tenants = container();
    world.secrets.resetStats();
    const ghost = `ghost-${randomUUID()}`;

    expect(await outcomeOf(tenants, ghost)).toBe('SecretError');
    expect(() => tenants.forTenant(ghost)).toThrow('does not exist');
    expect(await outcomeOf(tenants, 'c')).toBe('SecretError');
    expect(() => tenants.forTenant('c')).toThrow('is tenant "a"\'s');
    world.secrets.failNext(1, { type: 'ThrottlingException' });
    await expect(tenants.forTenant('b').getToken()).rejects.toThrow('ThrottlingException');
    const tokenB = await tenants.forTenant('b').getToken();

    expect(tokenB.tokenType).toBe('salesforce#b');
    expect([reads(ghost), reads('c'), reads('b')]).toEqual([1, 1, 2]);
    expect(tenants.tenants()).toEqual(['b']);
  });
});

/**
 * Tenants against real servers (the table through the counting proxy, the local Secrets
 * Manager, one local OAuth provider per tenant): tenant A's service, given tenant B's item,
 * cannot decrypt it and refreshes nothing for B; configured for B's tokenType with A's secret,
 * it stops before touching the table.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MetricName, oauth2ClientCredentials, SharedToken, TenantTokens } from 'lambda-shared-token';
import { SecretsManagerSource, TokenStore } from 'lambda-shared-token/advanced';
import { type LocalOAuthProvider, startOAuthProvider } from '../../scripts/local-stack/index.js';
import {
  FAKE_CREDENTIALS,
  REGION,
  RecordingLogger,
  RecordingMetrics,
  useLocalWorld,
} from '../support/entry-points.js';
import { testSecret } from '../support/test-secrets.js';

const world = useLocalWorld('tenants-access-tokens');

const TENANTS = {
  a: {
    clientId: 'tenant-a-client',
    clientSecret: testSecret('tenantA:clientSecret', 'tenant-a-secret-'),
    salt: testSecret('tenantA:salt', 'tenant-a-salt-'),
  },
  b: {
    clientId: 'tenant-b-client',
    clientSecret: testSecret('tenantB:clientSecret', 'tenant-b-secret-'),
    salt: testSecret('tenantB:salt', 'tenant-b-salt-'),
  },
} as const;
type Tenant = keyof typeof TENANTS;
const secretName = (tenant: string) => `/test/tenants/oauth/salesforce-${tenant}`;

const providers = {} as Record<Tenant, LocalOAuthProvider>;

beforeAll(async () => {
  for (const tenant of ['a', 'b'] as const) {
    const { clientId, clientSecret, salt } = TENANTS[tenant];
    providers[tenant] = await startOAuthProvider({ clientId, clientSecret });
    world.secrets.putSecret(secretName(tenant), JSON.stringify({ tenant, clientId, clientSecret, salt }));
  }
});

afterAll(async () => {
  await Promise.all(Object.values(providers).map((provider) => provider?.stop()));
});

/** One container of one tenant's service: it can read its own tenant's secret only. */
function service(tenant: Tenant) {
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const tenants = new TenantTokens({
    providerName: 'salesforce',
    secretName,
    secrets: (name) =>
      new SecretsManagerSource({
        secretName: name,
        clientConfig: { endpoint: world.secrets.endpoint, region: REGION, credentials: FAKE_CREDENTIALS },
      }),
    provider: oauth2ClientCredentials({ tokenUrl: providers[tenant].tokenUrl }),
    store: new TokenStore({ client: world.dynamoClient, tableName: world.tableName }),
    logger,
    metrics,
  });
  return { token: tenants.forTenant(tenant), logger, metrics };
}

const store = () => new TokenStore({ client: world.dynamoClient, tableName: world.tableName });

describe('Tenants sharing one table', () => {
  it("tenant A's service, given tenant B's item, cannot decrypt it and refreshes nothing for B", async () => {
    const serviceB = service('b');
    const tokenB = await serviceB.token.getToken();
    const itemB = await store().read('salesforce#b', { consistent: true });
    expect(itemB?.accessToken).toBeDefined();

    // Tenant B's ciphertext lands in tenant A's item (a bad restore, a copy by hand, an attacker).
    const claimed = await store().claim('salesforce#a', {
      seenVersion: undefined,
      owner: 'copier',
      leaseExpiresAt: Date.now() + 5_000,
      now: Date.now(),
    });
    expect(claimed.claimed).toBe(true);
    await store().commit('salesforce#a', {
      owner: 'copier',
      accessToken: itemB!.accessToken!,
      expiresAt: itemB!.expiresAt!,
      updatedAt: Math.floor(Date.now() / 1000),
    });
    const callsOfB = providers.b.stats().tokenCalls;

    const serviceA = service('a');
    const tokenA = await serviceA.token.getToken();

    // A never saw B's token: its own decrypt failed, and it got its own from its own provider.
    expect(tokenA.value).not.toBe(tokenB.value);
    expect(providers.a.issuedTokens()).toContain(tokenA.value);
    expect(serviceA.metrics.count(MetricName.DecryptFailed)).toBe(1);
    expect(serviceA.metrics.count(MetricName.TokenRefreshed)).toBe(1);
    // B's item and B's provider are untouched.
    expect(await store().read('salesforce#b', { consistent: true })).toEqual(itemB);
    expect(providers.b.stats().tokenCalls).toBe(callsOfB);
    expect(serviceA.logger.text()).not.toContain(tokenB.value);
    expect(serviceA.logger.text()).not.toContain(TENANTS.b.salt);
  });

  it("configured for tenant B's tokenType with tenant A's secret, it stops before the table and the provider", async () => {
    const before = await store().read('salesforce#b', { consistent: true });
    world.proxy.reset();
    const callsOfA = providers.a.stats().tokenCalls;
    const callsOfB = providers.b.stats().tokenCalls;
    const misconfigured = new SharedToken({
      tokenType: 'salesforce#b',
      secretName: secretName('a'),
      secrets: new SecretsManagerSource({
        secretName: secretName('a'),
        clientConfig: { endpoint: world.secrets.endpoint, region: REGION, credentials: FAKE_CREDENTIALS },
      }),
      provider: oauth2ClientCredentials({ tokenUrl: providers.a.tokenUrl }),
      store: new TokenStore({ client: world.dynamoClient, tableName: world.tableName }),
      logger: new RecordingLogger(),
      metrics: new RecordingMetrics(),
    });

    await expect(misconfigured.getToken()).rejects.toThrow(
      `secret "${secretName('a')}" is tenant "a"'s, but tokenType "salesforce#b" is tenant "b"`,
    );
    expect(world.proxy.counts().byOperation).toEqual({});
    expect([providers.a.stats().tokenCalls, providers.b.stats().tokenCalls]).toEqual([callsOfA, callsOfB]);
    expect(await store().read('salesforce#b', { consistent: true })).toEqual(before);
  });
});

/**
 * `secretCacheExpiry` of SharedToken and TenantTokens reaches the SecretsManagerSource each builds
 * for itself (the default path, with the SDK's own client configured by the environment, as in
 * Lambda), against the local Secrets Manager: with `0` every load of the secret fetches it (at
 * least once per refresh), with the default (5 minutes) one fetch serves both refreshes.
 */
import { describe, expect, it } from '@jest/globals';
import { type AccessToken, oauth2ClientCredentials, SharedToken, TenantTokens } from 'lambda-shared-token';
import { TokenStore } from 'lambda-shared-token/advanced';
import { isolateEnvironment } from '../support/capture-output.js';
import {
  callApi,
  FAKE_CREDENTIALS,
  REGION,
  resetCounts,
  secretJson,
  uniqueNames,
  useLocalWorld,
} from '../support/entry-points.js';

const world = useLocalWorld('secret-cache-expiry-tokens');
isolateEnvironment([
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
]);

/** The environment a Lambda function has, pointed at the local Secrets Manager. */
function lambdaEnvironment(): void {
  resetCounts(world);
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = world.secrets.endpoint;
  process.env.AWS_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.secretAccessKey;
}

const fetchesOf = (secretName: string): number => world.secrets.stats().getSecretValueByName[secretName] ?? 0;
const dataApi = (token: AccessToken) => callApi(world.provider.apiUrl, token);
const store = () => new TokenStore({ client: world.dynamoClient, tableName: world.tableName });

/** Two refreshes: the cold start, then a revocation the data API reports. */
async function twoRefreshes(run: (call: (token: AccessToken) => Promise<unknown>) => Promise<unknown>) {
  await run(dataApi);
  world.provider.revokeAll();
  await run(dataApi);
}

/** At least one fetch per refresh with no cache; exactly one with the default cache. */
const expectFetches = (fetched: number, secretCacheExpiry: number | undefined) =>
  secretCacheExpiry === 0 ? expect(fetched).toBeGreaterThanOrEqual(2) : expect(fetched).toBe(1);

describe.each<[string, number | undefined]>([
  ['0', 0],
  ['left at its default', undefined],
])('secretCacheExpiry %s', (_label, secretCacheExpiry) => {
  it('SharedToken passes it to its own SecretsManagerSource', async () => {
    lambdaEnvironment();
    const { tokenType, secretName } = uniqueNames('cache-expiry-shared');
    world.secrets.putSecret(secretName, secretJson());
    const sharedToken = new SharedToken({
      tokenType,
      secretName,
      provider: oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl }),
      store: store(),
      ...(secretCacheExpiry !== undefined && { secretCacheExpiry }),
    });

    await twoRefreshes((call) => sharedToken.run(call));

    expectFetches(fetchesOf(secretName), secretCacheExpiry);
  });

  it("TenantTokens passes it to each tenant's SecretsManagerSource", async () => {
    lambdaEnvironment();
    const { secretName } = uniqueNames('cache-expiry-tenants');
    const prefix = secretName.slice(0, secretName.lastIndexOf('/') + 1);
    world.secrets.putSecret(`${prefix}tenant-a`, secretJson({ tenant: 'tenant-a' }));
    const tenants = new TenantTokens({
      providerName: `tenants${Math.random().toString(36).slice(2, 8)}`,
      secretName: (tenant) => `${prefix}${tenant}`,
      provider: oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl }),
      store: store(),
      ...(secretCacheExpiry !== undefined && { secretCacheExpiry }),
    });

    await twoRefreshes((call) => tenants.forTenant('tenant-a').run(call));

    expectFetches(fetchesOf(`${prefix}tenant-a`), secretCacheExpiry);
  });
});

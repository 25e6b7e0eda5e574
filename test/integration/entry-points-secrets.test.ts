/**
 * The provider secret through both entry points, against the local Secrets Manager, dynalite and
 * the local OAuth provider: a salt rotation under way, a rotated client secret (invalid_client),
 * and bad secrets that fail at once, naming the secret and the field, echoing no value (I4, I6).
 */
import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { AccessToken } from 'lambda-shared-token';
import { MetricName, oauth2ClientCredentials, salesforce } from 'lambda-shared-token';
import type { ProviderFactory } from 'lambda-shared-token/advanced';
import { SaltCipher, TokenStore } from 'lambda-shared-token/advanced';
import { startOAuthProvider } from '../../scripts/local-stack/index.js';
import {
  type ApiCall,
  CLIENT_ID,
  CLIENT_SECRET,
  type Container,
  callApi,
  coreEntry,
  ENTRY_POINTS,
  type EntryPoint,
  NEW_SALT,
  querySalesforce,
  ROTATED_CLIENT_SECRET,
  rejectionOf,
  resetCounts,
  SALT,
  secretJson,
  startForwarder,
  uniqueNames,
  useLocalWorld,
} from '../support/entry-points.js';

const world = useLocalWorld();

beforeEach(() => resetCounts(world));

const getSecretValueCalls = (secretName: string): number =>
  world.secrets.stats().getSecretValueByName[secretName] ?? 0;
const dataApi = (token: AccessToken) => callApi(world.provider.apiUrl, token);

/** The key id of the envelope the table holds for `tokenType`. */
async function storedKeyId(tokenType: string): Promise<string | undefined> {
  const record = await new TokenStore({ client: world.dynamoClient, tableName: world.tableName }).read(
    tokenType,
  );
  return record?.accessToken === undefined
    ? undefined
    : new SaltCipher({ salts: [SALT] }).keyIdOf(record.accessToken);
}
const keyIdOf = (salt: string): string | undefined => new SaltCipher({ salts: [salt] }).keyIds()[0];

/** No secret value in any rendering of `value`. */
function expectNoSecretIn(value: unknown): void {
  const text =
    typeof value === 'string' ? value : `${inspect(value, { depth: 10 })} ${JSON.stringify(value)}`;
  for (const secret of [
    CLIENT_SECRET,
    ROTATED_CLIENT_SECRET,
    SALT,
    NEW_SALT,
    ...world.provider.issuedTokens(),
  ]) {
    expect(text.includes(secret)).toBe(false);
  }
}

describe.each(ENTRY_POINTS)('through the %s entry point', (label: string, entry: EntryPoint) => {
  /** A tokenType and a secret holding the old salt; `writer()` is another container (core API) on them. */
  function setUp() {
    const names = uniqueNames(label);
    world.secrets.putSecret(names.secretName, secretJson());
    const spec = { ...names, provider: oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl }) };
    return {
      ...names,
      container: (): Container => entry.container(world, spec),
      // Another container with its own secret cache: it reads the secret as it is at construction.
      writer: (): Container => coreEntry.container(world, spec),
    };
  }

  describe('salt rotation', () => {
    it('still decrypts a token written under the old salt while the secret lists both', async () => {
      const { tokenType, secretName, container, writer } = setUp();
      await writer().invoke(dataApi);
      world.secrets.putSecret(secretName, secretJson({ key: undefined, keys: [NEW_SALT, SALT] }));
      const tokenCallsBefore = world.provider.stats().tokenCalls;

      const reader = container();
      const version = await reader.invoke((token) => token.version);

      expect(version).toBe(1);
      expect(world.provider.stats().tokenCalls).toBe(tokenCallsBefore);
      expect(reader.metrics?.count(MetricName.DecryptFailed)).toBe(0);
      expect(await storedKeyId(tokenType)).toBe(keyIdOf(SALT));
    });

    it('fetches the secret again, and calls no provider, when its cached secret meets a token under the new salt', async () => {
      const { tokenType, secretName, container, writer } = setUp();
      const stale = container();
      await stale.invoke(dataApi); // v1 under the old salt; the old secret stays in this container's cache
      world.secrets.putSecret(secretName, secretJson({ key: undefined, keys: [NEW_SALT, SALT] }));
      world.provider.revokeAll();
      await writer().invoke(dataApi); // rejected, refreshed: v2 under the new salt
      expect(await storedKeyId(tokenType)).toBe(keyIdOf(NEW_SALT));
      const tokenCallsBefore = world.provider.stats().tokenCalls;
      const fetchesBefore = getSecretValueCalls(secretName);
      const versions: number[] = [];

      const result = await stale.invoke((token) => {
        versions.push(token.version);
        return dataApi(token);
      });

      expect(result).toEqual({ ok: true });
      expect(versions).toEqual([1, 2]);
      expect(world.provider.stats().tokenCalls).toBe(tokenCallsBefore);
      expect(getSecretValueCalls(secretName)).toBe(fetchesBefore + 1);
      expect(stale.metrics?.count(MetricName.DecryptFailed)).toBe(0);
      expect(stale.logger?.calls).toContainEqual(
        expect.objectContaining({ message: 'provider secret fetched again' }),
      );
    });

    it('lets the API error surface when that forced fetch fails, and recovers at the next invocation without a provider call', async () => {
      const { secretName, container, writer } = setUp();
      const stale = container();
      await stale.invoke(dataApi);
      world.secrets.putSecret(secretName, secretJson({ key: undefined, keys: [NEW_SALT, SALT] }));
      world.provider.revokeAll();
      await writer().invoke(dataApi); // v2 under the new salt
      const tokenCallsBefore = world.provider.stats().tokenCalls;
      // Every attempt of the SDK's retries fails.
      world.secrets.failNext(3, { type: 'InternalServiceError' });

      const error = await rejectionOf(stale.invoke(dataApi));
      const next = await stale.invoke(async (token) => ({
        version: token.version,
        api: await dataApi(token),
      }));

      expect(error).toMatchObject({ name: 'HttpError', statusCode: 403 });
      expect(next).toEqual({ version: 2, api: { ok: true } });
      expect(world.provider.stats().tokenCalls).toBe(tokenCallsBefore);
      expect(stale.logger?.calls).toContainEqual(
        expect.objectContaining({
          message: 'token rejected and the refresh failed; the original error surfaces',
          attributes: [expect.objectContaining({ error: 'SecretError' })],
        }),
      );
    });

    it('refreshes without an error, counting DecryptFailed once, when the secret holds only a new salt', async () => {
      const { secretName, container, writer } = setUp();
      await writer().invoke(dataApi); // v1 under the old salt
      world.secrets.putSecret(secretName, secretJson({ key: NEW_SALT }));
      const tokenCallsBefore = world.provider.stats().tokenCalls;
      const fetchesBefore = getSecretValueCalls(secretName);

      const reader = container();
      const result = await reader.invoke(async (token) => ({
        version: token.version,
        api: await dataApi(token),
      }));

      expect(result).toEqual({ version: 2, api: { ok: true } });
      expect(world.provider.stats().tokenCalls).toBe(tokenCallsBefore + 1);
      expect(reader.metrics?.count(MetricName.DecryptFailed)).toBe(1);
      // Its own load, then one forced fetch in case the secret had moved on meanwhile.
      expect(getSecretValueCalls(secretName)).toBe(fetchesBefore + 2);
      expectNoSecretIn(reader.logger?.text());
    });
  });

  // Each flavour's token endpoint and data API, behind `origin`.
  const flavours: Array<
    [string, (origin: string) => { provider: ProviderFactory; api: ApiCall<unknown>; answer: unknown }]
  > = [
    [
      'OAuth2 (HTTP 401 invalid_client)',
      (origin) => ({
        provider: oauth2ClientCredentials({ tokenUrl: `${origin}/oauth2/token` }),
        api: (token) => callApi(`${origin}/api/data`, token),
        answer: { ok: true },
      }),
    ],
    [
      'Salesforce (HTTP 400 invalid_client)',
      (origin) => ({
        provider: salesforce({ instanceUrl: origin }),
        api: (token) => querySalesforce(origin, token),
        answer: expect.objectContaining({ totalSize: 1 }),
      }),
    ],
  ];

  it.each(flavours)(
    '%s: fetches the secret again after invalid_client and refreshes with the rotated client secret',
    async (flavour, endpoints) => {
      const { tokenType, secretName } = uniqueNames(`${label}-${flavour}`);
      world.secrets.putSecret(secretName, secretJson());
      // The provider's URL stays; the server behind it is replaced by one that knows only the new secret.
      const frontDoor = await startForwarder(world.provider.instanceUrl);
      const rotated = await startOAuthProvider({ clientId: CLIENT_ID, clientSecret: ROTATED_CLIENT_SECRET });
      try {
        const { provider, api, answer } = endpoints(frontDoor.origin);
        const container = entry.container(world, { tokenType, secretName, provider });
        await container.invoke(api);
        frontDoor.switchTo(rotated.instanceUrl);
        world.secrets.putSecret(secretName, secretJson({ clientSecret: ROTATED_CLIENT_SECRET }));
        const fetchesBefore = getSecretValueCalls(secretName);
        const versions: number[] = [];

        const result = await container.invoke((token) => {
          versions.push(token.version);
          return api(token);
        });

        expect(result).toEqual(answer);
        expect(versions).toEqual([1, 2]);
        // One answered invalid_client (the old secret), one issued the token (the new one).
        expect(rotated.stats()).toMatchObject({ tokenCalls: 2, tokensIssued: 1, apiRejected: 1, apiOk: 1 });
        expect(getSecretValueCalls(secretName)).toBe(fetchesBefore + 1);
        expect(container.logger?.calls).toContainEqual(
          expect.objectContaining({
            message: 'provider secret fetched again',
            attributes: [expect.objectContaining({ tokenType, reason: 'invalid_client', changed: true })],
          }),
        );
        expectNoSecretIn(container.logger?.text());
      } finally {
        await frontDoor.stop();
        await rotated.stop();
      }
    },
  );

  it('fetches the secret again at a later invalid_client, once a rotation done at the provider first reaches the secret', async () => {
    const { tokenType, secretName } = uniqueNames(`${label}-provider-first`);
    world.secrets.putSecret(secretName, secretJson());
    const frontDoor = await startForwarder(world.provider.instanceUrl);
    const rotated = await startOAuthProvider({ clientId: CLIENT_ID, clientSecret: ROTATED_CLIENT_SECRET });
    try {
      const container = entry.container(world, {
        tokenType,
        secretName,
        provider: oauth2ClientCredentials({ tokenUrl: `${frontDoor.origin}/oauth2/token` }),
        // No shared back-off between the two refreshes: the test is about the secret, not the back-off.
        options: { failureBackoffMs: 0 },
      });
      const api = (token: AccessToken) => callApi(`${frontDoor.origin}/api/data`, token);
      await container.invoke(api);
      // The operator rotates at the provider first; Secrets Manager still holds the old secret.
      frontDoor.switchTo(rotated.instanceUrl);
      const beforeUpdate = await rejectionOf(container.invoke(api));
      expect(beforeUpdate).toMatchObject({ name: 'HttpError', statusCode: 403 });
      // Then updates the secret.
      world.secrets.putSecret(secretName, secretJson({ clientSecret: ROTATED_CLIENT_SECRET }));
      const fetchesBefore = getSecretValueCalls(secretName);

      const result = await container.invoke(api);

      expect(result).toEqual({ ok: true });
      expect(getSecretValueCalls(secretName)).toBe(fetchesBefore + 1);
      expect(rotated.stats()).toMatchObject({ tokensIssued: 1 });
    } finally {
      await frontDoor.stop();
      await rotated.stop();
    }
  });

  describe('bad secrets fail at once, naming the secret and the field, echoing no value (I6)', () => {
    function containerFor(secretName: string, tokenType: string): Container {
      return entry.container(world, {
        tokenType,
        secretName,
        provider: oauth2ClientCredentials({ tokenUrl: world.provider.tokenUrl }),
      });
    }

    it('a missing secret is a SecretError naming it; once created, the next invocation works', async () => {
      const { tokenType, secretName } = uniqueNames(`${label}-missing`);
      const container = containerFor(secretName, tokenType);

      const error = await rejectionOf(container.invoke(dataApi));

      expect(error).toMatchObject({ name: 'SecretError', secretName });
      expect((error as Error).message).toContain(`"${secretName}" does not exist`);
      expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(world.provider.stats().tokenCalls).toBe(0);
      expect(world.proxy.counts()).toMatchObject({ reads: 0, writes: 0 });

      world.secrets.putSecret(secretName, secretJson());
      await expect(container.invoke(dataApi)).resolves.toEqual({ ok: true });
    });

    const truncated = secretJson().slice(0, -12);
    const noKey = JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const noClientSecret = JSON.stringify({ clientId: CLIENT_ID, key: SALT });
    it.each([
      ['text that is not JSON', truncated, /is not valid JSON/, undefined],
      ['no key', noKey, /no "key" field/, 'key'],
      ['no clientSecret', noClientSecret, /no "clientSecret" field/, 'clientSecret'],
    ])('a secret with %s is a SecretError naming the secret', async (_case, value, message, field) => {
      const { tokenType, secretName } = uniqueNames(`${label}-bad`);
      world.secrets.putSecret(secretName, value);
      const container = containerFor(secretName, tokenType);

      const error = (await rejectionOf(container.invoke(dataApi))) as Error & { field?: string };

      expect(error).toMatchObject({ name: 'SecretError', secretName, field });
      expect(error.message).toMatch(message);
      expect(error.message).toContain(secretName);
      expectNoSecretIn(error);
      expectNoSecretIn(container.logger?.text());
      expect(world.provider.stats().tokenCalls).toBe(0);
      expect(world.proxy.counts()).toMatchObject({ reads: 0, writes: 0 });
    });
  });
});

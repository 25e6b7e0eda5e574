/**
 * Every AWS call a token needs is bounded by the caller's deadline. A DynamoDB commit,
 * a KMS Decrypt and a Secrets Manager GetSecretValue that are accepted and never answered (the
 * fault proxy's blackhole, the local servers' stall) end at the deadline as LockWaitTimeoutError,
 * the abandoned call's typed error as its cause: never a hang, never a bare TokenStoreError.
 * Before, the commit and the KMS and Secrets Manager calls carried no signal, and a stalled one
 * held the caller until the server let go. No duration is asserted: a hang meets Jest's timeout.
 */

import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProviderToken, TokenProvider } from 'lambda-shared-token';
import { isSharedTokenError, type LockWaitTimeoutError, SharedToken } from 'lambda-shared-token';
import { KmsCipher, SecretsManagerSource, TokenManager, TokenStore } from 'lambda-shared-token/advanced';
import { type DynamoProxy, startDynamoProxy } from '../../scripts/local-stack/dynamo-proxy.js';
import {
  type LocalKms,
  type LocalSecretsManager,
  startKms,
  startSecretsManager,
} from '../../scripts/local-stack/index.js';
import { localDynamoClient } from '../../scripts/local-stack/table.js';
import { useLocalTable } from '../support/local-table.js';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'test-stalled-access-tokens';
const TOKEN_TYPE = 'stalled';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** The invocation's time left: ample for a healthy local call, and the only thing that ends a stalled one. */
const TIME_LEFT_MS = 3_000;

/** A provider in this process: a new hour-long token per call, a 1-s declared timeout. */
function countingProvider(): TokenProvider & { calls: number } {
  let calls = 0;
  return {
    timeoutMs: 1_000,
    get calls() {
      return calls;
    },
    async fetchToken(): Promise<ProviderToken> {
      calls++;
      return {
        accessToken: testSecret(`stalled:${calls}`, 'stalled-token-'),
        expiresAt: Date.now() + 3_600_000,
      };
    },
  };
}

function expectDeadlineReached(error: unknown, reason: string, causeName: string): void {
  expect(isSharedTokenError(error, 'LockWaitTimeoutError')).toBe(true);
  expect((error as LockWaitTimeoutError).reason).toBe(reason);
  const cause = (error as Error).cause as { name?: string; abandoned?: boolean };
  expect(cause?.name).toBe(causeName);
  expect(cause?.abandoned).toBe(true);
}

describe('a DynamoDB commit that never answers', () => {
  const table = useLocalTable('dynalite', TABLE);
  let proxy: DynamoProxy;

  beforeAll(async () => {
    proxy = await startDynamoProxy(table.dynamo.endpoint);
  });
  afterEach(() => proxy.clearFaults());
  afterAll(async () => {
    await proxy?.stop();
  });

  it('ends at the deadline as LockWaitTimeoutError (store-call-abandoned); the next container refreshes once the lease ends', async () => {
    const store = new TokenStore({ client: localDynamoClient(proxy.endpoint), tableName: TABLE });
    const provider = countingProvider();
    const cipher = { encrypt: async (text: string) => text, decrypt: async (text: string) => text };
    const manager = (leaseMs: number) =>
      new TokenManager({ tokenType: TOKEN_TYPE, store, cipher, provider, leaseMs });
    proxy.inject({
      kind: 'blackhole',
      operations: ['UpdateItem'],
      bodyIncludes: 'SET accessToken',
      count: 1,
    });

    const error = await rejectionOf(manager(2_000).getToken({ deadline: Date.now() + TIME_LEFT_MS }));

    expectDeadlineReached(error, 'store-call-abandoned', 'TokenStoreError');
    expect(proxy.faultStats().blackhole).toBe(1);
    // The lease (2 s) ends by itself; then another container's claim takes over and commits.
    const item = await store.read(TOKEN_TYPE);
    const token = await manager(2_000).getToken({ deadline: (item?.lockExpiresAt ?? Date.now()) + 5_000 });
    expect(token.version).toBe(1);
    expect(provider.calls).toBe(2);
  });
});

describe('a KMS Decrypt that never answers', () => {
  let kms: LocalKms;
  beforeAll(async () => {
    kms = await startKms();
  });
  afterAll(async () => {
    await kms?.stop();
  });

  it('ends at the deadline as LockWaitTimeoutError (aws-call-abandoned, the KmsError as cause)', async () => {
    const client = () => new KMSClient({ endpoint: kms.endpoint, region: REGION, credentials: CREDENTIALS });
    const store = new MemoryTokenStore();
    const provider = countingProvider();
    // One container commits a token; a second one, with no data key in memory, must ask KMS.
    const writer = new TokenManager({
      tokenType: TOKEN_TYPE,
      store,
      provider,
      cipher: new KmsCipher({ keyId: 'alias/shared-token', client: client() }),
    });
    await writer.getToken();
    const reader = new TokenManager({
      tokenType: TOKEN_TYPE,
      store,
      provider,
      cipher: new KmsCipher({ keyId: 'alias/shared-token', client: client() }),
    });
    kms.stall({ operations: ['Decrypt'] });

    const error = await rejectionOf(reader.getToken({ deadline: Date.now() + TIME_LEFT_MS }));

    expectDeadlineReached(error, 'aws-call-abandoned', 'KmsError');
    expect(kms.stallStats().stalled).toBeGreaterThanOrEqual(1);
    expect(provider.calls).toBe(1);
  });
});

describe('a Secrets Manager GetSecretValue that never answers', () => {
  const secretName = '/test/svc/oauth/stalled';
  let server: LocalSecretsManager;
  beforeAll(async () => {
    server = await startSecretsManager({
      secrets: { [secretName]: JSON.stringify({ salt: testSecret('stalled:salt', 'stalled-salt-') }) },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('ends at the deadline as LockWaitTimeoutError (aws-call-abandoned, the SecretError as cause)', async () => {
    const provider = countingProvider();
    const shared = new SharedToken({
      tokenType: TOKEN_TYPE,
      secretName,
      provider: () => provider,
      store: new MemoryTokenStore(),
      secrets: new SecretsManagerSource({
        secretName,
        client: new SecretsManagerClient({
          endpoint: server.endpoint,
          region: REGION,
          credentials: CREDENTIALS,
        }),
      }),
    });
    server.stall({ operations: ['GetSecretValue'] });

    const error = await rejectionOf(shared.getToken({ deadline: Date.now() + TIME_LEFT_MS }));

    expectDeadlineReached(error, 'aws-call-abandoned', 'SecretError');
    expect(provider.calls).toBe(0);
  });
});

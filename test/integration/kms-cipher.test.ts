/**
 * KmsCipher with the real SDK KMSClient against the local KMS server (the real JSON 1.1
 * protocol on 127.0.0.1): round trips, the encryption context checked by KMS, the error
 * mapping, and the KMS calls the caches save, counted by the server.
 */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DecryptError, isSharedTokenError, type KmsCipherOptions, KmsError } from 'lambda-shared-token';
import { KmsCipher } from 'lambda-shared-token/advanced';
import { type LocalKms, startKms } from '../../scripts/local-stack/index.js';
import { caught } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const ALIAS = 'alias/shared-token';
// The prefix keeps the original fixture's length (72 characters): padding tests depend on it.
const TOKEN = testSecret('accessToken', '00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.dvvpvK');

let kms: LocalKms;
const clients: KMSClient[] = [];

beforeAll(async () => {
  kms = await startKms({ aliases: [ALIAS, 'alias/other'] });
});

afterEach(() => kms.resetStats());

afterAll(async () => {
  for (const client of clients) client.destroy();
  await kms.stop();
});

function client(config: Partial<KMSClientConfig> = {}): KMSClient {
  const made = new KMSClient({ endpoint: kms.endpoint, region: REGION, credentials: CREDENTIALS, ...config });
  clients.push(made);
  return made;
}

/** One cipher per simulated container, each with its own client and caches. */
function container(options: Partial<KmsCipherOptions> = {}): KmsCipher {
  return new KmsCipher({ keyId: ALIAS, client: client({ maxAttempts: 1 }), ...options });
}

const calls = (operation: string): number => kms.stats().byOperation[operation] ?? 0;

describe('the local KMS server', () => {
  it('generates a data key bound to its encryption context, and refuses Decrypt under another', async () => {
    const sdk = client();
    const generated = await sdk.send(
      new GenerateDataKeyCommand({ KeyId: ALIAS, KeySpec: 'AES_256', EncryptionContext: { tokenType: 'a' } }),
    );
    expect(generated.Plaintext).toHaveLength(32);
    expect(generated.KeyId).toBe(kms.keys[0]!.arn);
    const decrypted = await sdk.send(
      new DecryptCommand({
        KeyId: kms.keys[0]!.arn,
        CiphertextBlob: generated.CiphertextBlob,
        EncryptionContext: { tokenType: 'a' },
      }),
    );
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(generated.Plaintext!));
    const refused = await caught(() =>
      sdk.send(
        new DecryptCommand({
          CiphertextBlob: generated.CiphertextBlob,
          EncryptionContext: { tokenType: 'b' },
        }),
      ),
    );
    expect(refused).toMatchObject({ name: 'InvalidCiphertextException' });
    const wrongKey = await caught(() =>
      sdk.send(
        new DecryptCommand({
          KeyId: 'alias/other',
          CiphertextBlob: generated.CiphertextBlob,
          EncryptionContext: { tokenType: 'a' },
        }),
      ),
    );
    expect(wrongKey).toMatchObject({ name: 'IncorrectKeyException' });
    const unknown = await caught(() =>
      sdk.send(new GenerateDataKeyCommand({ KeyId: 'alias/missing', KeySpec: 'AES_256' })),
    );
    expect(unknown).toMatchObject({ name: 'NotFoundException' });
    expect(kms.stats()).toEqual({ calls: 5, byOperation: { GenerateDataKey: 2, Decrypt: 3 } });
  });
});

describe('KmsCipher through the local KMS server and the real KMSClient', () => {
  it('round-trips a token: one GenerateDataKey, and no Decrypt for the container that wrote it', async () => {
    const cipher = container();
    const envelope = await cipher.encrypt(TOKEN, 'salesforce');
    expect(await cipher.decrypt(envelope, 'salesforce')).toBe(TOKEN);
    expect(kms.stats().byOperation).toEqual({ GenerateDataKey: 1 });
  });

  it('decrypts in another container with one Decrypt, however many reads', async () => {
    const writer = container();
    const reader = container();
    const envelope = await writer.encrypt(TOKEN, 'salesforce#tenant-42');
    for (let i = 0; i < 50; i++) expect(await reader.decrypt(envelope, 'salesforce#tenant-42')).toBe(TOKEN);
    expect(kms.stats().byOperation).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
  });

  it('makes exactly one GenerateDataKey for 1,000 encrypts and decrypts within one cache period', async () => {
    const cipher = container();
    for (let i = 0; i < 1000; i++) {
      const token = `${TOKEN}-${i}`;
      expect(await cipher.decrypt(await cipher.encrypt(token, 'salesforce'), 'salesforce')).toBe(token);
    }
    expect(kms.stats().byOperation).toEqual({ GenerateDataKey: 1 });
  });

  it('asks KMS for every operation with the caches off (dataKeyMaxUses 1, decrypt cache 0)', async () => {
    const cipher = container({ dataKeyMaxUses: 1, decryptCacheMaxEntries: 0 });
    for (let i = 0; i < 20; i++)
      await cipher.decrypt(await cipher.encrypt(TOKEN, 'salesforce'), 'salesforce');
    expect(kms.stats().byOperation).toEqual({ GenerateDataKey: 20, Decrypt: 20 });
  });

  it.each([
    ['another tokenType', 'salesforce', 'webex'],
    ['another tenant', 'salesforce#tenant-a', 'salesforce#tenant-b'],
    ['a tenant of the provider-wide token', 'salesforce', 'salesforce#tenant-a'],
  ])('refuses an item copied to %s: KMS checks the context, DecryptError', async (_what, from, to) => {
    const envelope = await container().encrypt(TOKEN, from);
    const error = await caught(() => container().decrypt(envelope, to));
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as Error).cause).toMatchObject({ name: 'InvalidCiphertextException' });
    expect(calls('Decrypt')).toBe(1);
  });

  it('refuses an envelope written under another KMS key: DecryptError (IncorrectKeyException)', async () => {
    const envelope = await container({ keyId: 'alias/other' }).encrypt(TOKEN, 'salesforce');
    const error = await caught(() => container().decrypt(envelope, 'salesforce'));
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as Error).cause).toMatchObject({ name: 'IncorrectKeyException' });
  });

  it('fails with KmsError, not DecryptError, for an unknown key', async () => {
    const error = await caught(() => container({ keyId: 'alias/missing' }).encrypt(TOKEN, 'salesforce'));
    expect(error).toBeInstanceOf(KmsError);
    expect(error).toMatchObject({ operation: 'GenerateDataKey', code: 'NotFoundException' });
  });

  it.each(['ThrottlingException', 'AccessDeniedException', 'KMSInternalException'])(
    'fails a decrypt with KmsError when KMS answers %s, and succeeds once KMS does',
    async (type) => {
      const envelope = await container().encrypt(TOKEN, 'salesforce');
      const reader = container();
      kms.failNext(1, { type });
      const error = await caught(() => reader.decrypt(envelope, 'salesforce'));
      expect(error).toBeInstanceOf(KmsError);
      expect(isSharedTokenError(error, 'DecryptError')).toBe(false);
      expect(error).toMatchObject({ operation: 'Decrypt', code: type });
      expect(await reader.decrypt(envelope, 'salesforce')).toBe(TOKEN);
    },
  );

  it('fails with KmsError when KMS is unreachable', async () => {
    const stopped = await startKms();
    const endpoint = stopped.endpoint;
    await stopped.stop();
    const cipher = new KmsCipher({
      keyId: ALIAS,
      client: client({ endpoint, maxAttempts: 1 }),
    });
    const error = await caught(() => cipher.encrypt(TOKEN, 'salesforce'));
    expect(error).toBeInstanceOf(KmsError);
    expect(error).toMatchObject({ operation: 'GenerateDataKey' });
    // ECONNREFUSED is the code in plain Node; under Jest's VM the SDK wraps the foreign-realm error.
    expect(String((error as Error).cause)).toMatch(/ECONNREFUSED/);
  });

  it('builds its own KMSClient from the environment (AWS_ENDPOINT_URL_KMS) when given none', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    });
    try {
      const writer = new KmsCipher({ keyId: ALIAS });
      const reader = new KmsCipher({ keyId: kms.keys[0]!.arn });
      const envelope = await writer.encrypt(TOKEN, 'salesforce');
      expect(await reader.decrypt(envelope, 'salesforce')).toBe(TOKEN);
      expect(kms.stats().byOperation).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
    } finally {
      for (const name of [
        'AWS_ENDPOINT_URL_KMS',
        'AWS_REGION',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
      ]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});

/**
 * `stall()` on the local KMS and Secrets Manager, with the real SDK clients: a stalled request is
 * read and never answered, so only the caller's own deadline ends it; the operations, count and
 * duration given pick the requests; and no held connection outlives `clearStalls()` or `stop()`.
 */

import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type LocalKms,
  type LocalSecretsManager,
  startKms,
  startSecretsManager,
} from '../../scripts/local-stack/index.js';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const ALIAS = 'alias/shared-token';
const SECRET_NAME = '/test/svc/oauth/stalled';
const SECRET_VALUE = JSON.stringify({ clientId: 'stall-client', salt: testSecret('salt', 'stall-salt-') });
/**
 * The client's deadline on a call that should be held: the only thing that ends it. Not asserted on;
 * long enough that a loaded machine still delivers the request first (the stats count it), and
 * calls that should be answered get no deadline at all, so a slow answer cannot pass for a stall.
 */
const PATIENCE_MS = 500;

const patience = () => ({ abortSignal: AbortSignal.timeout(PATIENCE_MS) });

/** Polls until `condition` holds; the test's own timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('stall() on the local Secrets Manager', () => {
  let now = Date.UTC(2026, 10, 22, 12, 0, 0);
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  const getSecret = () => new GetSecretValueCommand({ SecretId: SECRET_NAME });

  beforeEach(async () => {
    server = await startSecretsManager({ secrets: { [SECRET_NAME]: SECRET_VALUE }, now: () => now });
    // One attempt per send: a retry would hide what the stall did to the first.
    client = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await server.stop();
  });

  it("leaves a stalled GetSecretValue unanswered until the client's AbortSignal ends it with AbortError", async () => {
    server.stall({ operations: ['GetSecretValue'] });

    const error = await rejectionOf(client.send(getSecret(), patience()));

    expect(error.name).toBe('AbortError');
    expect(server.stallStats()).toEqual({ stalled: 1, byOperation: { GetSecretValue: 1 } });
    expect(server.stats()).toMatchObject({ calls: 1, getSecretValueByName: { [SECRET_NAME]: 1 } });
  });

  it('keeps nothing open once the client that gave up has closed its connection', async () => {
    server.stall({ operations: ['GetSecretValue'] });
    const giveUp = new AbortController();
    const abandoned = client.send(getSecret(), { abortSignal: giveUp.signal });
    await until(() => server.heldOpen() === 1);

    giveUp.abort();
    const error = await rejectionOf(abandoned);
    await until(() => server.heldOpen() === 0);

    expect(error.name).toBe('AbortError');
    expect(server.heldOpen()).toBe(0);
  });

  it('answers the next GetSecretValue normally once the count is spent', async () => {
    server.stall({ operations: ['GetSecretValue'], count: 1 });

    const stalled = await rejectionOf(client.send(getSecret(), patience()));
    const answered = await client.send(getSecret());

    expect(stalled.name).toBe('AbortError');
    expect(answered.SecretString).toBe(SECRET_VALUE);
    expect(server.stallStats().stalled).toBe(1);
  });

  it('stalls only the operations named', async () => {
    server.stall({ operations: ['GetSecretValue'] });

    const described = await client.send(new DescribeSecretCommand({ SecretId: SECRET_NAME }));

    expect(described.Name).toBe(SECRET_NAME);
    expect(server.stallStats().stalled).toBe(0);
  });

  it('ends a stall after its durationMs, on the injected clock', async () => {
    server.stall({ operations: ['GetSecretValue'], durationMs: 1_000 });

    now += 1_000;
    const during = await rejectionOf(client.send(getSecret(), patience()));
    now += 1;
    const after = await client.send(getSecret());

    expect(during.name).toBe('AbortError');
    expect(after.SecretString).toBe(SECRET_VALUE);
    expect(server.stallStats().stalled).toBe(1);
  });

  it('answers a queued failNext failure first, and stalls the request after it', async () => {
    server.failNext(1, { type: 'ThrottlingException' });
    server.stall({ operations: ['GetSecretValue'], count: 1 });

    const throttled = await rejectionOf(client.send(getSecret()));
    const stalled = await rejectionOf(client.send(getSecret(), patience()));

    expect(throttled.name).toBe('ThrottlingException');
    expect(stalled.name).toBe('AbortError');
  });

  it('destroys the stalled connections on clearStalls: the waiting client fails, the next request is answered', async () => {
    server.stall({ operations: ['GetSecretValue'] });
    const waiting = client.send(getSecret()); // no deadline of its own: only the release ends it
    await until(() => server.heldOpen() === 1);

    server.clearStalls();
    const error = await rejectionOf(waiting);
    const answered = await client.send(getSecret());

    expect(error.name).not.toBe('AbortError');
    expect(server.heldOpen()).toBe(0);
    expect(server.stallStats()).toEqual({ stalled: 0, byOperation: {} });
    expect(answered.SecretString).toBe(SECRET_VALUE);
  });

  it('stops with a stalled connection open, and the waiting client fails instead of hanging', async () => {
    server.stall({});
    const waiting = client.send(getSecret());
    await until(() => server.heldOpen() === 1);

    await server.stop();

    await expect(waiting).rejects.toThrow();
    expect(server.heldOpen()).toBe(0);
  });

  it('names the bad field in a TypeError, without echoing an unknown operation', () => {
    const unknown = (() => {
      try {
        server.stall({ operations: ['GetSecretValues'] });
      } catch (error) {
        return error as Error;
      }
      throw new Error('expected stall() to throw');
    })();

    expect(unknown).toBeInstanceOf(TypeError);
    expect(unknown.message).toContain('"operations"');
    expect(unknown.message).not.toContain('GetSecretValues');
    expect(() => server.stall({ count: 0 })).toThrow(/"count"/);
    expect(() => server.stall({ durationMs: -1 })).toThrow(/"durationMs"/);
  });
});

describe('stall() on the local KMS', () => {
  let kms: LocalKms;
  let client: KMSClient;
  const generate = () =>
    new GenerateDataKeyCommand({ KeyId: ALIAS, KeySpec: 'AES_256', EncryptionContext: { tokenType: 'a' } });

  beforeEach(async () => {
    kms = await startKms({ aliases: [ALIAS] });
    client = new KMSClient({
      endpoint: kms.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await kms.stop();
  });

  it('stalls the next Decrypt while GenerateDataKey is answered, then answers the Decrypt after it', async () => {
    kms.stall({ operations: ['Decrypt'], count: 1 });
    const generated = await client.send(generate());
    const decrypt = () =>
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { tokenType: 'a' } });

    const stalled = await rejectionOf(client.send(decrypt(), patience()));
    const decrypted = await client.send(decrypt());

    expect(stalled.name).toBe('AbortError');
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(generated.Plaintext!));
    expect(kms.stallStats()).toEqual({ stalled: 1, byOperation: { Decrypt: 1 } });
    expect(kms.stats().byOperation).toEqual({ GenerateDataKey: 1, Decrypt: 2 });
  });

  it("leaves a stalled GenerateDataKey unanswered until the client's AbortSignal ends it with AbortError", async () => {
    kms.stall({ operations: ['GenerateDataKey'] });

    const error = await rejectionOf(client.send(generate(), patience()));

    expect(error.name).toBe('AbortError');
    expect(kms.stallStats()).toEqual({ stalled: 1, byOperation: { GenerateDataKey: 1 } });
  });

  it('destroys the stalled connections on clearStalls, and answers the next request', async () => {
    kms.stall({ operations: ['GenerateDataKey'] });
    const waiting = client.send(generate());
    await until(() => kms.heldOpen() === 1);

    kms.clearStalls();

    await expect(waiting).rejects.toThrow();
    expect(kms.heldOpen()).toBe(0);
    expect((await client.send(generate())).CiphertextBlob).toBeDefined();
  });

  it('stops with a stalled connection open, and the waiting client fails instead of hanging', async () => {
    kms.stall({ operations: ['Decrypt', 'GenerateDataKey'] });
    const waiting = client.send(generate());
    await until(() => kms.heldOpen() === 1);

    await kms.stop();

    await expect(waiting).rejects.toThrow();
    expect(kms.heldOpen()).toBe(0);
  });

  it("refuses an operation KMS does not serve here, naming 'operations'", () => {
    expect(() => kms.stall({ operations: ['Encrypt'] })).toThrow(/"operations"/);
  });
});

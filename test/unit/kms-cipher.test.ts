/**
 * KmsCipher against an in-process fake KMS client (the real SDK commands, a fake `send`): the
 * caches (age with an injected clock, uses, concurrent callers sharing one call), the envelope,
 * the encryption context, the error mapping and the options. The same cipher against the real SDK
 * client and a local KMS server is test/integration/kms-cipher.test.ts.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  DecryptError,
  isSharedTokenError,
  type KmsCipherOptions,
  KmsError,
  kmsCipher,
} from 'lambda-shared-token';
import { KmsCipher, parseProviderSecret, SaltCipher } from 'lambda-shared-token/advanced';
import { sdkLoadError } from '../../layer/crypto/kms-data-keys.js';
import { FakeKms } from '../support/fake-kms.js';
import { caught } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const KEY_ID = 'alias/shared-tokens';
// The prefix keeps the original fixture's length (72 characters): padding tests depend on it.
const TOKEN = testSecret('accessToken', '00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.dvvpvK');
const SALT = testSecret('salt', 'current-salt-');
const TOKEN_TYPE = 'salesforce';
const START = Date.parse('2025-03-14T09:26:53Z');

class ManualClock {
  constructor(public ms = START) {}
  now = (): number => this.ms;
}

function setup(options: Partial<KmsCipherOptions> = {}) {
  const kms = new FakeKms(KEY_ID);
  const clock = new ManualClock();
  const cipher = new KmsCipher({ keyId: KEY_ID, client: kms, clock, ...options });
  return { kms, clock, cipher };
}

const decode = (envelope: string): Buffer => Buffer.from(envelope, 'base64');

describe('KmsCipher round trip and envelope', () => {
  it('decrypts what it encrypted, for ASCII, unicode, empty and 4 KB tokens', async () => {
    const { cipher } = setup();
    for (const plaintext of [TOKEN, 'tökén-日本語-🔑', '', 'x'.repeat(4096)]) {
      expect(await cipher.decrypt(await cipher.encrypt(plaintext, TOKEN_TYPE), TOKEN_TYPE)).toBe(plaintext);
    }
  });

  it('writes version 2, the encrypted data key with its length, a 12-byte IV, the ciphertext and a 16-byte tag', async () => {
    const { cipher } = setup();
    const bytes = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    expect(bytes[0]).toBe(2);
    const keyLength = bytes.readUInt16BE(1);
    expect(keyLength).toBe(12 + 32 + 16); // the fake's blob
    expect(bytes.length).toBe(3 + keyLength + 12 + Buffer.byteLength(TOKEN) + 16);
    expect(bytes.includes(Buffer.from(TOKEN))).toBe(false);
  });

  it('binds the data key to {tokenType}, plus the tenant of a provider#tenant tokenType', async () => {
    const { cipher, kms } = setup();
    await cipher.encrypt(TOKEN, 'salesforce');
    await cipher.encrypt(TOKEN, 'salesforce#tenant-42');
    expect(kms.contexts).toEqual([
      { tokenType: 'salesforce' },
      { tokenType: 'salesforce#tenant-42', tenant: 'tenant-42' },
    ]);
  });

  it('tells SaltCipher envelopes and its own apart, both ways', async () => {
    const { cipher } = setup();
    const salt = new SaltCipher({ salts: [SALT] });
    const saltEnvelope = await salt.encrypt(TOKEN, TOKEN_TYPE);
    const error = await caught(() => cipher.decrypt(saltEnvelope, TOKEN_TYPE));
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as Error).message).toMatch(/unknown envelope format version 1; KmsCipher reads version 2/);
    const kmsEnvelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    await expect(salt.decrypt(kmsEnvelope, TOKEN_TYPE)).rejects.toThrow(/unknown envelope format version 2/);
  });

  it('names the KMS key for readable envelopes only, so a failed decrypt never fetches the secret again', async () => {
    const { cipher } = setup();
    const envelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    expect(cipher.keyIds()).toEqual([`kms:${KEY_ID}`]);
    expect(cipher.keyIdOf(envelope)).toBe(`kms:${KEY_ID}`);
    expect(cipher.keyIdOf('not an envelope')).toBeUndefined();
  });
});

describe('KmsCipher data-key cache for encryption', () => {
  it('asks KMS once for many encrypts within the age and use limits', async () => {
    const { cipher, kms, clock } = setup();
    for (let i = 0; i < 500; i++) {
      await cipher.encrypt(TOKEN, TOKEN_TYPE);
      clock.ms += 100; // 50 s in all, well inside 5 minutes
    }
    expect(kms.calls.GenerateDataKey).toBe(1);
  });

  it('generates a new data key once the cached one is dataKeyMaxAgeMs old, not a millisecond before', async () => {
    const { cipher, kms, clock } = setup({ dataKeyMaxAgeMs: 60_000 });
    await cipher.encrypt(TOKEN, TOKEN_TYPE);
    clock.ms += 59_999;
    await cipher.encrypt(TOKEN, TOKEN_TYPE);
    expect(kms.calls.GenerateDataKey).toBe(1);
    clock.ms += 1;
    await cipher.encrypt(TOKEN, TOKEN_TYPE);
    expect(kms.calls.GenerateDataKey).toBe(2);
  });

  it('generates a new data key after dataKeyMaxUses encryptions', async () => {
    const { cipher, kms } = setup({ dataKeyMaxUses: 3 });
    const envelopes: string[] = [];
    for (let i = 0; i < 7; i++) envelopes.push(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    expect(kms.calls.GenerateDataKey).toBe(3);
    const keys = envelopes.map((envelope) =>
      decode(envelope)
        .subarray(3, 3 + 60)
        .toString('hex'),
    );
    expect(new Set(keys).size).toBe(3);
    expect(keys.slice(0, 3).every((key) => key === keys[0])).toBe(true);
  });

  it('keeps one data key per tokenType', async () => {
    const { cipher, kms } = setup();
    for (const tokenType of ['a', 'b', 'a', 'b#t1', 'b#t1']) await cipher.encrypt(TOKEN, tokenType);
    expect(kms.calls.GenerateDataKey).toBe(3);
  });

  it('shares one GenerateDataKey in flight among concurrent encrypts', async () => {
    const { cipher, kms } = setup();
    kms.hold();
    const all = Promise.all(Array.from({ length: 50 }, () => cipher.encrypt(TOKEN, TOKEN_TYPE)));
    await new Promise((resolve) => setImmediate(resolve));
    kms.release();
    const envelopes = await all;
    expect(kms.calls.GenerateDataKey).toBe(1);
    expect(await cipher.decrypt(envelopes[49]!, TOKEN_TYPE)).toBe(TOKEN);
  });

  it('still honours dataKeyMaxUses among concurrent encrypts waiting for one call', async () => {
    const { cipher, kms } = setup({ dataKeyMaxUses: 10 });
    kms.hold();
    const all = Promise.all(Array.from({ length: 25 }, () => cipher.encrypt(TOKEN, TOKEN_TYPE)));
    await new Promise((resolve) => setImmediate(resolve));
    kms.release();
    const envelopes = await all;
    expect(kms.calls.GenerateDataKey).toBe(3);
    const perKey = new Map<string, number>();
    for (const envelope of envelopes) {
      const key = decode(envelope).subarray(3, 63).toString('hex');
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    expect([...perKey.values()].sort((a, b) => a - b)).toEqual([5, 10, 10]);
  });

  it('does not cache a failure: the next encrypt asks KMS again', async () => {
    const { cipher, kms } = setup();
    kms.failures.push('ThrottlingException');
    const error = await caught(() => cipher.encrypt(TOKEN, TOKEN_TYPE));
    expect(error).toBeInstanceOf(KmsError);
    expect(error).toMatchObject({
      name: 'KmsError',
      operation: 'GenerateDataKey',
      code: 'ThrottlingException',
    });
    expect((error as Error).cause).toMatchObject({ name: 'ThrottlingException' });
    await cipher.encrypt(TOKEN, TOKEN_TYPE);
    expect(kms.calls.GenerateDataKey).toBe(2);
  });
});

describe('KmsCipher data-key cache for decryption', () => {
  it('decrypts its own envelopes without a KMS Decrypt: it generated the key', async () => {
    const { cipher, kms } = setup();
    const envelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    for (let i = 0; i < 10; i++) await cipher.decrypt(envelope, TOKEN_TYPE);
    expect(kms.calls.Decrypt).toBe(0);
  });

  it('asks KMS once in another container, however many decrypts, concurrent ones included', async () => {
    const { cipher: writer, kms } = setup();
    const reader = new KmsCipher({ keyId: KEY_ID, client: kms });
    const envelope = await writer.encrypt(TOKEN, TOKEN_TYPE);
    const results = await Promise.all(Array.from({ length: 20 }, () => reader.decrypt(envelope, TOKEN_TYPE)));
    for (let i = 0; i < 10; i++) results.push(await reader.decrypt(envelope, TOKEN_TYPE));
    expect(new Set(results)).toEqual(new Set([TOKEN]));
    expect(kms.calls.Decrypt).toBe(1);
  });

  it('asks KMS again once the decrypted key is dataKeyMaxAgeMs old', async () => {
    const kms = new FakeKms(KEY_ID);
    const clock = new ManualClock();
    const envelope = await new KmsCipher({ keyId: KEY_ID, client: kms }).encrypt(TOKEN, TOKEN_TYPE);
    const reader = new KmsCipher({ keyId: KEY_ID, client: kms, clock, dataKeyMaxAgeMs: 1000 });
    await reader.decrypt(envelope, TOKEN_TYPE);
    clock.ms += 999;
    await reader.decrypt(envelope, TOKEN_TYPE);
    expect(kms.calls.Decrypt).toBe(1);
    clock.ms += 1;
    await reader.decrypt(envelope, TOKEN_TYPE);
    expect(kms.calls.Decrypt).toBe(2);
  });

  it('evicts the least recently used key past decryptCacheMaxEntries, and caches nothing at 0', async () => {
    const kms = new FakeKms(KEY_ID);
    const writer = new KmsCipher({ keyId: KEY_ID, client: kms, dataKeyMaxUses: 1 });
    const [a, b, c] = [
      await writer.encrypt(TOKEN, TOKEN_TYPE),
      await writer.encrypt(TOKEN, TOKEN_TYPE),
      await writer.encrypt(TOKEN, TOKEN_TYPE),
    ] as [string, string, string];
    const reader = new KmsCipher({ keyId: KEY_ID, client: kms, decryptCacheMaxEntries: 2 });
    for (const envelope of [a, b, a, c, a, b]) await reader.decrypt(envelope, TOKEN_TYPE);
    // a, b miss; a hits; c misses and evicts b; a hits; b misses.
    expect(kms.calls.Decrypt).toBe(4);

    const uncached = new KmsCipher({ keyId: KEY_ID, client: kms, decryptCacheMaxEntries: 0 });
    for (let i = 0; i < 3; i++) await uncached.decrypt(a, TOKEN_TYPE);
    expect(kms.calls.Decrypt).toBe(7);
  });
});

describe('KmsCipher refuses what is not its own (I5): DecryptError, so it counts as missing', () => {
  async function envelopeAndReader() {
    const kms = new FakeKms(KEY_ID);
    const envelope = await new KmsCipher({ keyId: KEY_ID, client: kms }).encrypt(TOKEN, TOKEN_TYPE);
    return { kms, envelope, reader: new KmsCipher({ keyId: KEY_ID, client: kms }) };
  }

  it.each([
    ['a bit of the ciphertext', (bytes: Buffer) => bytes.length - 20],
    ['a bit of the tag', (bytes: Buffer) => bytes.length - 1],
    ['a bit of the IV', (_bytes: Buffer) => 3 + 60 + 2],
    ['a bit of the encrypted data key', (_bytes: Buffer) => 3 + 20],
  ])('rejects an envelope with %s flipped', async (_what, offset) => {
    const { envelope, reader } = await envelopeAndReader();
    const bytes = decode(envelope);
    bytes[offset(bytes)]! ^= 0x01;
    const error = await caught(() => reader.decrypt(bytes.toString('base64'), TOKEN_TYPE));
    expect(error).toBeInstanceOf(DecryptError);
    expect(isSharedTokenError(error, 'DecryptError')).toBe(true);
  });

  it('rejects a truncated envelope, a changed version, a wrong key length and non-base64 text without asking KMS', async () => {
    const { envelope, reader, kms } = await envelopeAndReader();
    const bytes = decode(envelope);
    const versioned = Buffer.from(bytes);
    versioned[0] = 3;
    const longKey = Buffer.from(bytes);
    longKey.writeUInt16BE(6000, 1);
    const cases: [string, RegExp][] = [
      [bytes.subarray(0, 40).toString('base64'), /truncated/],
      [versioned.toString('base64'), /unknown envelope format version 3/],
      [longKey.toString('base64'), /truncated/],
      [`${envelope.slice(0, -4)}!!!!`, /not base64/],
      ['', /empty/],
    ];
    for (const [text, message] of cases) {
      const error = await caught(() => reader.decrypt(text, TOKEN_TYPE));
      expect(error).toBeInstanceOf(DecryptError);
      expect((error as Error).message).toMatch(message);
    }
    expect(kms.calls.Decrypt).toBe(0);
  });

  it('rejects an item copied to another tokenType: KMS refuses the context', async () => {
    const { envelope, reader, kms } = await envelopeAndReader();
    const error = await caught(() => reader.decrypt(envelope, 'webex'));
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as Error).message).toMatch(/KMS refused the data key \(InvalidCiphertextException\)/);
    expect(kms.contexts.at(-1)).toEqual({ tokenType: 'webex' });
  });

  it("rejects one tenant's item under another tenant, even where the data key is cached", async () => {
    const kms = new FakeKms(KEY_ID);
    const cipher = new KmsCipher({ keyId: KEY_ID, client: kms });
    const envelope = await cipher.encrypt(TOKEN, 'salesforce#tenant-a');
    // The writer holds the key in its cache under tenant-a only: tenant-b goes to KMS, which refuses.
    const error = await caught(() => cipher.decrypt(envelope, 'salesforce#tenant-b'));
    expect(error).toBeInstanceOf(DecryptError);
    expect(kms.contexts.at(-1)).toEqual({ tokenType: 'salesforce#tenant-b', tenant: 'tenant-b' });
    expect(await cipher.decrypt(envelope, 'salesforce#tenant-a')).toBe(TOKEN);
  });

  it('maps IncorrectKeyException (another KMS key) to DecryptError', async () => {
    const { envelope, reader, kms } = await envelopeAndReader();
    kms.failures.push('IncorrectKeyException');
    expect(await caught(() => reader.decrypt(envelope, TOKEN_TYPE))).toBeInstanceOf(DecryptError);
  });

  it.each(['AccessDeniedException', 'ThrottlingException', 'KMSInternalException', 'DisabledException'])(
    'maps %s to KmsError, never DecryptError: KMS trouble is not a missing token',
    async (name) => {
      const { envelope, reader, kms } = await envelopeAndReader();
      kms.failures.push(name);
      const error = await caught(() => reader.decrypt(envelope, TOKEN_TYPE));
      expect(error).toBeInstanceOf(KmsError);
      expect(isSharedTokenError(error, 'DecryptError')).toBe(false);
      expect(error).toMatchObject({
        operation: 'Decrypt',
        code: name,
        message: `KMS Decrypt failed: ${name}`,
      });
      // Not cached either: the next decrypt succeeds.
      expect(await reader.decrypt(envelope, TOKEN_TYPE)).toBe(TOKEN);
    },
  );
});

describe('KmsCipher keeps key material out of sight', () => {
  it('zero-fills the plaintext data keys KMS returned, and shows none in inspect, JSON or errors', async () => {
    const kms = new FakeKms(KEY_ID);
    const writer = new KmsCipher({ keyId: KEY_ID, client: kms, dataKeyMaxUses: 1 });
    const reader = new KmsCipher({ keyId: KEY_ID, client: kms });
    const envelope = await writer.encrypt(TOKEN, TOKEN_TYPE);
    await writer.encrypt(TOKEN, TOKEN_TYPE);
    await reader.decrypt(envelope, TOKEN_TYPE);
    const error = await caught(() => reader.decrypt(envelope, 'other'));

    expect(kms.issued).toHaveLength(2);
    for (const key of kms.issued) expect(key.every((byte) => byte === 0)).toBe(true);
    const renderings = [
      inspect(writer, { depth: Infinity, showHidden: true }),
      inspect(reader, { depth: Infinity, showHidden: true }),
      JSON.stringify(writer),
      JSON.stringify(reader),
      inspect(error, { depth: Infinity }),
      String((error as Error).stack),
    ].join('\n');
    for (const hex of kms.issuedHex) {
      expect(renderings).not.toContain(hex);
      expect(renderings).not.toContain(Buffer.from(hex, 'hex').toString('base64'));
    }
    expect(renderings).not.toContain(TOKEN);
  });
});

describe('KmsCipher options', () => {
  const client = new FakeKms(KEY_ID);
  it.each<[string, unknown, RegExp]>([
    ['not an object', null, /KmsCipher options must be an object/],
    [
      'an unknown option',
      { keyId: KEY_ID, keyID: 'x' },
      /Unknown KmsCipher option "keyID"; known options: keyId, client/,
    ],
    ['no keyId', {}, /KmsCipher option "keyId" is required/],
    ['an empty keyId', { keyId: '' }, /"keyId" must be/],
    ['a keyId with spaces', { keyId: 'alias/my key' }, /"keyId" must be/],
    [
      'client and clientOptions',
      { keyId: KEY_ID, client, clientOptions: {} },
      /"client" or "clientOptions", not both/,
    ],
    ['a client without send', { keyId: KEY_ID, client: {} }, /"client" must be a KMSClient/],
    ['a clock without now', { keyId: KEY_ID, clock: Date }, /"clock" must be an object with now\(\)/],
    [
      'dataKeyMaxAgeMs 0',
      { keyId: KEY_ID, dataKeyMaxAgeMs: 0 },
      /"dataKeyMaxAgeMs" must be a whole number from 1 to 86400000/,
    ],
    [
      'dataKeyMaxUses 0',
      { keyId: KEY_ID, dataKeyMaxUses: 0 },
      /"dataKeyMaxUses" must be a whole number from 1 to 4294967296/,
    ],
    ['dataKeyMaxUses past 2^32', { keyId: KEY_ID, dataKeyMaxUses: 2 ** 32 + 1 }, /"dataKeyMaxUses"/],
    [
      'a fractional decryptCacheMaxEntries',
      { keyId: KEY_ID, decryptCacheMaxEntries: 1.5 },
      /"decryptCacheMaxEntries" must be a whole number from 0/,
    ],
    ['a string for a number', { keyId: KEY_ID, dataKeyMaxUses: '10' }, /"dataKeyMaxUses"/],
  ])('refuses %s with a ConfigurationError naming it', (_what, options, message) => {
    const build = () => new KmsCipher(options as KmsCipherOptions);
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(message);
  });

  it.each([
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'mrk-1234abcd12ab34cd56ef1234567890ab',
    'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'alias/shared-tokens',
    'arn:aws:kms:eu-west-1:111122223333:alias/prod/tokens',
  ])('accepts the key id %s', (keyId) => {
    expect(new KmsCipher({ keyId }).keyId).toBe(keyId);
  });

  it('kmsCipher() checks the options at once and serves one cipher for every secret generation', () => {
    expect(() => kmsCipher({ keyId: KEY_ID, dataKeyMaxUses: -1 })).toThrow(ConfigurationError);
    const factory = kmsCipher({ keyId: KEY_ID, client });
    const secret = (salt: string) =>
      parseProviderSecret(
        '/test/app/oauth/salesforce',
        JSON.stringify({ clientId: 'id', clientSecret: 's', salt }),
      );
    const first = factory(secret('first-salt-0123456789abcdef'));
    expect(first).toBeInstanceOf(KmsCipher);
    expect(factory(secret('second-salt-0123456789abcdef'))).toBe(first);
  });

  it('turns a missing @aws-sdk/client-kms into a ConfigurationError saying what to install', () => {
    const missing = Object.assign(new Error("Cannot find package '@aws-sdk/client-kms'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = sdkLoadError(missing);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/npm install @aws-sdk\/client-kms/);
    expect(error.cause).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    const other = new SyntaxError('broken');
    expect(sdkLoadError(other)).toBe(other);
  });
});

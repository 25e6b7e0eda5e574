import { createCipheriv, hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, DecryptError, isSharedTokenError } from 'lambda-shared-token';
import { MIN_SALT_LENGTH, SaltCipher, type SaltCipherOptions } from 'lambda-shared-token/advanced';
import { caught, thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const SALT = testSecret('salt', 'current-salt-');
const OLD_SALT = testSecret('oldSalt', 'old-salt-');
const OTHER_SALT = testSecret('otherSalt', 'unrelated-salt-');
// The prefix keeps the original fixture's length (72 characters): padding tests depend on it.
const TOKEN = testSecret('accessToken', '00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.dvvpvK');
const TOKEN_TYPE = 'salesforce';

const decode = (envelope: string): Buffer => Buffer.from(envelope, 'base64');
const encode = (bytes: Buffer): string => bytes.toString('base64');

/** Every way an error could reach a log line. */
function renderings(error: unknown): string[] {
  const asError = error as Error;
  return [
    asError.message,
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 5 }),
    String(asError.stack),
    String(asError.cause),
  ];
}

describe('SaltCipher round trip', () => {
  it('decrypts what it encrypted, for ASCII, unicode, empty and 4 KB tokens', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const unicode = 'tökén-日本語-🔑-e\u0301-\u{10FFFF}';
    const big = 'x'.repeat(4096);
    for (const plaintext of [TOKEN, unicode, '', big]) {
      const envelope = await cipher.encrypt(plaintext, TOKEN_TYPE);
      expect(await cipher.decrypt(envelope, TOKEN_TYPE)).toBe(plaintext);
    }
  });

  it('decrypts with a second instance built from the same salt, as another container would', async () => {
    const envelope = await new SaltCipher({ salts: [SALT] }).encrypt(TOKEN, TOKEN_TYPE);
    expect(await new SaltCipher({ salts: [SALT] }).decrypt(envelope, TOKEN_TYPE)).toBe(TOKEN);
  });

  it('writes the documented layout: version 1, the current key id, a 12-byte IV, the ciphertext, a 16-byte tag', async () => {
    const cipher = new SaltCipher({ salts: [SALT, OLD_SALT] });
    const bytes = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    expect(bytes[0]).toBe(1);
    expect(bytes.subarray(1, 5).toString('hex')).toBe(cipher.keyIds()[0]);
    expect(bytes.length).toBe(1 + 4 + 12 + Buffer.byteLength(TOKEN) + 16);
  });

  it('uses a fresh IV for every encryption, so two envelopes of one token differ', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const first = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    const second = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    expect(first.subarray(5, 17).equals(second.subarray(5, 17))).toBe(false);
    expect(first.subarray(17).equals(second.subarray(17))).toBe(false);
  });

  it('never puts the plaintext in the envelope, neither raw nor as base64 at any byte alignment', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const envelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    expect(envelope).not.toContain(TOKEN);
    expect(decode(envelope).includes(Buffer.from(TOKEN))).toBe(false);
    // base64 of the token as it would appear at each of the 3 byte alignments, minus the
    // edge characters that mix in neighbouring bytes.
    for (const shift of [0, 1, 2]) {
      const shifted = encode(Buffer.concat([Buffer.alloc(shift), Buffer.from(TOKEN)]));
      const middle = shifted.slice(shift === 0 ? 0 : 4, -4);
      expect(middle.length).toBeGreaterThan(40);
      expect(envelope).not.toContain(middle);
    }
  });
});

describe('SaltCipher authentication', () => {
  it('refuses an envelope copied to another tokenType', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const envelope = await cipher.encrypt(TOKEN, 'salesforce#tenant-1');
    const error = await caught(() => cipher.decrypt(envelope, 'salesforce#tenant-2'));
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as Error).message).toBe('ciphertext does not authenticate for this tokenType and key');
    // The cause is Node's own crypto error (from another realm under Jest's VM): check by shape.
    expect((error as Error).cause).toHaveProperty('message');
    expect(isSharedTokenError(error, 'DecryptError')).toBe(true);
  });

  it('refuses a tokenType that only differs in case or by a suffix', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const envelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    for (const tokenType of ['Salesforce', 'salesforce ', 'salesforce#', 'salesforc']) {
      await expect(cipher.decrypt(envelope, tokenType)).rejects.toBeInstanceOf(DecryptError);
    }
  });

  it('refuses the envelope when any single bit of any byte is flipped', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const bytes = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    const accepted: string[] = [];
    for (let position = 0; position < bytes.length; position++) {
      for (const mask of [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff]) {
        const tampered = Buffer.from(bytes);
        tampered[position] = tampered[position]! ^ mask;
        const error = await cipher.decrypt(encode(tampered), TOKEN_TYPE).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(error instanceof DecryptError)) accepted.push(`byte ${position} mask ${mask}`);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('names what failed for a tampered version, key id and body', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const bytes = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    const flip = (position: number): string => {
      const tampered = Buffer.from(bytes);
      tampered[position] = tampered[position]! ^ 0x01;
      return encode(tampered);
    };
    await expect(cipher.decrypt(flip(0), TOKEN_TYPE)).rejects.toThrow(/unknown envelope format version 0/);
    await expect(cipher.decrypt(flip(2), TOKEN_TYPE)).rejects.toThrow(/unknown key id/);
    await expect(cipher.decrypt(flip(10), TOKEN_TYPE)).rejects.toThrow(/does not authenticate/);
    await expect(cipher.decrypt(flip(bytes.length - 1), TOKEN_TYPE)).rejects.toThrow(/does not authenticate/);
  });

  it('refuses the envelope truncated at every length, and extended by a byte', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const bytes = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    const accepted: number[] = [];
    for (let length = 0; length < bytes.length; length++) {
      const error = await cipher.decrypt(encode(bytes.subarray(0, length)), TOKEN_TYPE).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof DecryptError)) accepted.push(length);
    }
    expect(accepted).toEqual([]);
    await expect(cipher.decrypt(encode(bytes.subarray(0, 20)), TOKEN_TYPE)).rejects.toThrow(
      /envelope is truncated/,
    );
    await expect(cipher.decrypt('', TOKEN_TYPE)).rejects.toThrow(/envelope is truncated/);
    const extended = Buffer.concat([bytes, Buffer.from([0])]);
    await expect(cipher.decrypt(encode(extended), TOKEN_TYPE)).rejects.toBeInstanceOf(DecryptError);
  });

  it('refuses an envelope written under another salt', async () => {
    const envelope = await new SaltCipher({ salts: [OTHER_SALT] }).encrypt(TOKEN, TOKEN_TYPE);
    const cipher = new SaltCipher({ salts: [SALT] });
    await expect(cipher.decrypt(envelope, TOKEN_TYPE)).rejects.toThrow(/unknown key id/);
    await expect(cipher.decrypt(envelope, TOKEN_TYPE)).rejects.toBeInstanceOf(DecryptError);
  });

  it('refuses an envelope written under another salt even when its key id is forged to match', async () => {
    const other = decode(await new SaltCipher({ salts: [OTHER_SALT] }).encrypt(TOKEN, TOKEN_TYPE));
    const cipher = new SaltCipher({ salts: [SALT] });
    Buffer.from(cipher.keyIds()[0]!, 'hex').copy(other, 1);
    await expect(cipher.decrypt(encode(other), TOKEN_TYPE)).rejects.toThrow(/does not authenticate/);
  });

  it('refuses an unknown format version, even with an otherwise intact body', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const bytes = decode(await cipher.encrypt(TOKEN, TOKEN_TYPE));
    for (const version of [0, 2, 255]) {
      const changed = Buffer.from(bytes);
      changed[0] = version;
      const error = await caught(() => cipher.decrypt(encode(changed), TOKEN_TYPE));
      expect(error).toBeInstanceOf(DecryptError);
      expect((error as Error).message).toMatch(`unknown envelope format version ${version}`);
    }
  });

  it('refuses non-base64 garbage and values that are not strings', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const valid = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    const garbage = [
      'not base64 at all!',
      '%%%%',
      `${valid}\n`,
      ` ${valid}`,
      `${valid.slice(0, 8)} ${valid.slice(8)}`,
      '-_-_AAAA',
      valid.slice(0, -1),
      'AQ', // unpadded
      'AQ=', // short of padding
      `${valid}====`,
      'AB=C',
      'AQ==AQ==',
      'AB==', // decodes, but not canonically: the unused bits are not zero
      TOKEN,
    ];
    for (const envelope of garbage) {
      const error = await caught(() => cipher.decrypt(envelope, TOKEN_TYPE));
      expect(error).toBeInstanceOf(DecryptError);
    }
    // The same bytes spelled non-canonically (unused bits of the last character set):
    // lenient decoding would accept it, so only the canonical check can refuse it.
    const padded = await cipher.encrypt(`${TOKEN}x`, TOKEN_TYPE);
    expect(padded.endsWith('==')).toBe(true);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(padded.at(-3)!);
    const respelled = `${padded.slice(0, -3)}${alphabet[last ^ 0b0001]}==`;
    expect(Buffer.from(respelled, 'base64').equals(decode(padded))).toBe(true);
    await expect(cipher.decrypt(respelled, TOKEN_TYPE)).rejects.toThrow(/not canonical base64/);
    for (const value of [undefined, null, 42, {}, Buffer.from(valid, 'base64')]) {
      const error = await caught(() => cipher.decrypt(value as unknown as string, TOKEN_TYPE));
      expect(error).toBeInstanceOf(DecryptError);
      expect((error as Error).message).toMatch(/envelope is not a string/);
    }
  });
});

describe('SaltCipher salt rotation', () => {
  it('decrypts a token written under the old salt once the new salt is current', async () => {
    const before = new SaltCipher({ salts: [OLD_SALT] });
    const during = new SaltCipher({ salts: [SALT, OLD_SALT] });
    const envelope = await before.encrypt(TOKEN, TOKEN_TYPE);
    expect(await during.decrypt(envelope, TOKEN_TYPE)).toBe(TOKEN);
  });

  it('encrypts under the new salt, so the old salt alone no longer decrypts new tokens', async () => {
    const before = new SaltCipher({ salts: [OLD_SALT] });
    const during = new SaltCipher({ salts: [SALT, OLD_SALT] });
    const envelope = await during.encrypt(TOKEN, TOKEN_TYPE);
    await expect(before.decrypt(envelope, TOKEN_TYPE)).rejects.toThrow(/unknown key id/);
    expect(await new SaltCipher({ salts: [SALT] }).decrypt(envelope, TOKEN_TYPE)).toBe(TOKEN);
  });

  it('reports one key id per salt, current first, stable across instances and distinct per salt', () => {
    const during = new SaltCipher({ salts: [SALT, OLD_SALT] });
    const ids = during.keyIds();
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(new SaltCipher({ salts: [SALT] }).keyIds()).toEqual([ids[0]]);
    expect(new SaltCipher({ salts: [OLD_SALT] }).keyIds()).toEqual([ids[1]]);
  });
});

describe('SaltCipher configuration', () => {
  const invalid: Array<[string, unknown, RegExp]> = [
    ['no salts', { salts: [] }, /at least one key; "salts" is empty/],
    ['a missing keys option', {}, /"keys" must be an array/],
    ['a single salt string instead of an array', { salts: SALT }, /"salts" must be an array/],
    ['no options at all', undefined, /options must be an object/],
    [
      'a salt that is too short',
      { salts: [SALT, 'short-salt-1234'] },
      /^key 2 of 2 is shorter than 16 characters$/,
    ],
    [
      'a salt of 16 UTF-16 units but fewer characters',
      { salts: ['🔑🔑🔑🔑🔑🔑🔑🔑'] },
      /^key 1 of 1 is shorter than 16 characters$/,
    ],
    ['a duplicate salt', { salts: [SALT, OLD_SALT, SALT] }, /^key 3 of 3 duplicates key 1$/],
    [
      'a salt that is not a string',
      { salts: [SALT, 1234567890123456] },
      /^key 2 of 2 is not a string \(got number\)$/,
    ],
    ['a null salt', { salts: [null] }, /^key 1 of 1 is not a string \(got null\)$/],
    ['a salt with a lone surrogate', { salts: [`${SALT}\uD800`] }, /^key 1 of 1 is not well-formed Unicode/],
    ['an unknown option', { salts: [SALT], salt: SALT }, /Unknown SaltCipher option "salt"/],
  ];

  it.each(invalid)('refuses %s with a ConfigurationError that names the problem', (_, options, message) => {
    const error = thrownBy<unknown>(() => new SaltCipher(options as SaltCipherOptions));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });

  it.each(invalid)('never echoes a salt when refusing %s', (_, options) => {
    const error = thrownBy<unknown>(() => new SaltCipher(options as SaltCipherOptions));
    expect(error).toBeInstanceOf(ConfigurationError);
    for (const text of renderings(error)) {
      for (const secret of [SALT, OLD_SALT, 'short-salt-1234', '🔑🔑🔑🔑🔑🔑🔑🔑', '1234567890123456']) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('accepts a salt of exactly the minimum length', () => {
    expect(MIN_SALT_LENGTH).toBe(16);
    expect(() => new SaltCipher({ salts: ['a'.repeat(MIN_SALT_LENGTH)] })).not.toThrow();
    expect(() => new SaltCipher({ salts: ['a'.repeat(MIN_SALT_LENGTH - 1)] })).toThrow(ConfigurationError);
  });

  it('refuses a randomBytes seam that does not return 12 bytes', async () => {
    const cipher = new SaltCipher({ salts: [SALT], randomBytes: () => Buffer.alloc(8) });
    await expect(cipher.encrypt(TOKEN, TOKEN_TYPE)).rejects.toThrow(ConfigurationError);
  });

  it('refuses an empty, non-string or ill-formed tokenType and a non-string plaintext with a TypeError', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const envelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    await expect(cipher.encrypt(TOKEN, '')).rejects.toThrow(TypeError);
    await expect(cipher.encrypt(TOKEN, 'a\uDC00')).rejects.toThrow(TypeError);
    await expect(cipher.encrypt(42 as unknown as string, TOKEN_TYPE)).rejects.toThrow(TypeError);
    await expect(cipher.encrypt('tok\uD800en', TOKEN_TYPE)).rejects.toThrow(TypeError);
    await expect(cipher.decrypt(envelope, '')).rejects.toThrow(TypeError);
    await expect(cipher.decrypt(envelope, undefined as unknown as string)).rejects.toThrow(TypeError);
  });
});

describe('SaltCipher secrecy', () => {
  it('never puts the salt or the plaintext in an error, however it is rendered', async () => {
    const cipher = new SaltCipher({ salts: [SALT, OLD_SALT] });
    const envelope = await cipher.encrypt(TOKEN, TOKEN_TYPE);
    const bytes = decode(envelope);
    const tampered = Buffer.from(bytes);
    tampered[30] = tampered[30]! ^ 0xff;
    const errors = [
      await caught(() => cipher.decrypt(envelope, 'other')),
      await caught(() => cipher.decrypt(encode(tampered), TOKEN_TYPE)),
      await caught(() => cipher.decrypt(encode(bytes.subarray(0, 20)), TOKEN_TYPE)),
      await caught(() => new SaltCipher({ salts: [OTHER_SALT] }).decrypt(envelope, TOKEN_TYPE)),
      await caught(() => cipher.decrypt(TOKEN, TOKEN_TYPE)),
      await caught(() => cipher.decrypt(`${envelope}!`, TOKEN_TYPE)),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(DecryptError);
      for (const text of renderings(error)) {
        for (const secret of [SALT, OLD_SALT, TOKEN, envelope, encode(Buffer.from(TOKEN))]) {
          expect(text).not.toContain(secret);
        }
      }
    }
  });

  it('shows neither salt nor key when the cipher itself is logged', async () => {
    const cipher = new SaltCipher({ salts: [SALT] });
    const key = Buffer.from(
      hkdfSync('sha256', SALT, 'lambda-shared-token', 'lambda-shared-token/aes-256-gcm/v1', 32),
    );
    for (const text of [
      JSON.stringify(cipher),
      inspect(cipher, { depth: 10, showHidden: true }),
      String(cipher),
    ]) {
      expect(text).not.toContain(SALT);
      expect(text).not.toContain(key.toString('hex'));
      expect(text).not.toContain(key.toString('base64'));
    }
  });
});

describe('SaltCipher known answer', () => {
  it('produces the envelope computed independently from the documented HKDF parameters and layout', async () => {
    const salt = 'known-answer-salt-0123456789';
    const iv = Buffer.from('000102030405060708090a0b', 'hex');
    const requested: number[] = [];
    const cipher = new SaltCipher({
      salts: [salt],
      randomBytes: (size) => {
        requested.push(size);
        return Buffer.from(iv);
      },
    });

    // The documented derivation, written out here rather than imported: changing any of
    // these constants would orphan every stored token, and this test must notice.
    const key = Buffer.from(
      hkdfSync('sha256', salt, 'lambda-shared-token', 'lambda-shared-token/aes-256-gcm/v1', 32),
    );
    const keyId = Buffer.from(
      hkdfSync('sha256', salt, 'lambda-shared-token', 'lambda-shared-token/key-id/v1', 4),
    );
    const header = Buffer.concat([Buffer.from([1]), keyId]);
    const aes = createCipheriv('aes-256-gcm', key, iv);
    aes.setAAD(Buffer.concat([header, Buffer.from('webex#tenant-ä', 'utf8')]));
    const body = Buffer.concat([aes.update('token-ä-🔑', 'utf8'), aes.final()]);
    const expected = Buffer.concat([header, iv, body, aes.getAuthTag()]).toString('base64');

    const envelope = await cipher.encrypt('token-ä-🔑', 'webex#tenant-ä');
    expect(envelope).toBe(expected);
    expect(requested).toEqual([12]);
    expect(cipher.keyIds()).toEqual([keyId.toString('hex')]);
    expect(await cipher.decrypt(expected, 'webex#tenant-ä')).toBe('token-ä-🔑');
  });
});

describe('SaltCipher.keyIdOf', () => {
  const current = 'current-salt-0123456789';
  const older = 'older-salt-0123456789ab';

  it('names the key an envelope was written under, which is one of keyIds()', async () => {
    const cipher = new SaltCipher({ salts: [current, older] });
    const envelope = await new SaltCipher({ salts: [older] }).encrypt('token', 'salesforce');

    expect(cipher.keyIdOf(envelope)).toBe(cipher.keyIds()[1]);
  });

  it('reads the id of a key it does not hold, so a caller can tell rotation from tampering', async () => {
    const envelope = await new SaltCipher({ salts: [older] }).encrypt('token', 'salesforce');
    const cipher = new SaltCipher({ salts: [current] });

    expect(cipher.keyIds()).not.toContain(cipher.keyIdOf(envelope));
    expect(cipher.keyIdOf(envelope)).toMatch(/^[0-9a-f]{8}$/);
  });

  it('returns undefined for text that is not a version 1 envelope', () => {
    const cipher = new SaltCipher({ salts: [current] });

    expect(cipher.keyIdOf('not base64!')).toBeUndefined();
    expect(cipher.keyIdOf(Buffer.from([2, 1, 2, 3, 4]).toString('base64'))).toBeUndefined();
    expect(cipher.keyIdOf(Buffer.alloc(20, 1).toString('base64'))).toBeUndefined();
  });
});

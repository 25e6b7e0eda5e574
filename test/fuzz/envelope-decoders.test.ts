/**
 * Fuzzing the envelope decoders: the strict base64 of both ciphers, the KMS envelope parser,
 * SaltCipher.decrypt (format 1) and KmsCipher.decrypt (format 2, against an in-process fake KMS).
 * For any input they return or throw DecryptError (or the TypeError documented for a bad
 * tokenType); an altered envelope never decrypts; an error never shows the plaintext, the salt
 * or a key; no run hangs.
 */
import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { TokenCipher } from 'lambda-shared-token';
import { DecryptError } from 'lambda-shared-token';
import { KMS_ENVELOPE_VERSION, KmsCipher, SaltCipher } from 'lambda-shared-token/advanced';
import { decodeEnvelopeBase64 } from '../../layer/crypto/envelope-base64.js';
import { parseKmsEnvelope } from '../../layer/crypto/kms-envelope.js';
import { HKDF_SALT, KEY_INFO } from '../../layer/crypto/salt-cipher.js';
import { FakeKms } from '../support/fake-kms.js';
import {
  anyText,
  anyValue,
  assertFuzz,
  documentedTypeError,
  expectNoLeak,
  expectTypedError,
  fuzzProperty,
  HANG_TURNS,
  mutateText,
  outcomeOf,
  outcomeOfSync,
  plantedFailure,
  secretText,
  type TextMutation,
  textMutation,
  tokenType,
} from './fuzz-support.js';

/** The TypeErrors decrypt documents for a tokenType that is not a non-empty, well-formed string. */
const TOKEN_TYPE_ERROR = documentedTypeError(
  /^tokenType (must be a string|must not be empty|is not well-formed Unicode)/,
);

const KMS_KEY_ID = 'alias/fuzz-tokens';

/** What a cipher under test keeps secret, by label, for the leak check. */
type Secrets = Record<string, string | Uint8Array>;

/** One cipher family under test: how to build a cipher from a key seed, and its secrets. */
interface CipherFamily {
  name: string;
  /** A cipher under the key named by `keySeed` (a salt, or a fake KMS's master key). */
  make(keySeed: string): { cipher: TokenCipher; secrets: () => Secrets };
}

const saltFamily: CipherFamily = {
  name: 'SaltCipher',
  make(salt) {
    const cipher = new SaltCipher({ salts: [salt] });
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(salt, 'utf8'), HKDF_SALT, KEY_INFO, 32));
    return { cipher, secrets: () => ({ salt, key }) };
  },
};

const kmsFamily: CipherFamily = {
  name: 'KmsCipher',
  make() {
    const kms = new FakeKms(KMS_KEY_ID);
    const cipher = new KmsCipher({ keyId: KMS_KEY_ID, client: kms });
    return {
      cipher,
      secrets: () => ({
        'KMS master key': kms.master,
        ...Object.fromEntries(
          kms.issuedHex.map((hex, index) => [`data key ${index + 1}`, Buffer.from(hex, 'hex')]),
        ),
      }),
    };
  },
};

/** How a decrypt is called; a planted bug replaces it. */
type Decrypt = (
  cipher: TokenCipher,
  envelope: unknown,
  tokenType: unknown,
  secrets: Secrets,
) => Promise<string>;

const realDecrypt: Decrypt = (cipher, envelope, type) => cipher.decrypt(envelope as string, type as string);

/** Decrypt of any envelope text or value, for a valid tokenType: returns, or throws DecryptError only. */
function anyEnvelopeIsTypedFailure(family: CipherFamily, decrypt: Decrypt) {
  const { cipher, secrets } = family.make('fixed-salt-for-any-input-0123456789');
  const input = fc.record({
    envelope: fc.oneof({ weight: 3, arbitrary: anyText }, { weight: 1, arbitrary: anyValue }),
    type: tokenType,
  });
  return fuzzProperty(input, async ({ envelope, type }) => {
    const outcome = await outcomeOf(() => decrypt(cipher, envelope, type, secrets()));
    // Nothing was encrypted under this cipher: any value returned was made up.
    if (outcome.returned) throw new Error('decrypt returned a value for an envelope it never wrote');
    expectTypedError(outcome.error, [DecryptError]);
  });
}

/** Decrypt of a real envelope under any tokenType value: returns, DecryptError, or the documented TypeError. */
function anyTokenTypeIsTypedFailure(family: CipherFamily) {
  const { cipher } = family.make('fixed-salt-for-token-types-0123456789');
  const input = fc.record({ type: fc.oneof(anyValue, anyText), written: tokenType });
  return fuzzProperty(input, async ({ type, written }) => {
    const envelope = await cipher.encrypt('token-for-any-token-type', written);
    const outcome = await outcomeOf(() => cipher.decrypt(envelope, type as string));
    if (outcome.returned) {
      if (type !== written) throw new Error('decrypt returned a token for another tokenType');
      return;
    }
    expectTypedError(outcome.error, [DecryptError], TOKEN_TYPE_ERROR);
  });
}

type Alteration =
  | { kind: 'text'; mutation: TextMutation }
  | { kind: 'token-type'; other: string }
  | { kind: 'key'; other: string };

const alteration: fc.Arbitrary<Alteration> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('text' as const), mutation: textMutation }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('token-type' as const), other: tokenType }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('key' as const), other: secretText(16) }) },
);

/**
 * A real envelope of a random token, then altered (bytes, text, tokenType, key): decrypt never
 * returns, throws DecryptError, and the error shows neither the token nor any key material.
 */
function alteredEnvelopeNeverDecrypts(family: CipherFamily, decrypt: Decrypt) {
  const input = fc.record({
    plaintext: fc.string({ unit: 'grapheme', maxLength: 80 }),
    keySeed: secretText(16),
    type: tokenType,
    alteration,
  });
  return fuzzProperty(input, async ({ plaintext, keySeed, type, alteration: change }) => {
    const { cipher, secrets } = family.make(keySeed);
    const envelope = await cipher.encrypt(plaintext, type);
    let reader = { cipher, secrets };
    let altered = envelope;
    let readAs = type;
    if (change.kind === 'text') {
      const mutated = mutatedFrom(envelope, change.mutation);
      fc.pre(mutated !== false);
      altered = mutated;
    }
    if (change.kind === 'token-type') {
      fc.pre(change.other !== type);
      readAs = change.other;
    }
    if (change.kind === 'key') {
      fc.pre(change.other !== keySeed);
      reader = family.make(change.other);
    }
    const outcome = await outcomeOf(() => decrypt(reader.cipher, altered, readAs, reader.secrets()));
    if (outcome.returned)
      throw new Error(`decrypt returned a value for an envelope altered by ${change.kind}`);
    expectTypedError(outcome.error, [DecryptError]);
    expectNoLeak(outcome.error, { plaintext, ...secrets(), ...reader.secrets() });
  });
}

/** The altered text, or false (a precondition failure) when the mutation changed nothing. */
function mutatedFrom(envelope: string, mutation: TextMutation): string | false {
  const altered = mutateText(envelope, mutation);
  return altered !== envelope && altered;
}

describe.each([saltFamily, kmsFamily])('$name.decrypt under fuzzing', (family) => {
  it('throws only DecryptError for any envelope text or value', async () => {
    await assertFuzz(anyEnvelopeIsTypedFailure(family, realDecrypt), 300);
  });

  it('throws only DecryptError or the documented TypeError for any tokenType', async () => {
    await assertFuzz(anyTokenTypeIsTypedFailure(family), 200);
  });

  it('never returns a token for an altered envelope, and its error shows no token, salt or key', async () => {
    await assertFuzz(alteredEnvelopeNeverDecrypts(family, realDecrypt), 400);
  });
});

describe('decodeEnvelopeBase64 and parseKmsEnvelope under fuzzing', () => {
  it('return canonical bytes (or consistent parts) for any input, or throw DecryptError', async () => {
    const property = fuzzProperty(fc.oneof(anyText, anyValue), (input) => {
      const decoded = outcomeOfSync(() => decodeEnvelopeBase64(input));
      if (decoded.returned && decoded.value.toString('base64') !== input) {
        throw new Error('decodeEnvelopeBase64 accepted a text that is not the canonical base64 of its bytes');
      }
      if (!decoded.returned) expectTypedError(decoded.error, [DecryptError]);
      const parsed = outcomeOfSync(() => parseKmsEnvelope(input));
      if (!parsed.returned) return expectTypedError(parsed.error, [DecryptError]);
      const { header, encryptedKey, iv, tag } = parsed.value;
      if (header[0] !== KMS_ENVELOPE_VERSION || header.readUInt16BE(1) !== encryptedKey.length) {
        throw new Error('parseKmsEnvelope returned a header that does not describe its data key');
      }
      if (encryptedKey.length === 0 || iv.length !== 12 || tag.length !== 16) {
        throw new Error('parseKmsEnvelope returned parts of the wrong sizes');
      }
    });
    await assertFuzz(property, 500);
  });
});

describe('the envelope properties catch planted bugs', () => {
  it('catches a decoder that reads lenient base64 (whitespace, url-safe, non-canonical) as the original', async () => {
    // Buffer.from(..., 'base64') skips junk and ignores unused bits: the bug envelope-base64.ts prevents.
    const lenient: Decrypt = (cipher, envelope, type) =>
      cipher.decrypt(Buffer.from(String(envelope), 'base64').toString('base64'), type as string);
    const report = await plantedFailure(alteredEnvelopeNeverDecrypts(saltFamily, lenient), 400);
    expect(report).toMatch(/decrypt returned a value for an envelope altered by text/);
  });

  it('catches a decoder that lets a RangeError or TypeError escape', async () => {
    const careless: Decrypt = async (cipher, envelope, type) => {
      const bytes = Buffer.from(envelope as string, 'base64'); // TypeError for a non-string
      if (bytes.readUInt8(0) !== 1) throw new DecryptError('unknown version'); // RangeError when empty
      return cipher.decrypt(envelope as string, type as string);
    };
    const report = await plantedFailure(anyEnvelopeIsTypedFailure(saltFamily, careless), 300);
    expect(report).toMatch(/untyped throw: expected DecryptError, got (RangeError|TypeError)/);
  });

  it('catches an error that names the salt, and a KMS data key in a cause of ours', async () => {
    const namesSalt: Decrypt = async (cipher, envelope, type, secrets) => {
      try {
        return await cipher.decrypt(envelope as string, type as string);
      } catch {
        throw new DecryptError(`no key for salt ${String(secrets.salt)}`);
      }
    };
    expect(await plantedFailure(alteredEnvelopeNeverDecrypts(saltFamily, namesSalt), 100)).toMatch(
      /the error shows the salt/,
    );
    const keyInCause: Decrypt = async (cipher, envelope, type, secrets) => {
      try {
        return await cipher.decrypt(envelope as string, type as string);
      } catch (cause) {
        // A cause of ours is kept as it is (a foreign one is reduced to its name and code).
        const leak = Object.assign(new DecryptError('data key', { cause }), { key: secrets['data key 1'] });
        throw new DecryptError('cannot decrypt', { cause: leak });
      }
    };
    expect(await plantedFailure(alteredEnvelopeNeverDecrypts(kmsFamily, keyInCause), 100)).toMatch(
      /the error shows the data key 1/,
    );
  });

  it('catches a decrypt that never settles (the hang detector, counted in event-loop turns)', async () => {
    const stuck: Decrypt = () => new Promise<string>(() => {});
    const report = await plantedFailure(anyEnvelopeIsTypedFailure(saltFamily, stuck), 5);
    expect(report).toBe(`the run had not settled after ${HANG_TURNS} turns of the event loop: a hang`);
  });
});

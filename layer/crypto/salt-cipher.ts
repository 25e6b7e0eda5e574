/**
 * SaltCipher: the default {@link TokenCipher}. Keys come from the `salt` (or `salts`)
 * of the provider's secret through HKDF-SHA256; tokens are sealed with AES-256-GCM.
 *
 * Envelope (binary, then base64 text in the `accessToken` attribute):
 *
 * ```
 * offset  size  field
 *      0     1  format version, always 1 (ENVELOPE_VERSION)
 *      1     4  key id: HKDF-SHA256(salt, info KEY_ID_INFO), 4 bytes
 *      5    12  IV, random per encryption
 *     17     n  ciphertext (n = UTF-8 length of the plaintext)
 *   17+n    16  GCM authentication tag
 * ```
 *
 * AAD = the 5 header bytes followed by the UTF-8 bytes of the tokenType. The header has a
 * fixed length, so the concatenation is unambiguous; GCM then authenticates the version,
 * the key id and the tokenType, so a header edit or an item copied to another tokenType
 * fails to decrypt (invariant I5).
 */
import { createSecretKey, hkdfSync, type KeyObject, randomBytes as nodeRandomBytes } from 'node:crypto';
import { ConfigurationError, DecryptError } from '../errors/error-classes.js';
import { aFunction, anyValue, type OptionRules, validateOptions } from '../options/option-rules.js';
import { IV_LENGTH, isWellFormed, open, requireWellFormed, seal, TAG_LENGTH } from './aes-gcm.js';
import { decodeEnvelopeBase64 } from './envelope-base64.js';
import type { TokenCipher } from './token-cipher.js';

/** Shortest salt accepted, in characters (Unicode code points). */
export const MIN_SALT_LENGTH = 16;

/** First byte of every envelope written by this version of the code. */
const ENVELOPE_VERSION = 1;

/**
 * HKDF `salt` parameter: a fixed, public domain separator. The secret's `salt` is the
 * HKDF input keying material (the secret), not this value.
 */
export const HKDF_SALT = 'lambda-shared-token';

/** HKDF `info` for the 32-byte AES-256-GCM key. Changing it changes every key: bump the version. */
export const KEY_INFO = 'lambda-shared-token/aes-256-gcm/v1';

/**
 * HKDF `info` for the 4-byte key id. A separate info makes the id an independent PRF
 * output: it names the key without revealing anything about the key or the salt.
 */
const KEY_ID_INFO = 'lambda-shared-token/key-id/v1';

const KEY_LENGTH = 32;
const KEY_ID_LENGTH = 4;
const HEADER_LENGTH = 1 + KEY_ID_LENGTH;
const MIN_ENVELOPE_LENGTH = HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;

/** Every option SaltCipher accepts; the salts themselves are checked by validateSalts. */
const SALT_CIPHER_OPTIONS: OptionRules = { salts: anyValue, randomBytes: aFunction };

/** Options of {@link SaltCipher}. */
export interface SaltCipherOptions {
  /**
   * Salts from the provider's secret, CURRENT FIRST. New tokens are encrypted under the
   * first; the others only decrypt tokens written before a salt rotation. Each must be a
   * string of at least {@link MIN_SALT_LENGTH} characters, without duplicates.
   */
  salts: readonly string[];
  /**
   * Source of the random IV. For tests only (a fixed IV makes a known-answer test
   * possible); production code must leave it out. A repeated IV under one key breaks
   * AES-GCM completely.
   * @default crypto.randomBytes
   */
  randomBytes?: (size: number) => Uint8Array;
}

interface DerivedKey {
  readonly id: Buffer;
  readonly idHex: string;
  readonly key: KeyObject;
}

/**
 * AES-256-GCM cipher keyed by the salt(s) of the provider's secret.
 *
 * Keys are derived once, synchronously, at construction; the salts themselves are not
 * kept. Key material lives in private fields and `KeyObject`s, so neither
 * `JSON.stringify` nor `util.inspect` of a cipher shows it.
 *
 * @example
 * const cipher = new SaltCipher({ salts: [secret.salt] });
 * const envelope = await cipher.encrypt(accessToken, 'salesforce');
 */
export class SaltCipher implements TokenCipher {
  /** Current key first, in the order of the salts. */
  readonly #keys: readonly DerivedKey[];
  readonly #byId: ReadonlyMap<string, DerivedKey>;
  readonly #randomBytes: (size: number) => Uint8Array;

  /**
   * @throws ConfigurationError when the options are not an object, hold an unknown key,
   * or the salts are missing, empty, not strings, too short, not well-formed Unicode,
   * duplicated, or (one chance in 2^32 per pair) derive the same key id. The message names
   * the salt by position and never contains a salt.
   */
  constructor(options: SaltCipherOptions) {
    // Names the option, never its value: that might be a salt.
    validateOptions('SaltCipher', options, SALT_CIPHER_OPTIONS);
    const salts = validateSalts(options.salts);
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;

    const keys = salts.map(deriveKey);
    const byId = new Map<string, DerivedKey>();
    keys.forEach((key, index) => {
      const earlier = keys.findIndex((other) => other.idHex === key.idHex);
      // Distinct salts colliding on a 32-bit id is a 2^-32 accident, but decrypt selects the
      // key by id alone, so a collision would make the older salt unreachable: refuse it.
      if (earlier !== index) {
        throw new ConfigurationError(
          `salts ${earlier + 1} and ${index + 1} of ${keys.length} derive the same key id; replace one of them`,
        );
      }
      byId.set(key.idHex, key);
    });
    this.#keys = keys;
    this.#byId = byId;
  }

  /**
   * Key ids (8 hex digits each), current first, in the order of the salts. Not secret:
   * meant for tests and telemetry (which salt a rotation is on).
   */
  keyIds(): string[] {
    return this.#keys.map((key) => key.idHex);
  }

  /**
   * The key id an envelope names (8 hex digits), or `undefined` when it is not a readable
   * version 1 envelope. Says nothing about whether it decrypts: a caller that meets an id
   * it does not know may fetch the secret again (a salt rotation under way elsewhere).
   */
  keyIdOf(envelope: string): string | undefined {
    let bytes: Buffer;
    try {
      bytes = decodeEnvelopeBase64(envelope);
    } catch {
      return undefined;
    }
    if (bytes.length < MIN_ENVELOPE_LENGTH || bytes.readUInt8(0) !== ENVELOPE_VERSION) return undefined;
    return bytes.subarray(1, HEADER_LENGTH).toString('hex');
  }

  /**
   * Encrypts `plaintext` for the item of `tokenType` under the current (first) key.
   * @returns the envelope as base64 text.
   * @throws TypeError when an argument is not a well-formed string or `tokenType` is empty.
   */
  async encrypt(plaintext: string, tokenType: string): Promise<string> {
    requireWellFormed(plaintext, 'plaintext', true);
    requireWellFormed(tokenType, 'tokenType', false);
    const current = this.#keys[0]!;
    const iv = Buffer.from(this.#randomBytes(IV_LENGTH));
    if (iv.length !== IV_LENGTH) {
      throw new ConfigurationError(
        `SaltCipher option "randomBytes" returned ${iv.length} bytes, expected ${IV_LENGTH}`,
      );
    }
    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt8(ENVELOPE_VERSION, 0);
    current.id.copy(header, 1);

    return seal(current.key, iv, header, tokenType, plaintext);
  }

  /**
   * Decrypts an envelope written by {@link SaltCipher.encrypt} for the same `tokenType`
   * under any of the configured salts.
   * @throws DecryptError when the envelope is not canonical base64, is truncated, has an
   * unknown format version or key id, or does not authenticate (tampered, written for
   * another tokenType, wrong key). The message says which; it never contains the
   * envelope, the plaintext, a key or a salt.
   * @throws TypeError when `tokenType` is not a non-empty, well-formed string.
   */
  async decrypt(envelope: string, tokenType: string): Promise<string> {
    requireWellFormed(tokenType, 'tokenType', false);
    const bytes = decodeEnvelopeBase64(envelope);
    if (bytes.length === 0) {
      throw new DecryptError('envelope is truncated: it is empty');
    }
    // The version is read before the length check: a future format may be shorter.
    const version = bytes.readUInt8(0);
    if (version !== ENVELOPE_VERSION) {
      throw new DecryptError(
        `unknown envelope format version ${version}; this code reads version ${ENVELOPE_VERSION}`,
      );
    }
    if (bytes.length < MIN_ENVELOPE_LENGTH) {
      throw new DecryptError(
        `envelope is truncated: ${bytes.length} bytes, a version ${ENVELOPE_VERSION} envelope has at least ${MIN_ENVELOPE_LENGTH}`,
      );
    }
    const header = bytes.subarray(0, HEADER_LENGTH);
    const key = this.#byId.get(header.subarray(1).toString('hex'));
    if (key === undefined) {
      throw new DecryptError(
        'unknown key id: the envelope was not written under any configured salt (or its header was altered)',
      );
    }
    const parts = {
      header,
      iv: bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH),
      ciphertext: bytes.subarray(HEADER_LENGTH + IV_LENGTH, bytes.length - TAG_LENGTH),
      tag: bytes.subarray(bytes.length - TAG_LENGTH),
    };
    return open(key.key, parts, tokenType, 'key');
  }
}

function validateSalts(salts: unknown): string[] {
  if (!Array.isArray(salts)) {
    throw new ConfigurationError('SaltCipher option "salts" must be an array of strings, current salt first');
  }
  if (salts.length === 0) {
    throw new ConfigurationError('SaltCipher needs at least one salt; "salts" is empty');
  }
  const total = salts.length;
  const checked: string[] = [];
  salts.forEach((salt: unknown, index) => {
    const position = `salt ${index + 1} of ${total}`;
    if (typeof salt !== 'string') {
      // typeof names the kind of value without echoing it.
      throw new ConfigurationError(
        `${position} is not a string (got ${salt === null ? 'null' : typeof salt})`,
      );
    }
    if (!isWellFormed(salt)) {
      // A lone surrogate becomes U+FFFD in UTF-8, so two different salts could give one key.
      throw new ConfigurationError(`${position} is not well-formed Unicode (it holds a lone surrogate)`);
    }
    if ([...salt].length < MIN_SALT_LENGTH) {
      throw new ConfigurationError(`${position} is shorter than ${MIN_SALT_LENGTH} characters`);
    }
    const first = checked.indexOf(salt);
    if (first !== -1) {
      throw new ConfigurationError(`${position} duplicates salt ${first + 1}`);
    }
    checked.push(salt);
  });
  return checked;
}

function deriveKey(salt: string): DerivedKey {
  // One HKDF extract per salt, two expands with distinct info: the key id and the key
  // are independent, so publishing the id (in every envelope) says nothing about the key.
  const ikm = Buffer.from(salt, 'utf8');
  const key = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, KEY_INFO, KEY_LENGTH));
  const id = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, KEY_ID_INFO, KEY_ID_LENGTH));
  const derived = { id, idHex: id.toString('hex'), key: createSecretKey(key) };
  // createSecretKey copied the bytes; do not leave a second copy to the garbage collector.
  key.fill(0);
  return derived;
}

/**
 * SaltCipher: the default {@link TokenCipher}. Keys come from the `key` (or `keys`; `salt` and
 * `salts` are their old names) of the provider's secret through HKDF-SHA256; tokens are sealed
 * with AES-256-GCM. The class keeps its old name: it is public in `lambda-shared-token/advanced`.
 *
 * Envelope (binary, then base64 text in the `accessToken` attribute):
 *
 * ```
 * offset  size  field
 *      0     1  format version, always 1 (ENVELOPE_VERSION)
 *      1     4  key id: HKDF-SHA256(key, info KEY_ID_INFO), 4 bytes
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

/** Shortest key accepted, in characters (Unicode code points). */
export const MIN_KEY_LENGTH = 16;
/** @deprecated the old name of {@link MIN_KEY_LENGTH}. */
export const MIN_SALT_LENGTH = MIN_KEY_LENGTH;

/** First byte of every envelope written by this version of the code. */
const ENVELOPE_VERSION = 1;

/**
 * HKDF `salt` parameter: a fixed, public domain separator. The secret's `key` is the HKDF
 * input keying material (the secret), not this value: which is why the field's old name,
 * `salt`, was misleading.
 */
export const HKDF_SALT = 'lambda-shared-token';

/** HKDF `info` for the 32-byte AES-256-GCM key. Changing it changes every key: bump the version. */
export const KEY_INFO = 'lambda-shared-token/aes-256-gcm/v1';

/**
 * HKDF `info` for the 4-byte key id. A separate info makes the id an independent PRF
 * output: it names the key without revealing anything about the key.
 */
const KEY_ID_INFO = 'lambda-shared-token/key-id/v1';

const KEY_LENGTH = 32;
const KEY_ID_LENGTH = 4;
const HEADER_LENGTH = 1 + KEY_ID_LENGTH;
const MIN_ENVELOPE_LENGTH = HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;

/** Every option SaltCipher accepts; the keys themselves are checked by validateKeys. */
const SALT_CIPHER_OPTIONS: OptionRules = { keys: anyValue, salts: anyValue, randomBytes: aFunction };

/** Options of {@link SaltCipher}: `keys`, or `salts` (its old name). */
export type SaltCipherOptions = SaltCipherBaseOptions &
  (
    | {
        /**
         * Keys from the provider's secret (`secret.keys`), CURRENT FIRST. New tokens are
         * encrypted under the first; the others only decrypt tokens written before a key
         * rotation. Each must be a string of at least {@link MIN_KEY_LENGTH} characters, without
         * duplicates.
         */
        keys: readonly string[];
        salts?: never;
      }
    | {
        keys?: never;
        /** @deprecated the old name of `keys`. */
        salts: readonly string[];
      }
  );

interface SaltCipherBaseOptions {
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
 * AES-256-GCM cipher keyed by the key(s) of the provider's secret.
 *
 * AES keys are derived once, synchronously, at construction; the secret's keys themselves
 * are not kept. Key material lives in private fields and `KeyObject`s, so neither
 * `JSON.stringify` nor `util.inspect` of a cipher shows it.
 *
 * @example
 * const cipher = new SaltCipher({ keys: secret.keys });
 * const envelope = await cipher.encrypt(accessToken, 'salesforce');
 */
export class SaltCipher implements TokenCipher {
  /** Current key first, in the order of the secret's keys. */
  readonly #keys: readonly DerivedKey[];
  readonly #byId: ReadonlyMap<string, DerivedKey>;
  readonly #randomBytes: (size: number) => Uint8Array;

  /**
   * @throws ConfigurationError when the options are not an object, hold an unknown key,
   * give both `keys` and `salts`, or the keys are missing, empty, not strings, too short, not
   * well-formed Unicode, duplicated, or (one chance in 2^32 per pair) derive the same key id.
   * The message names the key by position and never contains one.
   */
  constructor(options: SaltCipherOptions) {
    // Names the option, never its value: that might be a key.
    validateOptions('SaltCipher', options, SALT_CIPHER_OPTIONS);
    const secretKeys = validateKeys(keysOption(options));
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;

    const keys = secretKeys.map(deriveKey);
    const byId = new Map<string, DerivedKey>();
    keys.forEach((key, index) => {
      const earlier = keys.findIndex((other) => other.idHex === key.idHex);
      // Distinct keys colliding on a 32-bit id is a 2^-32 accident, but decrypt selects the
      // key by id alone, so a collision would make the older key unreachable: refuse it.
      if (earlier !== index) {
        throw new ConfigurationError(
          `keys ${earlier + 1} and ${index + 1} of ${keys.length} derive the same key id; replace one of them`,
        );
      }
      byId.set(key.idHex, key);
    });
    this.#keys = keys;
    this.#byId = byId;
  }

  /**
   * Key ids (8 hex digits each), current first, in the order of the keys. Not secret:
   * meant for tests and telemetry (which key a rotation is on).
   */
  keyIds(): string[] {
    return this.#keys.map((key) => key.idHex);
  }

  /**
   * The key id an envelope names (8 hex digits), or `undefined` when it is not a readable
   * version 1 envelope. Says nothing about whether it decrypts: a caller that meets an id
   * it does not know may fetch the secret again (a key rotation under way elsewhere).
   */
  keyIdOf(envelope: string): string | undefined {
    return envelopeKeyId(envelope);
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
   * under any of the configured keys.
   * @throws DecryptError when the envelope is not canonical base64, is truncated, has an
   * unknown format version or key id, or does not authenticate (tampered, written for
   * another tokenType, wrong key). The message says which; it never contains the
   * envelope, the plaintext or a key.
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
        'unknown key id: the envelope was not written under any configured key (or its header was altered)',
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

/**
 * The key id a version 1 envelope names (8 hex digits), or `undefined` when it is not one; needs
 * no key (the id is in the clear header). {@link SaltCipher.keyIdOf} for a cipher at hand.
 */
export function envelopeKeyId(envelope: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = decodeEnvelopeBase64(envelope);
  } catch {
    return undefined;
  }
  if (bytes.length < MIN_ENVELOPE_LENGTH || bytes.readUInt8(0) !== ENVELOPE_VERSION) return undefined;
  return bytes.subarray(1, HEADER_LENGTH).toString('hex');
}

/** The keys and the name of the option that gave them: `keys`, or its old name `salts`. */
function keysOption(options: { keys?: unknown; salts?: unknown }): { keys: unknown; option: string } {
  if (options.keys !== undefined && options.salts !== undefined) {
    throw new ConfigurationError(
      'SaltCipher options "keys" and "salts" are one option ("salts" is its old name): pass one',
    );
  }
  return options.salts === undefined
    ? { keys: options.keys, option: 'keys' }
    : { keys: options.salts, option: 'salts' };
}

function validateKeys({ keys, option }: { keys: unknown; option: string }): string[] {
  if (!Array.isArray(keys)) {
    throw new ConfigurationError(
      `SaltCipher option "${option}" must be an array of strings, current key first`,
    );
  }
  if (keys.length === 0) {
    throw new ConfigurationError(`SaltCipher needs at least one key; "${option}" is empty`);
  }
  const total = keys.length;
  const checked: string[] = [];
  keys.forEach((key: unknown, index) => {
    const position = `key ${index + 1} of ${total}`;
    if (typeof key !== 'string') {
      // typeof names the kind of value without echoing it.
      throw new ConfigurationError(`${position} is not a string (got ${key === null ? 'null' : typeof key})`);
    }
    if (!isWellFormed(key)) {
      // A lone surrogate becomes U+FFFD in UTF-8, so two different keys could give one AES key.
      throw new ConfigurationError(`${position} is not well-formed Unicode (it holds a lone surrogate)`);
    }
    if ([...key].length < MIN_KEY_LENGTH) {
      throw new ConfigurationError(`${position} is shorter than ${MIN_KEY_LENGTH} characters`);
    }
    const first = checked.indexOf(key);
    if (first !== -1) {
      throw new ConfigurationError(`${position} duplicates key ${first + 1}`);
    }
    checked.push(key);
  });
  return checked;
}

function deriveKey(secretKey: string): DerivedKey {
  // One HKDF extract per key, two expands with distinct info: the key id and the AES key
  // are independent, so publishing the id (in every envelope) says nothing about the key.
  const ikm = Buffer.from(secretKey, 'utf8');
  const key = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, KEY_INFO, KEY_LENGTH));
  const id = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, KEY_ID_INFO, KEY_ID_LENGTH));
  const derived = { id, idHex: id.toString('hex'), key: createSecretKey(key) };
  // createSecretKey copied the bytes; do not leave a second copy to the garbage collector.
  key.fill(0);
  return derived;
}

/**
 * The AES-256-GCM both envelopes use (SaltCipher and KmsCipher): `header | IV | ciphertext | tag`,
 * authenticated with the header and the tokenType as AAD (I5), so a ciphertext moved to another
 * tokenType, or under another header, does not open. The ciphers differ only in their headers and
 * where their keys come from.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { DecryptError } from '../errors/error-classes.js';

export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;

/** The envelope, base64: the header, the IV, the ciphertext of `plaintext`, and the tag. */
export function seal(
  key: KeyObject,
  iv: Buffer,
  header: Buffer,
  tokenType: string,
  plaintext: string,
): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(additionalData(header, tokenType));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([header, iv, ciphertext, cipher.getAuthTag()]).toString('base64');
}

/** The parts of an envelope that `open` needs; the buffers may be views of one decoded buffer. */
export interface SealedParts {
  header: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * The plaintext of a sealed envelope.
 * @param keyName how the DecryptError names the key ("key", "data key").
 * @throws DecryptError when it does not authenticate, or (short of a bug) is not UTF-8. The
 * message never holds the envelope, the plaintext or the key.
 */
export function open(key: KeyObject, parts: SealedParts, tokenType: string, keyName: string): string {
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(additionalData(parts.header, tokenType));
    decipher.setAuthTag(parts.tag);
    plain = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch (cause) {
    // Node's message here is a fixed "unable to authenticate data": safe to keep as cause.
    throw new DecryptError(`ciphertext does not authenticate for this tokenType and ${keyName}`, { cause });
  }
  try {
    // Authenticated bytes come from seal(), which only gets well-formed strings, so this cannot
    // fail short of a bug; fatal decoding still beats silently mangled tokens.
    return UTF8.decode(plain);
  } catch (cause) {
    throw new DecryptError('decrypted plaintext is not valid UTF-8', { cause });
  }
}

/** A string argument of encrypt/decrypt: a string, non-empty unless allowed, well-formed Unicode. */
export function requireWellFormed(
  value: unknown,
  name: string,
  emptyAllowed: boolean,
): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string (got ${value === null ? 'null' : typeof value})`);
  }
  if (!emptyAllowed && value.length === 0) {
    throw new TypeError(`${name} must not be empty`);
  }
  if (!isWellFormed(value)) {
    // UTF-8 encoding would turn a lone surrogate into U+FFFD: the round trip would not
    // return the input, and two distinct tokenTypes could share one AAD.
    throw new TypeError(`${name} is not well-formed Unicode (it holds a lone surrogate)`);
  }
}

/** String.prototype.isWellFormed is ES2024; this is the same test by UTF-8 round trip. */
export function isWellFormed(value: string): boolean {
  return Buffer.from(value, 'utf8').toString('utf8') === value;
}

function additionalData(header: Buffer, tokenType: string): Buffer {
  return Buffer.concat([header, Buffer.from(tokenType, 'utf8')]);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The envelope KmsCipher writes (binary, then base64 text in the `accessToken` attribute):
 *
 * ```
 * offset  size  field
 *      0     1  format version, always 2 (KMS_ENVELOPE_VERSION; SaltCipher writes 1)
 *      1     2  k: length of the encrypted data key, unsigned big-endian
 *      3     k  encrypted data key: the CiphertextBlob of KMS GenerateDataKey
 *    3+k    12  IV, random per encryption
 *   15+k     n  ciphertext (n = UTF-8 length of the plaintext)
 * 15+k+n    16  GCM authentication tag
 * ```
 *
 * AAD = the 3+k header bytes followed by the UTF-8 bytes of the tokenType. The header carries
 * its own length, so the concatenation is unambiguous: GCM authenticates the version, the
 * encrypted data key and the tokenType. KMS binds the data key to the encryption context on
 * top of that, so an item copied to another tokenType fails twice over (invariant I5).
 */
import { DecryptError } from '../errors/error-classes.js';
import { IV_LENGTH, TAG_LENGTH } from './aes-gcm.js';
import { decodeEnvelopeBase64 } from './envelope-base64.js';

/** First byte of every KmsCipher envelope; SaltCipher's are 1, so the two are told apart. */
export const KMS_ENVELOPE_VERSION = 2;

/** KMS ciphertext blobs are at most 6144 bytes (the KMS API limit). */
const MAX_ENCRYPTED_KEY_LENGTH = 6144;

const PREFIX_LENGTH = 3;

/** An envelope split into its fields; the buffers are views of one decoded buffer. */
export interface KmsEnvelope {
  /** Version, length and encrypted data key: the first part of the AAD. */
  header: Buffer;
  encryptedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** The header bytes for an encrypted data key. */
export function envelopeHeader(encryptedKey: Uint8Array): Buffer {
  if (encryptedKey.length === 0 || encryptedKey.length > MAX_ENCRYPTED_KEY_LENGTH) {
    // KMS answered something no envelope can carry: a bug or a fake, never a user error.
    throw new RangeError(`encrypted data key of ${encryptedKey.length} bytes does not fit the envelope`);
  }
  const header = Buffer.alloc(PREFIX_LENGTH + encryptedKey.length);
  header.writeUInt8(KMS_ENVELOPE_VERSION, 0);
  header.writeUInt16BE(encryptedKey.length, 1);
  Buffer.from(encryptedKey.buffer, encryptedKey.byteOffset, encryptedKey.length).copy(header, PREFIX_LENGTH);
  return header;
}

/**
 * Splits a base64 envelope.
 * @throws DecryptError when it is not canonical base64, has another format version, or is
 * truncated. The message says which, never quoting the envelope.
 */
export function parseKmsEnvelope(envelope: unknown): KmsEnvelope {
  const bytes = decodeEnvelopeBase64(envelope);
  if (bytes.length === 0) throw new DecryptError('envelope is truncated: it is empty');
  const version = bytes.readUInt8(0);
  if (version !== KMS_ENVELOPE_VERSION) {
    throw new DecryptError(
      `unknown envelope format version ${version}; KmsCipher reads version ${KMS_ENVELOPE_VERSION}`,
    );
  }
  const keyLength = bytes.length >= PREFIX_LENGTH ? bytes.readUInt16BE(1) : 0;
  const headerLength = PREFIX_LENGTH + keyLength;
  if (keyLength === 0 || bytes.length < headerLength + IV_LENGTH + TAG_LENGTH) {
    throw new DecryptError(
      `envelope is truncated: ${bytes.length} bytes do not hold the header, IV and tag of a version ${KMS_ENVELOPE_VERSION} envelope`,
    );
  }
  return {
    header: bytes.subarray(0, headerLength),
    encryptedKey: bytes.subarray(PREFIX_LENGTH, headerLength),
    iv: bytes.subarray(headerLength, headerLength + IV_LENGTH),
    ciphertext: bytes.subarray(headerLength + IV_LENGTH, bytes.length - TAG_LENGTH),
    tag: bytes.subarray(bytes.length - TAG_LENGTH),
  };
}

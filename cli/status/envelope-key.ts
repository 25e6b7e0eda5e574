/**
 * Which key sealed a stored token, read from the envelope's clear header, never from its secret
 * part: a SaltCipher envelope (format 1) names its key by an 8-hex key id (HKDF of the key, so it
 * says nothing about the key); a KmsCipher envelope (format 2) carries the KMS-encrypted data key,
 * which names the KMS key only in a form KMS alone reads, so it is shown by a fingerprint: the
 * first 8 hex digits of SHA-256 over the encrypted data key (a hash of ciphertext, not secret).
 * Two items with the same fingerprint share a data key.
 */
import { createHash } from 'node:crypto';
import { decodeEnvelopeBase64 } from '../../layer/crypto/envelope-base64.js';
import { KMS_ENVELOPE_VERSION, parseKmsEnvelope } from '../../layer/crypto/kms-envelope.js';
import { envelopeKeyId } from '../../layer/crypto/salt-cipher.js';
import { isSharedTokenError } from '../../layer/errors/error-classes.js';

export const SALT_ENVELOPE_VERSION = 1;

export type EnvelopeKey = { cipher: 'salt'; keyId: string } | { cipher: 'kms'; dataKeyFingerprint: string };

/** The key an envelope names, or a problem saying why it is not an envelope this code reads. */
export function envelopeKey(envelope: string): { key: EnvelopeKey } | { problem: string } {
  let version: number;
  try {
    const bytes = decodeEnvelopeBase64(envelope);
    if (bytes.length === 0) return { problem: 'is empty' };
    version = bytes.readUInt8(0);
  } catch (error) {
    return { problem: safeReason(error) };
  }
  if (version === SALT_ENVELOPE_VERSION) {
    const keyId = envelopeKeyId(envelope);
    return keyId === undefined
      ? { problem: 'is truncated: too short for a SaltCipher envelope' }
      : { key: { cipher: 'salt', keyId } };
  }
  if (version === KMS_ENVELOPE_VERSION) {
    try {
      const { encryptedKey } = parseKmsEnvelope(envelope);
      return { key: { cipher: 'kms', dataKeyFingerprint: dataKeyFingerprint(encryptedKey) } };
    } catch (error) {
      return { problem: safeReason(error) };
    }
  }
  return { problem: `has envelope format ${version}; this code reads 1 (SaltCipher) and 2 (KmsCipher)` };
}

/** First 8 hex digits of SHA-256 over the KMS-encrypted data key. */
export function dataKeyFingerprint(encryptedKey: Uint8Array): string {
  return createHash('sha256').update(encryptedKey).digest('hex').slice(0, 8);
}

/** The layer's DecryptError messages never quote the envelope; anything else is not repeated. */
function safeReason(error: unknown): string {
  if (isSharedTokenError(error, 'DecryptError')) return (error as Error).message.replace(/^envelope /, '');
  return 'cannot be read';
}

import { DecryptError } from '../errors/error-classes.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Strict base64 for the envelopes of both ciphers: standard alphabet, padding required, no
 * whitespace, and canonical (the unused bits of the last character are zero).
 * Buffer.from(..., 'base64') alone would skip any junk character and accept almost anything.
 * @throws DecryptError saying which rule the text breaks; never echoes it.
 */
export function decodeEnvelopeBase64(envelope: unknown): Buffer {
  if (typeof envelope !== 'string') {
    throw new DecryptError(`envelope is not a string (got ${envelope === null ? 'null' : typeof envelope})`);
  }
  if (envelope.length % 4 !== 0 || !BASE64.test(envelope)) {
    throw new DecryptError('envelope is not base64 text');
  }
  const bytes = Buffer.from(envelope, 'base64');
  if (bytes.toString('base64') !== envelope) {
    throw new DecryptError('envelope is not canonical base64 text');
  }
  return bytes;
}

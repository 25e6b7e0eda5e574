/**
 * Encrypts a token for storage in one tokenType's item. Implementations bind the
 * ciphertext to `tokenType` (AAD or encryption context) so an item copied to another
 * tokenType does not decrypt (invariant I5).
 */
export interface TokenCipher {
  /** Returns the envelope as base64 text. */
  encrypt(plaintext: string, tokenType: string): Promise<string>;
  /** Returns the plaintext, or throws `DecryptError` for anything it cannot authenticate. */
  decrypt(envelope: string, tokenType: string): Promise<string>;
}

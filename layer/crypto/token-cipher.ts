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
  /**
   * Optional: the ids of the keys this cipher holds, and the id an envelope names. With both,
   * a failed decrypt under an unknown id (a key rotation under way) fetches the secret again,
   * while one under a known id (tampering) does not.
   */
  keyIds?(): string[];
  keyIdOf?(envelope: string): string | undefined;
}

/**
 * Encrypts a token for storage in one tokenType's item. Implementations bind the
 * ciphertext to `tokenType` (AAD or encryption context) so an item copied to another
 * tokenType does not decrypt (invariant I5).
 */
export interface TokenCipher {
  /** Returns the envelope as base64 text. */
  encrypt(plaintext: string, tokenType: string, options?: CipherCallOptions): Promise<string>;
  /** Returns the plaintext, or throws `DecryptError` for anything it cannot authenticate. */
  decrypt(envelope: string, tokenType: string, options?: CipherCallOptions): Promise<string>;
  /**
   * Optional: the ids of the keys this cipher holds, and the id an envelope names. With both,
   * a failed decrypt under an unknown id (a key rotation under way) fetches the secret again,
   * while one under a known id (tampering) does not.
   */
  keyIds?(): string[];
  keyIdOf?(envelope: string): string | undefined;
}

/** What a cipher that calls a service (KMS) is given of its caller's time. */
export interface CipherCallOptions {
  /**
   * Aborted at the caller's deadline: a cipher that waits on a service stops waiting then, and
   * throws an error with `abandoned: true` (KmsCipher: a KmsError). A local cipher ignores it.
   */
  signal?: AbortSignal;
}

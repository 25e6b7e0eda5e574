/** What a provider hands back: the secret value and when it stops working. */
export interface ProviderToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /**
   * The refresh token to keep for the next refresh: the rotated one the provider issued, or the
   * one it was given when it did not rotate. Stored encrypted in the item, in the same
   * conditional commit as the access token.
   */
  refreshToken?: string;
}

export interface TokenRequest {
  tokenType: string;
  /** The current refresh token from the store, when the item holds one that decrypts. */
  refreshToken?: string;
  /**
   * True when the item holds a refresh token this container cannot decrypt. A provider must then
   * NOT fall back to an older refresh token (the secret's bootstrap): it was rotated away, and
   * sending it again is a replay.
   */
  refreshTokenUndecryptable?: boolean;
  /** Aborted when the lease is about to run out: the provider call must stop before it. */
  signal: AbortSignal;
}

/** The external system that issues access tokens. Called only by the lease holder. */
export interface TokenProvider {
  fetchToken(request: TokenRequest): Promise<ProviderToken>;
  /**
   * The longest one `fetchToken` takes before the provider gives up by itself (an HTTP
   * provider's `timeoutMs`). A container claims the lease only with time left for this and the
   * commit, so a healthy provider's answer is never cut short by a caller's deadline.
   * @default undefined: the whole configured lease is needed
   */
  readonly timeoutMs?: number;
}

/**
 * The provider's credentials as read from its Secrets Manager secret. Values are secret:
 * never log them, never put them in an error message.
 */
export interface ProviderCredentials {
  /** Name of the secret they came from (not secret), for error messages. */
  readonly secretName: string;
  /** A non-empty string field; throws `SecretError` naming the secret and the field otherwise. */
  require(field: string): string;
  /** A string field, or `undefined` when absent; throws `SecretError` when present but not a non-empty string. */
  optional(field: string): string | undefined;
}

/**
 * Builds a provider from the current secret. Called again whenever the secret changes
 * (rotation, `invalid_client`), so a provider never outlives its credentials.
 */
export type ProviderFactory = (credentials: ProviderCredentials) => TokenProvider;

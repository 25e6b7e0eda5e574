/** What a provider hands back: the secret value and when it stops working. */
export interface ProviderToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** A rotated OAuth2 refresh token, when the provider issued one; stored encrypted with the access token. */
  refreshToken?: string;
}

export interface TokenRequest {
  tokenType: string;
  /** The current refresh token from the store, when a previous answer carried one. */
  refreshToken?: string;
  /** Aborted when the lease is about to run out: the provider call must stop before it. */
  signal: AbortSignal;
}

/** The external system that issues access tokens. Called only by the lease holder. */
export interface TokenProvider {
  fetchToken(request: TokenRequest): Promise<ProviderToken>;
}

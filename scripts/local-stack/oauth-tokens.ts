import { randomBytes } from 'node:crypto';
import { registerSecret } from './secret-registry.js';

export type RefreshTokenUse = 'rotated' | 'replayed' | 'unknown';

interface AccessTokenState {
  expiresAtMs: number;
  revoked: boolean;
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the provider has issued. Expiry is judged by the server's own clock, Date.now(). */
export class TokenRegistry {
  private readonly accessTokens = new Map<string, AccessTokenState>();
  // true = may still be used once; false = used (rotated away) and dead for good.
  private readonly refreshTokens = new Map<string, boolean>();

  issueAccessToken(ttlSeconds: number): string {
    const token = randomToken();
    registerSecret(token, 'oauth-provider:access-token');
    this.accessTokens.set(token, { expiresAtMs: Date.now() + ttlSeconds * 1000, revoked: false });
    return token;
  }

  isLive(accessToken: string): boolean {
    const state = this.accessTokens.get(accessToken);
    return state !== undefined && !state.revoked && Date.now() < state.expiresAtMs;
  }

  revoke(accessToken: string): void {
    const state = this.accessTokens.get(accessToken);
    if (state) state.revoked = true;
  }

  revokeAll(): void {
    for (const state of this.accessTokens.values()) state.revoked = true;
  }

  issued(): string[] {
    return [...this.accessTokens.keys(), ...this.refreshTokens.keys()];
  }

  issueRefreshToken(): string {
    const token = randomToken();
    registerSecret(token, 'oauth-provider:refresh-token');
    this.refreshTokens.set(token, true);
    return token;
  }

  /**
   * Rotation: 'rotated' once per refresh token (the caller issues the next one); afterwards
   * 'replayed', which a real provider treats as a sign of theft; 'unknown' for one never issued.
   */
  consumeRefreshToken(refreshToken: string): RefreshTokenUse {
    const usable = this.refreshTokens.get(refreshToken);
    if (usable === undefined) return 'unknown';
    if (!usable) return 'replayed';
    this.refreshTokens.set(refreshToken, false);
    return 'rotated';
  }
}

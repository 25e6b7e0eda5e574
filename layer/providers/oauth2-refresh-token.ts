import { isSharedTokenError, RefreshTokenExpiredError, TokenRefreshError } from '../errors/error-classes.js';
import {
  OAUTH2_SETTINGS,
  OAuth2Client,
  type OAuth2ClientCredentialsOptions,
  parseOAuth2Answer,
  readOAuth2Settings,
} from './oauth2.js';
import { requireText } from './provider-options.js';
import {
  type ClientCredentialFields,
  CREDENTIAL_FIELDS,
  factoryFromSecret,
  requireFields,
} from './secret-fields.js';
import type { ProviderFactory, ProviderToken, TokenRequest } from './token-provider.js';

const LABEL = 'OAuth2 refresh-token provider';

const KNOWN_OPTIONS = new Set<string>([...OAUTH2_SETTINGS, 'clientId', 'clientSecret', 'refreshToken']);

export interface OAuth2RefreshTokenOptions extends OAuth2ClientCredentialsOptions {
  /**
   * The BOOTSTRAP refresh token (from the secret). Sent only while the item holds no refresh token
   * yet: after the first refresh the provider's rotated one, kept encrypted in the item, is used.
   */
  refreshToken: string;
}

/**
 * OAuth2 `refresh_token` grant (RFC 6749 section 6) for providers that rotate refresh tokens.
 * Each answer's refresh token goes back to the store with the access token, in one conditional
 * commit, so exactly one container holds the live one; sending a rotated-away token is a replay.
 */
export class OAuth2RefreshTokenProvider extends OAuth2Client {
  private readonly bootstrapRefreshToken: string;

  constructor(options: OAuth2RefreshTokenOptions) {
    super(options, KNOWN_OPTIONS, LABEL);
    this.bootstrapRefreshToken = requireText(options.refreshToken, 'refreshToken', LABEL);
  }

  async fetchToken(request: TokenRequest): Promise<ProviderToken> {
    const { tokenType } = request;
    const stored = typeof request.refreshToken === 'string' && request.refreshToken !== '';
    if (!stored && request.refreshTokenUndecryptable === true) {
      throw new TokenRefreshError(
        `The refresh token stored for "${tokenType}" cannot be decrypted (the key it was written under is gone from the secret, or the KMS key is), and sending ` +
          'the bootstrap refresh token from the secret instead could be a replay of a token rotated away ' +
          `long ago: put a new refresh token in the secret and delete the item of "${tokenType}"`,
        tokenType,
      );
    }
    const sent = stored ? (request.refreshToken as string) : this.bootstrapRefreshToken;
    let body: string;
    try {
      body = await this.postGrant(
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: sent }),
        request,
      );
    } catch (error) {
      throw isInvalidGrant(error) ? refreshTokenRejected(tokenType, stored, error) : error;
    }
    const token = parseOAuth2Answer(body, tokenType, this.settings);
    // A provider that does not rotate answers without one: keep the one sent, so the store holds it
    // (re-encrypted under the current salt) and the bootstrap is never needed again.
    return { ...token, refreshToken: token.refreshToken ?? sent };
  }
}

function isInvalidGrant(error: unknown): error is TokenRefreshError {
  return (
    isSharedTokenError(error, 'TokenRefreshError') &&
    (error as TokenRefreshError).oauthError === 'invalid_grant'
  );
}

function refreshTokenRejected(
  tokenType: string,
  stored: boolean,
  error: TokenRefreshError,
): RefreshTokenExpiredError {
  const which = stored
    ? 'the rotated refresh token from the item'
    : 'the bootstrap refresh token from the secret';
  return new RefreshTokenExpiredError(
    `The token endpoint of "${tokenType}" rejected ${which} (HTTP ${error.status} invalid_grant): it was revoked, ` +
      `expired or already rotated. Put a new refresh token in the secret and delete the item of "${tokenType}"`,
    tokenType,
    {
      cause: error,
      oauthError: 'invalid_grant',
      ...(error.status !== undefined && { status: error.status }),
    },
  );
}

export interface OAuth2RefreshTokenFactoryOptions
  extends Omit<OAuth2RefreshTokenOptions, 'clientId' | 'clientSecret' | 'refreshToken'> {
  /**
   * Names of the secret's fields; `refreshToken` is the bootstrap refresh token.
   * @default { clientId: 'clientId', clientSecret: 'clientSecret', refreshToken: 'refreshToken' }
   */
  fields?: ClientCredentialFields & {
    /** @default 'refreshToken' */
    refreshToken?: string;
  };
}

/** The secret fields the refresh-token provider reads. */
export const REFRESH_TOKEN_SECRET_FIELDS = [...CREDENTIAL_FIELDS, 'refreshToken'] as const;

/** OAuth2 refresh_token with rotation; `clientId`, `clientSecret` and the bootstrap `refreshToken` from the secret. */
export function oauth2RefreshToken(options: OAuth2RefreshTokenFactoryOptions): ProviderFactory {
  const shape = {
    label: LABEL,
    settings: OAUTH2_SETTINGS,
    secretFields: REFRESH_TOKEN_SECRET_FIELDS,
    check: (settings: Record<string, unknown>) => readOAuth2Settings(settings, LABEL),
  };
  return factoryFromSecret(options, shape, (settings, credentials, fields) => {
    const secret = requireFields(credentials, fields);
    return new OAuth2RefreshTokenProvider({ ...settings, ...secret } as OAuth2RefreshTokenOptions);
  });
}

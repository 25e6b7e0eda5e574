import { InvalidProviderResponseError } from '../errors.js';
import type {
  ProviderCredentials,
  ProviderFactory,
  ProviderToken,
  TokenProvider,
  TokenRequest,
} from './token-provider.js';

/** What a token function gets: the refresh request plus the provider's credentials from its secret. */
export type TokenFunctionRequest = TokenRequest & { credentials: ProviderCredentials };

/**
 * Gets a token from any system: honour `request.signal`, return `expiresAt` in epoch
 * MILLISECONDS, and return `refreshToken` when the system rotates one.
 */
export type TokenFunction = (request: TokenFunctionRequest) => Promise<ProviderToken>;

// Epoch ms passed this in 1973; epoch SECONDS will not reach it before the year 5138.
const SMALLEST_EPOCH_MS = 1e11;

/**
 * A provider from a plain async function, for systems that are not OAuth2:
 * `functionProvider(async ({ credentials, signal }) => ({ accessToken, expiresAt }))`.
 */
export function functionProvider(fn: TokenFunction): ProviderFactory {
  if (typeof fn !== 'function') {
    throw new TypeError('functionProvider expects a function (request) => Promise<ProviderToken>');
  }
  return function functionProviderFactory(credentials: ProviderCredentials): TokenProvider {
    return {
      async fetchToken(request: TokenRequest): Promise<ProviderToken> {
        return checkedToken(await fn({ ...request, credentials }), request.tokenType);
      },
    };
  };
}

/** Catches the mistakes a hand-written function makes; the manager checks the lifetime itself. */
function checkedToken(token: ProviderToken, tokenType: string): ProviderToken {
  if (typeof token !== 'object' || token === null) {
    throw new InvalidProviderResponseError('The token function returned no token object', tokenType);
  }
  if (typeof token.accessToken !== 'string' || token.accessToken === '') {
    throw new InvalidProviderResponseError('The token function returned no accessToken', tokenType);
  }
  if (typeof token.expiresAt !== 'number' || !Number.isFinite(token.expiresAt)) {
    throw new InvalidProviderResponseError('The token function returned no numeric expiresAt', tokenType);
  }
  if (token.expiresAt < SMALLEST_EPOCH_MS) {
    throw new InvalidProviderResponseError(
      'The token function returned an expiresAt that looks like epoch seconds: it must be epoch milliseconds',
      tokenType,
    );
  }
  if (
    token.refreshToken !== undefined &&
    (typeof token.refreshToken !== 'string' || token.refreshToken === '')
  ) {
    throw new InvalidProviderResponseError(
      'The token function returned a refreshToken that is not a non-empty string',
      tokenType,
    );
  }
  return {
    accessToken: token.accessToken,
    expiresAt: token.expiresAt,
    ...(token.refreshToken !== undefined && { refreshToken: token.refreshToken }),
  };
}

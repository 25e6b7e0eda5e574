import { InvalidProviderResponseError } from '../errors/error-classes.js';
import type { ProviderToken } from './token-provider.js';

/** Longest lifetime we believe: a year. Anything beyond is a unit bug (ms sent as s) or garbage. */
export const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;

/** A configured default lifetime is ours, not the provider's: 30 days at most catches ms given as s. */
export const MAX_DEFAULT_EXPIRES_IN_SECONDS = 30 * 24 * 3600;

export interface ParseTokenResponseOptions {
  tokenType: string;
  /** Epoch ms when the answer arrived; `expires_in` counts from here. */
  now: number;
  /** Lifetime to assume when the answer has no `expires_in` (Salesforce); without it, a missing `expires_in` is an error. */
  defaultExpiresInSeconds?: number;
}

/**
 * Turns an RFC 6749 section 5.1 token answer into a ProviderToken. Error messages name
 * the field that is wrong and never echo a value from the answer.
 */
export function parseTokenResponse(body: string, options: ParseTokenResponseOptions): ProviderToken {
  const { tokenType, now } = options;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidProviderResponseError(
      'The token endpoint answered with something that is not JSON',
      tokenType,
      {
        cause: error instanceof Error ? new Error(error.name) : undefined,
      },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidProviderResponseError(
      'The token endpoint answered JSON that is not an object',
      tokenType,
    );
  }
  const answer = json as Record<string, unknown>;
  if (typeof answer.access_token !== 'string' || answer.access_token.trim() === '') {
    throw new InvalidProviderResponseError('The token endpoint answer has no access_token', tokenType);
  }
  checkTokenType(answer.token_type, tokenType);
  const expiresIn = readExpiresIn(answer.expires_in, options);
  const token: ProviderToken = { accessToken: answer.access_token, expiresAt: now + expiresIn * 1000 };
  if (answer.refresh_token !== undefined) {
    if (typeof answer.refresh_token !== 'string' || answer.refresh_token === '') {
      throw new InvalidProviderResponseError(
        'The token endpoint answer has a refresh_token that is not a string',
        tokenType,
      );
    }
    token.refreshToken = answer.refresh_token;
  }
  return token;
}

function readExpiresIn(raw: unknown, options: ParseTokenResponseOptions): number {
  if (raw === undefined || raw === null) {
    if (options.defaultExpiresInSeconds !== undefined)
      return checkedLifetime(options.defaultExpiresInSeconds, options, MAX_DEFAULT_EXPIRES_IN_SECONDS);
    throw new InvalidProviderResponseError(
      'The token endpoint answer has no expires_in (configure a default lifetime for this provider)',
      options.tokenType,
    );
  }
  // Some providers send the number as a string; RFC 6749 says number.
  return checkedLifetime(
    typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw,
    options,
  );
}

function checkedLifetime(
  seconds: unknown,
  options: ParseTokenResponseOptions,
  max = MAX_EXPIRES_IN_SECONDS,
): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > max) {
    throw new InvalidProviderResponseError(
      `The token endpoint answer has a nonsense expires_in (it must be a number of seconds from 1 to ${max})`,
      options.tokenType,
    );
  }
  return seconds;
}

// Short identifiers only: a token_type that is not one could be a token sent in the wrong field.
const TOKEN_TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,15}$/;

/**
 * Only Bearer tokens (RFC 6750; the name is case-insensitive, RFC 6749 5.1) are what the handlers
 * send as `Authorization: Bearer`: a `mac` or `DPoP` token would be refused by every API call, so
 * it is refused here, once, with a clear error. RFC 6749 makes token_type REQUIRED, yet real
 * providers omit it (Shopify's token answers carry none): a missing one (or null) counts as Bearer.
 */
function checkTokenType(raw: unknown, tokenType: string): void {
  if (raw === undefined || raw === null) return;
  if (typeof raw === 'string' && raw.toLowerCase() === 'bearer') return;
  const named = typeof raw === 'string' && TOKEN_TYPE_NAME.test(raw) ? ` "${raw}"` : '';
  throw new InvalidProviderResponseError(
    typeof raw === 'string'
      ? `The token endpoint answered token_type${named}, not Bearer: only Bearer tokens are supported`
      : 'The token endpoint answer has a token_type that is not a string (expected "Bearer")',
    tokenType,
  );
}

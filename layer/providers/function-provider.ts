import { ConfigurationError, InvalidProviderResponseError } from '../errors/error-classes.js';
import { aWholeNumber, type OptionRules, validateOptions } from '../options/option-rules.js';
import { abandonAt, heldTimeout } from '../time/deadline.js';
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

export interface FunctionProviderOptions {
  /**
   * The longest one call of the function may take: its `signal` aborts then, and a function that
   * ignores the signal is not waited for past it (a TimeoutError). Like an HTTP provider's, it
   * tells the manager how much time a caller needs before it may claim the lease.
   * @default 5_000 ms
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * A provider from a plain async function, for systems that are not OAuth2:
 * `functionProvider(async ({ credentials, signal }) => ({ accessToken, expiresAt }))`.
 */
export function functionProvider(fn: TokenFunction, options: FunctionProviderOptions = {}): ProviderFactory {
  if (typeof fn !== 'function') {
    throw new ConfigurationError('functionProvider expects a function (request) => Promise<ProviderToken>');
  }
  const timeoutMs = readTimeout(options);
  return function functionProviderFactory(credentials: ProviderCredentials): TokenProvider {
    return {
      timeoutMs,
      async fetchToken(request: TokenRequest): Promise<ProviderToken> {
        const timeout = heldTimeout(timeoutMs);
        const signal = AbortSignal.any([request.signal, timeout.signal]);
        try {
          const answer = fn({ ...request, signal, credentials });
          // A function that ignores the signal is not waited for past it.
          const token = await abandonAt(Promise.resolve(answer), signal, () => signal.reason as Error);
          return checkedToken(token, request.tokenType);
        } finally {
          timeout.clear();
        }
      },
    };
  };
}

/** Every option functionProvider accepts, with what its value must be. */
const FUNCTION_PROVIDER_OPTIONS: OptionRules = {
  timeoutMs: {
    problem: (value) => aWholeNumber(1).problem(value) && 'must be a whole number of milliseconds > 0',
  },
};

function readTimeout(options: FunctionProviderOptions): number {
  validateOptions('functionProvider', options, FUNCTION_PROVIDER_OPTIONS);
  return options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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

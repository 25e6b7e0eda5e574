import { ConfigurationError } from '../layer/errors/error-classes.js';
import { aClock, aDuration, type OptionRules, validateOptions } from '../layer/options/option-rules.js';
import type {
  ProviderFactory,
  ProviderToken,
  TokenProvider,
  TokenRequest,
} from '../layer/providers/token-provider.js';
import { type Clock, systemClock } from '../layer/time/clock.js';

export interface StaticTokenProviderOptions {
  /**
   * The access token every call answers, or a function of the call's number (1 for the first) for
   * a test that tells one refresh from the next.
   * @default 'test-access-token'
   */
  accessToken?: string | ((call: number) => string);
  /**
   * How long each answered token lasts, in milliseconds from the call.
   * @default 3_600_000 (one hour, as most OAuth2 servers)
   */
  lifetimeMs?: number;
  /** Tells the time of each call, for `expiresAt`; give the handler's clock too. @default systemClock */
  clock?: Clock;
}

/** A provider factory that answers from memory, and says how often it was asked. */
export type StaticTokenProvider = ProviderFactory & {
  /** Tokens answered so far: 1 after the first refresh, 2 after a rejection refreshed it. */
  readonly calls: number;
  /** What each call was asked (token type, refresh token), in order. */
  readonly requests: readonly Omit<TokenRequest, 'signal'>[];
};

const STATIC_TOKEN_PROVIDER_OPTIONS: OptionRules = {
  accessToken: {
    problem: (value) =>
      (typeof value === 'string' && value !== '') || typeof value === 'function'
        ? undefined
        : 'must be a non-empty string or a function (call) => string',
  },
  lifetimeMs: aDuration({ positive: true, notSeconds: { zero: 'write 60_000 for a minute' } }),
  clock: aClock,
};

/**
 * The `provider` of a test: no token endpoint, no credentials in the secret. Every call answers
 * `accessToken`, valid for `lifetimeMs`; `calls` counts them, so a test can check that a 401
 * refreshed the token once, or that a warm invocation asked for none.
 *
 * @example
 * const provider = staticTokenProvider({ accessToken: (call) => `token-${call}` });
 */
export function staticTokenProvider(options: StaticTokenProviderOptions = {}): StaticTokenProvider {
  validateOptions('staticTokenProvider', options, STATIC_TOKEN_PROVIDER_OPTIONS);
  const { accessToken = 'test-access-token', lifetimeMs = 3_600_000, clock = systemClock } = options;
  const requests: Omit<TokenRequest, 'signal'>[] = [];
  const provider: TokenProvider = {
    async fetchToken({ signal: _signal, ...request }: TokenRequest): Promise<ProviderToken> {
      requests.push(request);
      const call = requests.length;
      const value = typeof accessToken === 'function' ? accessToken(call) : accessToken;
      if (typeof value !== 'string' || value === '') {
        throw new ConfigurationError(
          `staticTokenProvider option "accessToken" gave no string for call ${call}`,
        );
      }
      return { accessToken: value, expiresAt: clock.now() + lifetimeMs };
    },
  };
  const factory = function staticTokenProviderFactory(): TokenProvider {
    return provider;
  };
  return Object.defineProperties(factory, {
    calls: { get: () => requests.length, enumerable: true },
    requests: { get: () => [...requests], enumerable: true },
  }) as unknown as StaticTokenProvider;
}

import { anObject, anyValue, type OptionRules, validateOptions } from '../layer/options/option-rules.js';
import type { TokenLogger, TokenMetrics } from '../layer/telemetry/telemetry.js';
import { silentLogger, silentMetrics } from '../layer/telemetry/telemetry.js';
import type { Clock } from '../layer/time/clock.js';
import {
  type InMemorySecretsManager,
  inMemorySecretsManager,
  type SecretFields,
} from './in-memory-secrets-manager.js';
import { InMemoryTokenStore } from './in-memory-token-store.js';
import { type StaticTokenProvider, staticTokenProvider } from './static-token-provider.js';

export interface InMemorySharedTokenOptionsInput {
  /** See `staticTokenProvider`. @default 'test-access-token' */
  accessToken?: string | ((call: number) => string);
  /** See `staticTokenProvider`. @default 3_600_000 */
  lifetimeMs?: number;
  /** The provider secret's fields (or its JSON), see `inMemorySecretsManager`. @default a random key, no credentials */
  secret?: SecretFields | string;
  /** The provider's clock, and the handler's. @default systemClock */
  clock?: Clock;
  /** @default silentLogger: a test prints nothing of the library */
  logger?: TokenLogger;
}

/**
 * Options to spread over a handler's own (`{ ...myOptions, ...inMemorySharedTokenOptions() }`):
 * every option that would reach AWS or the provider is replaced by a fake in this process. The
 * fakes are the fields, for the test's assertions (`options.provider.calls`).
 */
export interface InMemorySharedTokenOptions {
  /** A table of its own, empty. */
  store: InMemoryTokenStore;
  /** Answers `accessToken`; counts its calls. */
  provider: StaticTokenProvider;
  /** The middleware's Secrets Manager client answers `secret` from memory. */
  awsClientOptions: InMemorySecretsManager;
  /** -1: the secret is kept for the container's life, so no background refresh timer is armed. */
  secretCacheExpiry: number;
  /** No KMS: the token is encrypted under the secret's key. */
  cipher: undefined;
  /** Unset: `store` is the table, and SharedToken refuses either beside it. */
  tableName: undefined;
  dynamoDBClient: undefined;
  logger: TokenLogger;
  /** Nothing is published: a test prints no EMF line. */
  metrics: TokenMetrics;
  clock?: Clock;
}

// accessToken, lifetimeMs, clock and secret are checked by the fake that takes each.
const IN_MEMORY_OPTIONS: OptionRules = {
  accessToken: anyValue,
  lifetimeMs: anyValue,
  secret: anyValue,
  clock: anyValue,
  logger: anObject,
};

/**
 * The options that unit-test a handler without AWS: an in-memory table, a static provider, a
 * Secrets Manager in memory, nothing logged or published. One call per test gives a fresh set.
 *
 * @example
 * const fakes = inMemorySharedTokenOptions();
 * const handler = withSharedToken(queryAccounts, { ...sharedTokenOptions, ...fakes });
 * await handler(event, context);
 * expect(fakes.provider.calls).toBe(1);
 */
export function inMemorySharedTokenOptions(
  options: InMemorySharedTokenOptionsInput = {},
): InMemorySharedTokenOptions {
  validateOptions('inMemorySharedTokenOptions', options, IN_MEMORY_OPTIONS);
  const { accessToken, lifetimeMs, secret, clock, logger = silentLogger } = options;
  return {
    store: new InMemoryTokenStore(),
    provider: staticTokenProvider({
      ...(accessToken !== undefined && { accessToken }),
      ...(lifetimeMs !== undefined && { lifetimeMs }),
      ...(clock !== undefined && { clock }),
    }),
    awsClientOptions: inMemorySecretsManager(secret === undefined ? {} : { secret }),
    secretCacheExpiry: -1,
    cipher: undefined,
    tableName: undefined,
    dynamoDBClient: undefined,
    logger,
    metrics: silentMetrics,
    ...(clock !== undefined && { clock }),
  };
}

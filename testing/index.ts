/**
 * `lambda-shared-token/testing`: unit-test a handler that uses the shared token, with no AWS and
 * no token endpoint. Spread {@link inMemorySharedTokenOptions} over the handler's options, and
 * call {@link clearSharedTokenCaches} after each test:
 *
 * ```ts
 * import { withSharedToken } from 'lambda-shared-token/middleware';
 * import { clearSharedTokenCaches, inMemorySharedTokenOptions } from 'lambda-shared-token/testing';
 *
 * afterEach(() => clearSharedTokenCaches());
 *
 * it('queries with the shared token', async () => {
 *   const fakes = inMemorySharedTokenOptions({ accessToken: 'token-for-the-test' });
 *   const handler = withSharedToken(queryAccounts, { ...sharedTokenOptions, ...fakes });
 *   await handler(event, context);
 *   expect(fakes.provider.calls).toBe(1);
 * });
 * ```
 *
 * The pieces work alone too: `InMemoryTokenStore` as any `store`, `staticTokenProvider` as any
 * `provider`, `inMemorySecretsManager` as the middleware's `awsClientOptions` (or a
 * SecretsManagerSource's `clientConfig`). Never import this entry point from a handler.
 */
export { clearSharedTokenCaches, type HoldsSharedToken } from './clear-shared-token-caches.js';
export {
  type InMemorySharedTokenOptions,
  type InMemorySharedTokenOptionsInput,
  inMemorySharedTokenOptions,
} from './in-memory-options.js';
export {
  type InMemorySecretsHandler,
  type InMemorySecretsManager,
  type InMemorySecretsManagerOptions,
  inMemorySecretsManager,
  type SecretFields,
} from './in-memory-secrets-manager.js';
export { InMemoryTokenStore, type TokenStoreCalls } from './in-memory-token-store.js';
export {
  type StaticTokenProvider,
  type StaticTokenProviderOptions,
  staticTokenProvider,
} from './static-token-provider.js';

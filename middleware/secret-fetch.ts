/**
 * What the Middy adapter knows of each fetch of the provider secret, from Middy's public API only:
 * the promise `@middy/secrets-manager` put in `request.internal`, when it was asked for, and what
 * it gave. The shape of Middy's cache entries is not part of that API (it changed between Middy 6
 * and 7), so the adapter never reads them; it tells fetches apart by the promise's identity.
 */

/** One fetch of the secret. */
export interface SecretFetch {
  /** What Middy put in `request.internal`: the same promise for everyone who shares the fetch. */
  readonly promise: unknown;
  /** Epoch ms when it was asked for: its value is reused until `askedAt + cacheExpiry`. */
  readonly askedAt: number;
  /** Set once the fetch has resolved. */
  resolved: { readonly value: unknown } | undefined;
  /** Settles with the fetch, true when it resolved; never rejects. */
  readonly settled: Promise<boolean>;
}

/**
 * Every fetch recorded in this container, by promise. Middy shares one cache entry among the
 * middlewares with the same `cacheKey`, so a source may be handed a fetch another source asked
 * for: its age is the one recorded then. Weak: a fetch Middy no longer holds is forgotten.
 */
const fetches = new WeakMap<object, SecretFetch>();

const identity = (promise: unknown): object | undefined =>
  typeof promise === 'object' && promise !== null ? promise : undefined;

/** The record of a fetch already seen, by its promise. */
export function knownFetch(promise: unknown): SecretFetch | undefined {
  const key = identity(promise);
  return key === undefined ? undefined : fetches.get(key);
}

/**
 * Records a fetch first seen now, asked for at `askedAt`. Its failure counts as handled from here
 * on: whoever reads the promise gets the error, and nobody else (a prefetch, a background
 * refresh) turns it into an `unhandledRejection`, which would end a Lambda container.
 */
export function recordFetch(promise: unknown, askedAt: number): SecretFetch {
  const fetch: { -readonly [K in keyof SecretFetch]: SecretFetch[K] } = {
    promise,
    askedAt,
    resolved: undefined,
    settled: Promise.resolve(false),
  };
  fetch.settled = Promise.resolve(promise).then(
    (value) => {
      fetch.resolved = { value };
      return true;
    },
    () => false,
  );
  const key = identity(promise);
  if (key !== undefined) fetches.set(key, fetch);
  return fetch;
}

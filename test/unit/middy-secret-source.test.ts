/**
 * MiddySecretSource on its own, against the local Secrets Manager started in this process: when it
 * asks `@middy/secrets-manager` for the secret, what `peek()` answers, what a failure becomes.
 *
 * Middy's cache entries are hidden here: `getCache` answers `{}`, as Middy does for a key it does
 * not hold. The shape of an entry is not Middy's public API (it changed between Middy 6 and 7), so
 * the source keeps its own record of each fetch: when it asked, and what it got. Middy's own
 * failure path reads `getCache` too and works with `{}`.
 *
 * Time is a fake clock: no test waits for the wall clock. The background refresh, which runs on a
 * real timer, is in test/integration/middy-secret-refresh.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type LocalSecretsManager, startSecretsManager } from '../../scripts/local-stack/index.js';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const actualUtil = await import('@middy/util');
const getCache = jest.fn((_key: string): unknown => ({}));
jest.unstable_mockModule('@middy/util', () => ({ ...actualUtil, getCache }));
const { MiddySecretSource } = await import('../../middleware/middy-secret-source.js');
type Source = InstanceType<typeof MiddySecretSource>;

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const CLIENT_SECRET = testSecret('middy-secret-source:clientSecret', 'client-secret-');
const CACHE_EXPIRY_MS = 60_000;

let secrets: LocalSecretsManager;
beforeAll(async () => {
  secrets = await startSecretsManager({ region: REGION });
});
afterEach(() => {
  actualUtil.clearCache();
  secrets.clearStalls();
  getCache.mockClear();
});
afterAll(async () => {
  actualUtil.clearCache();
  await secrets?.stop();
});

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  const clock = { time: start, now: () => clock.time };
  return clock;
}

interface Logged {
  level: string;
  message: string;
  attributes: unknown[];
}
function recordingLogger() {
  const calls: Logged[] = [];
  const record =
    (level: string) =>
    (message: string, ...attributes: unknown[]) =>
      void calls.push({ level, message, attributes });
  return {
    calls,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

let sequence = 0;
/** A secret nobody else in the process reads (Middy's cache is per name), holding `marker`. */
function freshSecret(marker = 'first'): string {
  const secretName = `/test/middy-secret-source/oauth/secret-${++sequence}`;
  secrets.putSecret(secretName, secretJson(marker));
  return secretName;
}
const secretJson = (marker: string): string =>
  JSON.stringify({ clientId: 'client', clientSecret: CLIENT_SECRET, salt: CLIENT_SECRET, marker });

const getSecretValueCalls = (secretName: string): number =>
  secrets.stats().getSecretValueByName[secretName] ?? 0;

function sourceFor(
  secretName: string,
  options: { cacheExpiry?: number; disablePrefetch?: boolean; clock?: { now(): number } } = {},
) {
  const logger = recordingLogger();
  const source = new MiddySecretSource({
    secretName,
    cacheExpiry: options.cacheExpiry ?? CACHE_EXPIRY_MS,
    awsClientOptions: { endpoint: secrets.endpoint, region: REGION, credentials: CREDENTIALS },
    disablePrefetch: options.disablePrefetch ?? true,
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  return { source, logger };
}

/** One invocation's `before`: a Middy-like request, primed and read. */
const invocation = (source: Source) => source.loadInto({ internal: {} }) as Promise<{ marker?: string }>;

/** Polls until `probe` holds; the bound only stops a broken run from hanging. */
async function waitFor(what: string, probe: () => boolean): Promise<void> {
  const giveUpAt = Date.now() + 20_000;
  while (!probe()) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('MiddySecretSource', () => {
  it("never reads Middy's cache entries: an invocation, a forced load and peek() work while getCache tells nothing", async () => {
    const secretName = freshSecret();
    const { source } = sourceFor(secretName, { disablePrefetch: false });

    const loaded = await invocation(source);
    secrets.putSecret(secretName, secretJson('rotated'));
    const forced = (await source.load({ forceRefresh: true })) as { marker?: string };

    expect(loaded.marker).toBe('first');
    expect(forced.marker).toBe('rotated');
    expect(source.peek()).toBe(forced);
    expect(getCache).not.toHaveBeenCalled();
  });

  it('fetches the secret once while cacheExpiry has not passed since it asked, and peek() answers it without I/O', async () => {
    const secretName = freshSecret();
    const clock = fakeClock();
    const { source } = sourceFor(secretName, { clock });

    const first = await invocation(source);
    clock.time += CACHE_EXPIRY_MS - 1;
    const second = await invocation(source);

    expect(second).toBe(first);
    expect(source.peek()).toBe(first);
    expect(getSecretValueCalls(secretName)).toBe(1);
  });

  it('picks up a rotated secret once cacheExpiry has passed since the fetch was asked, and peek() answers nothing from then on', async () => {
    const secretName = freshSecret();
    const clock = fakeClock();
    const { source } = sourceFor(secretName, { clock });
    await invocation(source);
    secrets.putSecret(secretName, secretJson('rotated'));

    clock.time += CACHE_EXPIRY_MS;
    const peekedOnceExpired = source.peek();
    const next = await invocation(source);

    expect(peekedOnceExpired).toBeUndefined();
    expect(next.marker).toBe('rotated');
    expect(source.peek()).toBe(next);
    expect(getSecretValueCalls(secretName)).toBe(2);
  });

  it('fetches anew at once on a forced load (a DecryptError or invalid_client), whatever the age of the secret', async () => {
    const secretName = freshSecret();
    const { source } = sourceFor(secretName, { clock: fakeClock() });
    await invocation(source);
    secrets.putSecret(secretName, secretJson('rotated'));

    const forced = (await source.load({ forceRefresh: true })) as { marker?: string };
    const next = await invocation(source);

    expect(forced.marker).toBe('rotated');
    expect(next).toBe(forced);
    expect(getSecretValueCalls(secretName)).toBe(2);
  });

  it('uses the cold-start prefetch for the first invocation, and counts its age from then', async () => {
    const secretName = freshSecret();
    const clock = fakeClock();
    const { source } = sourceFor(secretName, { clock, disablePrefetch: false });
    // Before any invocation: the prefetched secret is there to peek at.
    await waitFor('the prefetch', () => source.peek() !== undefined);
    const prefetched = source.peek();

    clock.time += CACHE_EXPIRY_MS - 1;
    const first = await invocation(source);
    const beforeExpiry = getSecretValueCalls(secretName);
    clock.time += 1;
    await invocation(source);

    expect(first).toBe(prefetched);
    expect(beforeExpiry).toBe(1);
    expect(getSecretValueCalls(secretName)).toBe(2);
  });

  it('shares one fetch, and its age, with another source of the same secret', async () => {
    const secretName = freshSecret();
    const clock = fakeClock();
    const first = sourceFor(secretName, { clock }).source;
    const second = sourceFor(secretName, { clock }).source;
    const value = await invocation(first);

    clock.time += CACHE_EXPIRY_MS / 2;
    const shared = await invocation(second);
    const sharedCalls = getSecretValueCalls(secretName);
    clock.time += CACHE_EXPIRY_MS / 2;
    await invocation(second);

    expect(shared).toBe(value);
    expect(sharedCalls).toBe(1);
    // Asked by the first source at the start: expired for the second as well.
    expect(getSecretValueCalls(secretName)).toBe(2);
  });

  it('fetches once per invocation with cacheExpiry 0: the invocation and its load share one fetch', async () => {
    const secretName = freshSecret();
    const { source } = sourceFor(secretName, { cacheExpiry: 0, clock: fakeClock() });

    for (let i = 0; i < 3; i++) {
      await source.prime({ internal: {} });
      await source.load();
    }

    expect(getSecretValueCalls(secretName)).toBe(3);
    expect(source.peek()).toBeUndefined();
  });

  it("keeps the first secret for the container's life with cacheExpiry -1", async () => {
    const secretName = freshSecret();
    const clock = fakeClock();
    const { source } = sourceFor(secretName, { cacheExpiry: -1, clock });
    const first = await invocation(source);
    secrets.putSecret(secretName, secretJson('rotated'));

    clock.time += 365 * 86_400_000;
    const later = await invocation(source);

    expect(later).toBe(first);
    expect(getSecretValueCalls(secretName)).toBe(1);
  });

  it('turns a failed fetch into the SecretError of secretReadError, logs nothing, and fetches again at the next invocation', async () => {
    const secretName = freshSecret();
    const { source, logger } = sourceFor(secretName, { clock: fakeClock() });
    secrets.failNext(1, { type: 'AccessDeniedException', message: 'not authorized' });

    const error = await rejectionOf<Error & { secretName?: string }>(invocation(source));
    const peekedAfterFailure = source.peek();
    const next = await invocation(source);

    expect(error).toMatchObject({ name: 'SecretError', secretName });
    expect(error.message).toContain('secretsmanager:GetSecretValue');
    expect(error.cause).toMatchObject({ name: 'AccessDeniedException' });
    expect(peekedAfterFailure).toBeUndefined();
    expect(next.marker).toBe('first');
    expect(logger.calls).toEqual([]);
  });

  it("stops waiting at the caller's deadline with an abandoned SecretError; the fetch goes on for the next invocation", async () => {
    const secretName = freshSecret();
    const { source } = sourceFor(secretName, { clock: fakeClock() });
    secrets.stall({ operations: ['GetSecretValue'], count: 1 });
    await source.prime({ internal: {} });
    await waitFor('the stalled GetSecretValue', () => secrets.heldOpen() === 1);
    const deadline = new AbortController();

    const waiting = source.load({ signal: deadline.signal });
    deadline.abort();
    const error = await rejectionOf<Error & { abandoned?: boolean }>(waiting);
    secrets.clearStalls(); // the SDK retries the dropped connection: that fetch gets the secret
    const next = await invocation(source);

    expect(error).toMatchObject({ name: 'SecretError', secretName, abandoned: true });
    expect(next.marker).toBe('first');
  });

  it('keeps the secret in request.internal under its cache key, for the invocation that asked', async () => {
    const secretName = freshSecret();
    const { source } = sourceFor(secretName, { clock: fakeClock() });
    const request = { internal: {} as Record<string, unknown> };

    const loaded = await source.loadInto(request);

    expect(source.cacheKey).toBe(`lambda-shared-token:${secretName}`);
    expect(await request.internal[source.cacheKey]).toBe(loaded);
  });
});

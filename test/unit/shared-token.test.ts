/**
 * SharedToken, the framework-free entry point: the secret binding (rotation, invalid_client)
 * and the "rejected: refresh once, run once more" rule. In one process: a memory store, a
 * fake Secrets Manager, fake time. The same cases through the real servers and the Middy
 * adapter live in test/integration/entry-points.test.ts.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  isSharedTokenError,
  MetricName,
  SharedToken,
  type SharedTokenOptions,
  TokenRefreshError,
} from 'lambda-shared-token';
import type { ProviderFactory, SecretSource } from 'lambda-shared-token/advanced';
import { SaltCipher } from 'lambda-shared-token/advanced';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { testSecret } from '../support/test-secrets.js';
import {
  FakeProvider,
  FakeTime,
  HOUR_MS,
  RecordingLogger,
  RecordingMetrics,
  rejectionOf,
  TOKEN_TYPE,
} from './token-manager-harness.js';

const SECRET_NAME = '/test/orders/oauth/salesforce';
const OLD_SALT = testSecret('oldSalt', 'old-salt-');
const NEW_SALT = testSecret('newSalt', 'new-salt-');
const CLIENT_SECRET = testSecret('clientSecret', 'client-secret-');
const ROTATED_CLIENT_SECRET = testSecret('rotatedClientSecret', 'client-secret-');

/** The secret as Secrets Manager holds it; every container's source reads it through its own cache. */
class FakeSecretsManager {
  value: Record<string, unknown> = { clientId: 'client', clientSecret: CLIENT_SECRET, salt: OLD_SALT };
  fetches = 0;

  /** A container's view: cached until a forced fetch (Middy's cache with a long expiry). */
  source(): SecretSource & { forced: number; loads: number } {
    let cached: string | undefined;
    const source = {
      forced: 0,
      loads: 0,
      peek: () => cached,
      load: async (options: { forceRefresh?: boolean } = {}) => {
        source.loads++;
        if (options.forceRefresh) source.forced++;
        if (cached === undefined || options.forceRefresh) {
          this.fetches++;
          cached = JSON.stringify(this.value);
        }
        return cached;
      },
    };
    return source;
  }
}

/** The provider accepts only the client secret the "provider side" currently holds. */
function providerFactory(provider: FakeProvider, accepted: { clientSecret: string }): ProviderFactory {
  return (credentials) => {
    const clientSecret = credentials.require('clientSecret');
    return {
      fetchToken: async (request) => {
        if (clientSecret !== accepted.clientSecret) {
          throw new TokenRefreshError('The token endpoint answered HTTP 401 (invalid_client)', TOKEN_TYPE, {
            status: 401,
            oauthError: 'invalid_client',
          });
        }
        return provider.fetchToken(request);
      },
    };
  };
}

class Fixture {
  readonly time = new FakeTime();
  readonly store = new MemoryTokenStore();
  readonly secrets = new FakeSecretsManager();
  readonly provider = new FakeProvider(this.time);
  readonly accepted = { clientSecret: CLIENT_SECRET };

  container(options: Partial<SharedTokenOptions> = {}) {
    const source = this.secrets.source();
    const metrics = new RecordingMetrics();
    const logger = new RecordingLogger();
    const shared = new SharedToken({
      tokenType: TOKEN_TYPE,
      secretName: SECRET_NAME,
      secrets: source,
      provider: providerFactory(this.provider, this.accepted),
      store: this.store,
      clock: this.time.clock,
      sleep: this.time.sleeper().sleep,
      random: () => 0.5,
      logger,
      metrics,
      ...options,
    });
    return { shared, source, metrics, logger };
  }

  run<T>(promise: Promise<T>): Promise<T> {
    return this.time.run(promise);
  }
}

/** An error shaped like a fetch wrapper's HTTP error. */
function httpError(status: number, body?: unknown): Error & { statusCode: number; body?: unknown } {
  return Object.assign(new Error(`API answered HTTP ${status}`), { statusCode: status, body });
}

let world: Fixture;
beforeEach(() => {
  world = new Fixture();
});

describe('SharedToken.run: a rejected token is refreshed once and the call runs once more', () => {
  it('hands the call a valid token and returns its result', async () => {
    const { shared } = world.container();

    const result = await world.run(shared.run(async (token) => `used v${token.version}`));

    expect(result).toBe('used v1');
    expect(world.provider.calls).toBe(1);
  });

  it('runs the call again with a newer token after a 401, and counts RetrySucceeded', async () => {
    const { shared, metrics } = world.container();
    const versions: number[] = [];

    const result = await world.run(
      shared.run(async (token) => {
        versions.push(token.version);
        if (versions.length === 1) throw httpError(401);
        return 'ok';
      }),
    );

    expect(result).toBe('ok');
    expect(versions).toEqual([1, 2]);
    expect(world.provider.calls).toBe(2);
    expect(metrics.count(MetricName.ProviderRejected)).toBe(1);
    expect(metrics.count(MetricName.RetrySucceeded)).toBe(1);
  });

  it('surfaces the ORIGINAL error when the retry is rejected too, after exactly two calls', async () => {
    const { shared, metrics } = world.container();
    const first = httpError(403);
    let calls = 0;

    const error = await rejectionOf(
      world.run(
        shared.run(async () => {
          calls++;
          throw calls === 1 ? first : httpError(403);
        }),
      ),
    );

    expect(error).toBe(first);
    expect(calls).toBe(2);
    expect(world.provider.calls).toBe(2);
    expect(metrics.count(MetricName.RetrySucceeded)).toBe(0);
  });

  it('does not refresh on a rate-limit 403 (Salesforce REQUEST_LIMIT_EXCEEDED) and runs the call once', async () => {
    const { shared, metrics } = world.container();
    const limited = httpError(403, [
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    let calls = 0;

    const error = await rejectionOf(
      world.run(
        shared.run(async () => {
          calls++;
          throw limited;
        }),
      ),
    );

    expect(error).toBe(limited);
    expect(calls).toBe(1);
    expect(world.provider.calls).toBe(1);
    expect(metrics.count(MetricName.ProviderRejected)).toBe(0);
  });

  it('lets errors that are not rejections through untouched, without a refresh', async () => {
    const { shared } = world.container();
    const boom = httpError(500);

    expect(await rejectionOf(world.run(shared.run(() => Promise.reject(boom))))).toBe(boom);
    expect(world.provider.calls).toBe(1);
  });

  it('uses the isRejection option instead of the status rule', async () => {
    const { shared } = world.container({ isRejection: (error) => (error as Error).message === 'expired' });
    let calls = 0;

    const result = await world.run(
      shared.run(async () => {
        calls++;
        if (calls === 1) throw new Error('expired');
        return calls;
      }),
    );

    expect(result).toBe(2);
    expect(world.provider.calls).toBe(2);
  });

  it('surfaces the original error when the refresh itself fails, and logs only the refresh error name', async () => {
    const { shared, logger } = world.container();
    await world.run(shared.getToken());
    world.provider.failNext(new TokenRefreshError('provider down', TOKEN_TYPE, { status: 503 }));
    const rejected = httpError(401);

    const error = await rejectionOf(world.run(shared.run(() => Promise.reject(rejected))));

    expect(error).toBe(rejected);
    expect(logger.calls.some((call) => call.attributes?.error === 'TokenRefreshError')).toBe(true);
    expect(logger.text()).not.toContain(CLIENT_SECRET);
  });

  it('makes one provider call when 20 containers are rejected on the same version at once', async () => {
    const containers = Array.from({ length: 20 }, () => world.container());
    await world.run(containers[0]!.shared.getToken());
    const seen: number[] = [];

    await world.run(
      Promise.all(
        containers.map(({ shared }) =>
          shared.run(async (token) => {
            seen.push(token.version);
            if (token.version === 1) throw httpError(401);
            return token.version;
          }),
        ),
      ),
    );

    expect(world.provider.calls).toBe(2);
    expect(seen.filter((version) => version === 1)).toHaveLength(20);
    expect(seen.filter((version) => version === 2)).toHaveLength(20);
  });
});

describe('SharedToken: the secret and its rotation', () => {
  it('fetches the secret once per container and nothing more on warm calls', async () => {
    const { shared } = world.container();

    for (let i = 0; i < 5; i++) await world.run(shared.getToken());

    expect(world.secrets.fetches).toBe(1);
    expect(world.provider.calls).toBe(1);
  });

  it('answers a warm getToken from memory without asking the secret source for a promise', async () => {
    const { shared, source } = world.container();
    const first = await world.run(shared.getToken());
    const loadsAfterColdStart = source.loads;

    for (let i = 0; i < 5; i++) expect(await shared.getToken()).toBe(first);

    expect(source.loads).toBe(loadsAfterColdStart);
  });

  it('loads the secret again on a warm call once the source no longer has it cached', async () => {
    const { shared, source } = world.container();
    await world.run(shared.getToken());
    const loads = source.loads;
    world.secrets.value = { ...world.secrets.value, clientId: 'client-2' };
    await source.load({ forceRefresh: true });

    const token = await world.run(shared.getToken());

    expect(token.version).toBe(1);
    expect(source.loads).toBe(loads + 2);
  });

  it('still reads tokens written under the old salt while the secret lists both', async () => {
    const writer = world.container();
    await world.run(writer.shared.getToken());
    world.secrets.value = { ...world.secrets.value, salt: undefined, salts: [NEW_SALT, OLD_SALT] };
    const reader = world.container();

    const token = await world.run(reader.shared.getToken());

    expect(token.version).toBe(1);
    expect(world.provider.calls).toBe(1);
  });

  it('fetches the secret again when a token is under a salt it does not know, instead of refreshing', async () => {
    const stale = world.container(); // caches the secret with the old salt only
    await world.run(stale.shared.getToken());
    world.secrets.value = { ...world.secrets.value, salt: undefined, salts: [NEW_SALT, OLD_SALT] };
    const rotated = world.container();
    world.time.advance(HOUR_MS); // the token expired: the rotated container writes v2 under the new salt
    await world.run(rotated.shared.getToken());
    stale.shared.clearCache();

    const token = await world.run(stale.shared.getToken());

    expect(token.version).toBe(2);
    expect(world.provider.calls).toBe(2);
    expect(stale.source.forced).toBe(1);
    expect(stale.metrics.count(MetricName.DecryptFailed)).toBe(0);
  });

  it('refreshes, without an error, when the secret holds only a new salt', async () => {
    const first = world.container();
    await world.run(first.shared.getToken());
    world.secrets.value = { ...world.secrets.value, salt: NEW_SALT };
    const next = world.container();

    const token = await world.run(next.shared.getToken());

    expect(token.version).toBe(2);
    expect(world.provider.calls).toBe(2);
    expect(next.metrics.count(MetricName.DecryptFailed)).toBe(1);
    const stored = world.store.get(TOKEN_TYPE)?.accessToken ?? '';
    expect(await new SaltCipher({ salts: [NEW_SALT] }).decrypt(stored, TOKEN_TYPE)).toMatch(
      /^access-token-secret-/,
    );
  });

  it('does not fetch the secret again for a tampered token under a key it holds', async () => {
    const { shared, source } = world.container();
    await world.run(shared.getToken());
    const item = world.store.get(TOKEN_TYPE);
    const bytes = Buffer.from(item?.accessToken ?? '', 'base64');
    bytes[bytes.length - 1]! ^= 1;
    world.store.put({ ...item, tokenType: TOKEN_TYPE, accessToken: bytes.toString('base64') });
    shared.clearCache();

    const token = await world.run(shared.getToken());

    expect(token.version).toBe(2);
    expect(source.forced).toBe(0);
  });

  it('fetches the secret again on invalid_client and succeeds with the rotated credentials', async () => {
    const { shared, source } = world.container();
    await source.load(); // this container cached the secret before the credentials were rotated
    world.accepted.clientSecret = ROTATED_CLIENT_SECRET;
    world.secrets.value = { ...world.secrets.value, clientSecret: ROTATED_CLIENT_SECRET };

    const token = await world.run(shared.getToken());

    expect(token.version).toBe(1);
    expect(source.forced).toBe(1);
  });

  it('surfaces invalid_client when the fetched-again secret is the same, one fetch per failed refresh', async () => {
    const { shared, source, logger } = world.container();
    world.accepted.clientSecret = ROTATED_CLIENT_SECRET;

    const error = await rejectionOf(world.run(shared.getToken()));
    expect(source.forced).toBe(1);
    // After the shared back-off: the rotation may have reached the secret by now, so it is asked again.
    world.time.advance(HOUR_MS);
    await rejectionOf(world.run(shared.getToken()));

    expect(isSharedTokenError(error, 'TokenRefreshError')).toBe(true);
    expect((error as TokenRefreshError).oauthError).toBe('invalid_client');
    expect(source.forced).toBe(2);
    expect(world.provider.calls).toBe(0);
    expect(logger.text()).not.toContain(CLIENT_SECRET);
  });

  it('fails with a SecretError naming the secret and the field when the key is missing, echoing no value', async () => {
    world.secrets.value = { clientId: 'client', clientSecret: CLIENT_SECRET };
    const { shared } = world.container();

    const error = await rejectionOf(world.run(shared.getToken()));

    expect(isSharedTokenError(error, 'SecretError')).toBe(true);
    expect((error as Error).message).toContain(SECRET_NAME);
    expect((error as { field?: string }).field).toBe('key');
    expect((error as Error).message).not.toContain(CLIENT_SECRET);
  });
});

describe('SharedToken options', () => {
  it('refuses an unknown option, naming it', () => {
    expect(() => world.container({ leaseMS: 5 } as never)).toThrow('Unknown SharedToken option "leaseMS"');
  });

  it('refuses a secret name Secrets Manager would refuse', () => {
    expect(() => world.container({ secretName: 'sales force' })).toThrow(/secret name .* holds a space/i);
  });

  it('refuses a provider that is not a factory', () => {
    expect(() => world.container({ provider: {} as never })).toThrow('"provider" must be a provider factory');
  });

  it('names DYNAMODB_TABLE_ACCESS_TOKENS when no store is given and the variable is unset', () => {
    const saved = process.env.DYNAMODB_TABLE_ACCESS_TOKENS;
    delete process.env.DYNAMODB_TABLE_ACCESS_TOKENS;
    try {
      const { store: _ignored, ...options } = {
        tokenType: TOKEN_TYPE,
        secretName: SECRET_NAME,
        secrets: world.secrets.source(),
        provider: providerFactory(world.provider, world.accepted),
        store: undefined,
        logger: new RecordingLogger(),
        metrics: new RecordingMetrics(),
      };
      expect(() => new SharedToken(options)).toThrow('DYNAMODB_TABLE_ACCESS_TOKENS is not set');
    } finally {
      if (saved !== undefined) process.env.DYNAMODB_TABLE_ACCESS_TOKENS = saved;
    }
  });
});

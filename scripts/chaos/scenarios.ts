/**
 * The chaos matrix: what breaks, when, and what the fleet must still do. Each scenario runs many
 * containers (child processes) through the simulator against the local stack, with the fault
 * injected into the real servers (provider, Secrets Manager, the proxy in front of DynamoDB Local)
 * or into the processes themselves (SIGKILL, SIGSTOP, skewed clocks).
 *
 * The expected failures come from the protocol, not from a run: warm containers hold a token that
 * is still valid while the fault lasts, so they must not fail at all (a failed refresh never
 * throws away a valid token); cold ones have nothing to fall back on, so they fail with a typed
 * error, fast, and recover when the fault ends.
 */
import type { InjectedAnswer } from '../local-stack/oauth-provider.js';
import { rotateSecretKeyOrFail, untilStoredUnder } from '../simulator/key-rotation.js';
import type { SimulationOptions, SimulationStack } from '../simulator/simulation.js';
import { atLeast, atMost, exactly, onLibraryDefaults } from './checks.js';
import type { ScenarioExpectation } from './verdict.js';

export interface ChaosScenario {
  name: string;
  /** What is injected, for the table. */
  injected: string;
  options: Omit<SimulationOptions, 'endpoint' | 'table' | 'engine'>;
  expect: Omit<ScenarioExpectation, 'invocationTimeoutMs'>;
}

const FAST_POLLS = { pollInitialMs: 25, pollMaxMs: 250 } as const;

/**
 * Warm containers whose token is refreshed ahead of expiry: the token lives 10 s, refresh-ahead
 * opens 5 s after each commit (the library bounds the window by half the token's life), the token
 * stays usable 9 s (the simulator's 1 s skew for 10-s tokens). A fault injected when all are warm
 * hits the next refresh-ahead, 5 s after the commit; even a provider that never answers costs its
 * 2 s lease and a 300 ms back-off, which leaves the next attempts more than 1.5 s of the window,
 * enough on a loaded 2-core machine. The run lasts past that retry (40 invocations, 8 s and more).
 */
const WARM: ChaosScenario['options'] = {
  containers: 8,
  invocations: 40,
  thinkMs: 200,
  tokenTtlSeconds: 10,
  leaseMs: 2_000,
  failureBackoffMs: 300,
  ...FAST_POLLS,
};

/** Past the opening of refresh-ahead (5 s after the cold start's commit), so a WARM fault this long meets a refresh. */
const WARM_FAULT_MS = 6_000;

/**
 * A fleet as it is deployed: no timing option set, on tokens long enough for every library
 * default (the simulator then passes none), a few invocations each, within seconds.
 */
const ON_DEFAULTS = (tokenTtlSeconds: number): ChaosScenario => ({
  name: `library-defaults-${tokenTtlSeconds}s`,
  injected: `nothing: ${tokenTtlSeconds}-s tokens, every library option at its default`,
  options: { containers: 6, invocations: 15, thinkMs: 100, tokenTtlSeconds },
  // One generation serves the whole run: refresh-ahead opens half a token's life after the commit.
  expect: {
    failed: { min: 0, max: 0 },
    checks: [exactly('providerTokenCalls', 1), exactly('tokenGenerations', 1), onLibraryDefaults],
  },
});

/** Cold containers on an empty table, with tokens that outlive the run. */
const COLD: ChaosScenario['options'] = {
  containers: 8,
  invocations: 2,
  tokenTtlSeconds: 3600,
  leaseMs: 2_000,
  ...FAST_POLLS,
};

const failTokenNext =
  (count: number, answer: InjectedAnswer) =>
  (stack: SimulationStack): void =>
    stack.provider!.failTokenNext(count, answer);

const warmAndKeepsServing = { failed: { min: 0, max: 0 } } as const;

/** A warm fleet whose refresh-ahead failed once: nobody failed, a later refresh committed. */
const refreshFailsThenRecovers: ChaosScenario['expect'] = {
  ...warmAndKeepsServing,
  checks: [atLeast('TokenRefreshFailed', 1), atLeast('tokenGenerations', 2)],
};

/** A key rotation under a warm fleet: nobody failed, nothing failed to decrypt, one call per generation. */
const keyRotationUnnoticed: ChaosScenario['expect'] = {
  ...warmAndKeepsServing,
  checks: [
    exactly('decryptFailed', 0),
    atLeast('tokenGenerations', 2),
    exactly('providerTokenCalls', 'tokenGenerations'),
  ],
};

export const SCENARIOS: ChaosScenario[] = [
  {
    name: 'holder-killed',
    injected: 'SIGKILL of the lease holder mid-refresh',
    options: { ...COLD, killHolder: true, providerLatencyMs: 400 },
    expect: {
      failed: { min: 0, max: 0 },
      checks: [atLeast('lockTakeovers', 1), exactly('tokenGenerations', 1)],
    },
  },
  {
    name: 'holder-frozen',
    injected: 'SIGSTOP of the holder past its lease, then SIGCONT',
    options: { ...COLD, freezeHolderMs: 5_000 },
    // Its lease was taken over; its commit must fail (I3), so its token is never served.
    expect: { failed: { min: 0, max: 0 }, checks: [exactly('leaseLost', 1), exactly('tokenGenerations', 1)] },
  },
  {
    name: 'provider-500',
    injected: 'token endpoint HTTP 500, once',
    options: {
      ...WARM,
      faults: { afterWarm: failTokenNext(1, { status: 500, body: { error: 'server_error' } }) },
    },
    expect: refreshFailsThenRecovers,
  },
  {
    name: 'provider-timeout',
    injected: 'token endpoint never answers, once',
    options: { ...WARM, faults: { afterWarm: failTokenNext(1, 'timeout') } },
    expect: refreshFailsThenRecovers,
  },
  {
    name: 'provider-slow',
    injected: 'token endpoint 3 s slow (lease 2 s) for the next refresh',
    options: {
      ...WARM,
      faults: {
        afterWarm: async ({ provider }) => {
          const calls = provider!.stats().tokenCalls;
          provider!.setLatency(3_000);
          // Slow for the next refresh-ahead (5 s after the commit) alone; its retry after the
          // back-off is answered at once. The request reads the latency just after it is counted.
          for (let waited = 0; provider!.stats().tokenCalls === calls && waited < 20_000; waited += 50)
            await sleep(50);
          await sleep(500);
          provider!.setLatency(0);
        },
      },
    },
    // The slow answer arrives after the holder gave up: counted, never committed.
    expect: refreshFailsThenRecovers,
  },
  {
    name: 'provider-invalid-grant',
    injected: 'token endpoint 400 invalid_grant, once',
    options: {
      ...WARM,
      faults: { afterWarm: failTokenNext(1, { status: 400, body: { error: 'invalid_grant' } }) },
    },
    expect: refreshFailsThenRecovers,
  },
  {
    name: 'provider-invalid-client',
    injected: 'token endpoint 401 invalid_client, once',
    options: {
      ...WARM,
      faults: { afterWarm: failTokenNext(1, { status: 401, body: { error: 'invalid_client' } }) },
    },
    // invalid_client makes the holder read the secret again (rotated credentials) before it retries.
    expect: { ...warmAndKeepsServing, checks: [atLeast('tokenGenerations', 2)] },
  },
  {
    name: 'provider-malformed-json',
    injected: 'token endpoint 200 with truncated JSON, once',
    options: {
      ...WARM,
      faults: { afterWarm: failTokenNext(1, { status: 200, rawBody: '{"access_token":' }) },
    },
    expect: refreshFailsThenRecovers,
  },
  ...(
    [
      ['0', 0],
      ['negative', -60],
      ['absurd', 1e12],
    ] as const
  ).map(
    ([label, value]): ChaosScenario => ({
      name: `expires-in-${label}`,
      injected: `OAuth2 answer with expires_in ${value}, once`,
      options: {
        ...WARM,
        api: 'oauth2',
        faults: { afterWarm: ({ provider }) => provider!.setNextExpiresIn(value) },
      },
      expect: refreshFailsThenRecovers,
    }),
  ),
  {
    name: 'refresh-token-rotation',
    injected: 'rotating refresh tokens, refreshed every 2 s',
    // 4-s tokens: refresh-ahead opens 2 s after each commit; a 1-s lease fits the window.
    options: { ...WARM, api: 'oauth2-refresh-token', tokenTtlSeconds: 4, leaseMs: 1_000 },
    // Each commit carries the rotated refresh token with the access token: nobody replays one.
    expect: {
      ...warmAndKeepsServing,
      checks: [exactly('refreshReplays', 0), atLeast('tokenGenerations', 3)],
    },
  },
  {
    name: 'refresh-token-reused',
    injected: 'bootstrap refresh token already rotated away',
    options: {
      ...COLD,
      api: 'oauth2-refresh-token',
      invocations: 3,
      thinkMs: 300,
      faults: { beforeStart: useBootstrapRefreshToken },
    },
    // No retry can fix a dead refresh token: one holder hears invalid_grant, the shared back-off
    // (1 s, then 2 s) keeps the others from asking again within the run, everybody fails clearly.
    expect: {
      failed: { min: 'all', max: 'all' },
      errors: /^(RefreshTokenExpiredError|TokenRefreshError)$/,
      checks: [
        atLeast('RefreshTokenExpired', 1),
        atMost('providerTokenCalls', 2),
        exactly('tokenGenerations', 0),
      ],
    },
  },
  {
    name: 'dynamo-throttled',
    injected: '40% of DynamoDB calls throttled, 6 s',
    options: {
      ...WARM,
      faults: {
        afterWarm: ({ dynamo }) => dynamo.inject({ kind: 'throttle', rate: 0.4, durationMs: WARM_FAULT_MS }),
      },
    },
    expect: { ...warmAndKeepsServing, checks: [atLeast('tokenGenerations', 2)] },
  },
  {
    name: 'dynamo-throttled-cold',
    injected: '30% of DynamoDB calls throttled from the start',
    options: {
      ...COLD,
      invocations: 3,
      faults: { beforeStart: ({ dynamo }) => dynamo.inject({ kind: 'throttle', rate: 0.3 }) },
    },
    // The SDK retries a throttled call twice: a cold invocation fails only when all three
    // attempts of one of its calls are throttled (2.7 % each), and never with an untyped error.
    expect: {
      failed: { min: 0, max: 8 },
      errors: /^TokenStoreError$/,
      checks: [exactly('tokenGenerations', 1)],
    },
  },
  {
    name: 'dynamo-connection-resets',
    injected: '40% of DynamoDB connections reset, 6 s',
    options: {
      ...WARM,
      faults: {
        afterWarm: ({ dynamo }) => dynamo.inject({ kind: 'reset', rate: 0.4, durationMs: WARM_FAULT_MS }),
      },
    },
    expect: { ...warmAndKeepsServing, checks: [atLeast('tokenGenerations', 2)] },
  },
  {
    name: 'dynamo-answers-dropped',
    injected: 'half the DynamoDB write answers dropped after the write applied, 6 s',
    options: {
      ...WARM,
      faults: {
        afterWarm: ({ dynamo }) =>
          dynamo.inject({
            kind: 'drop-answer',
            operations: ['UpdateItem'],
            rate: 0.5,
            durationMs: WARM_FAULT_MS,
          }),
      },
    },
    // The SDK sends a claim or commit again when its answer is lost, and the fence then fails
    // on the write's own effect. The store knows its own write (the lease in its owner, the item
    // holding its ciphertext), so no commit is taken for a lost lease. (A claim whose four
    // answers are all dropped still leaves its lease to run out: a take-over, not checked here.)
    expect: {
      ...warmAndKeepsServing,
      checks: [
        atLeast('tokenGenerations', 2),
        exactly('providerTokenCalls', 'tokenGenerations'),
        exactly('LeaseLost', 0),
      ],
    },
  },
  {
    name: 'dynamo-latency',
    injected: 'every DynamoDB call 400 ms late, cold start',
    options: {
      ...COLD,
      faults: { beforeStart: ({ dynamo }) => dynamo.inject({ kind: 'latency', ms: 400, durationMs: 3_000 }) },
    },
    expect: { failed: { min: 0, max: 0 }, checks: [exactly('tokenGenerations', 1)] },
  },
  {
    name: 'dynamo-unreachable-warm',
    injected: 'DynamoDB unreachable once all are warm',
    options: {
      ...COLD,
      invocations: 20,
      thinkMs: 20,
      faults: { afterWarm: ({ dynamo }) => dynamo.setReachable(false) },
    },
    // Zero network calls on a warm invocation: the outage is invisible.
    expect: { failed: { min: 0, max: 0 }, checks: [exactly('tokenGenerations', 1)] },
  },
  {
    name: 'dynamo-unreachable-cold',
    injected: 'DynamoDB unreachable from the start',
    options: { ...COLD, faults: { beforeStart: ({ dynamo }) => dynamo.setReachable(false) } },
    expect: {
      failed: { min: 'all', max: 'all' },
      errors: /^TokenStoreError$/,
      checks: [exactly('providerTokenCalls', 0)],
    },
  },
  {
    name: 'secrets-manager-down-warm',
    injected: 'Secrets Manager stopped once all are warm',
    options: { ...WARM, faults: { afterWarm: ({ secretsManager }) => secretsManager.stop() } },
    // The refresh after the outage began uses the credentials its container cached at cold start.
    expect: { ...warmAndKeepsServing, checks: [atLeast('tokenGenerations', 2)] },
  },
  {
    name: 'key-rotated-warm',
    injected: "the secret's key rotated (examples/key-rotation) once all are warm",
    options: { ...WARM, faults: { afterWarm: rotateSecretKeyOrFail } },
    // The containers keep the secret they fetched (5 minutes): they seal under the old key, which
    // the new version keeps second, so a container starting after the rotation still opens it.
    expect: keyRotationUnnoticed,
  },
  {
    name: 'key-rotated-twice-refetched',
    injected: 'the key rotated twice, the secret fetched on every invocation (secretCacheExpiry 0)',
    options: {
      ...WARM,
      invocations: 60,
      secretCacheExpiryMs: 0,
      faults: {
        afterWarm: async (stack) => {
          const firstNewKey = await rotateSecretKeyOrFail(stack);
          // The second rotation drops the cold start's key: it must wait for the refresh-ahead
          // to seal the token under the first new key (testSecret refuses it before).
          await untilStoredUnder(stack, firstNewKey, 10_000);
          await rotateSecretKeyOrFail(stack);
        },
      },
    },
    expect: keyRotationUnnoticed,
  },
  {
    name: 'secrets-manager-down-cold',
    injected: 'Secrets Manager stopped before the cold starts',
    options: { ...COLD, faults: { beforeStart: ({ secretsManager }) => secretsManager.stop() } },
    expect: {
      failed: { min: 'all', max: 'all' },
      errors: /^SecretError$/,
      checks: [exactly('providerTokenCalls', 0)],
    },
  },
  ...(['tampered', 'truncated', 'swapped', 'wrong-salt'] as const).map(
    (seed): ChaosScenario => ({
      name: `ciphertext-${seed}`,
      injected: {
        tampered: 'one bit of the stored ciphertext flipped',
        truncated: 'stored ciphertext cut short',
        swapped: "another tokenType's ciphertext in the item",
        'wrong-salt': 'ciphertext sealed with another salt',
      }[seed],
      options: { ...COLD, seed },
      // Never served: counted as missing (I5), refreshed once, and the data API never sees garbage.
      expect: {
        failed: { min: 0, max: 0 },
        checks: [atLeast('decryptFailed', 1), exactly('providerTokenCalls', 1), exactly('apiRejected', 0)],
      },
    }),
  ),
  {
    name: 'clock-skew',
    injected: 'container clocks -2 s, 0, +2 s',
    // Leases longer than twice the skew, as the defaults are (10 s leases): a container 2 s ahead
    // must not take over a live lease of one 2 s behind. Refresh-ahead opens half the token's life
    // (10 s) after the commit, 8 s on the clock 2 s ahead: 60 invocations 200 ms apart last at
    // least 12 s however fast the machine, so the run always meets it (35 lasted 7 s when idle).
    options: {
      containers: 9,
      invocations: 60,
      thinkMs: 200,
      tokenTtlSeconds: 20,
      leaseMs: 5_000,
      clockOffsetsMs: [-2_000, 0, 2_000],
      ...FAST_POLLS,
    },
    expect: {
      failed: { min: 0, max: 0 },
      checks: [atLeast('tokenGenerations', 2), exactly('lockTakeovers', 0)],
    },
  },
  {
    name: 'deadline-while-waiting',
    injected: 'provider 5 s slow, invocations end after 1.2 s',
    options: { ...COLD, invocations: 1, providerLatencyMs: 5_000, invocationTimeoutMs: 1_200 },
    expect: { failed: { min: 'all', max: 'all' }, errors: /^(LockWaitTimeoutError|TokenRefreshError)$/ },
  },
  {
    name: 'rate-limit-storm',
    injected: '30% of API calls 403 REQUEST_LIMIT_EXCEEDED',
    options: { ...COLD, invocations: 10, rateLimitRate: 0.3 },
    // The token is fine: the 403 surfaces as it is, and nobody refreshes.
    expect: {
      failed: { min: 0, max: 'all' },
      errors: /^SalesforceApiError:REQUEST_LIMIT_EXCEEDED$/,
      checks: [
        exactly('failed', 'apiRateLimited'),
        exactly('providerTokenCalls', 1),
        exactly('ProviderRejected', 0),
      ],
    },
  },
  {
    name: 'auth-403-storm',
    injected: 'token revoked while all 8 containers hold it',
    options: { ...COLD, revokeAfterFirstInvocation: true, providerLatencyMs: 100 },
    // Eight rejections of one version, one refresh, every invocation retried once and served.
    expect: {
      failed: { min: 0, max: 0 },
      checks: [
        exactly('providerTokenCalls', 2),
        exactly('ProviderRejected', 8),
        exactly('RetrySucceeded', 8),
      ],
    },
  },
  {
    name: 'auth-403-middy-use',
    injected: 'token revoked while all 8 containers hold it; handlers attached with .use()',
    options: { ...COLD, entry: 'middy-use', invocations: 3, revokeAfterFirstInvocation: true },
    // No retry without the wrapper: each container's next invocation meets the revoked version and
    // fails, its onError refreshing that version (once for all); the invocation after it is served.
    expect: {
      failed: { min: 8, max: 8 },
      errors: /^SalesforceApiError:INVALID_SESSION_ID$/,
      checks: [exactly('providerTokenCalls', 2), exactly('tokenGenerations', 2), exactly('succeeded', 16)],
    },
  },
  ON_DEFAULTS(300),
  ON_DEFAULTS(120),
  {
    name: 'short-and-long-deadlines',
    injected: 'half the containers with 1.5-s invocations, half 15 s; provider answers in 900 ms',
    // 20-s tokens (lease 5 s: a quarter of their life); refresh-ahead opens 10 s after each commit,
    // and 60 invocations 200 ms apart last at least 12 s, so the run meets at least one. A 1.5-s invocation has 1 s before its cutoff, less than a
    // refresh needs (the lease, 5 s): it never claims, so the 900-ms provider is never cut short
    // by its deadline and booked as failed. It serves the shared token, waits for a holder, or
    // fails fast (LockWaitTimeoutError) on a cold start.
    options: {
      containers: 8,
      invocations: 60,
      thinkMs: 200,
      tokenTtlSeconds: 20,
      providerLatencyMs: 900,
      invocationTimeoutsMs: [1_500, 15_000],
      ...FAST_POLLS,
    },
    // Failures: the short invocations of the cold start, before the first commit (about 1 s of
    // provider latency after the containers load); 6 per short container is a bound even on a
    // busy machine, far below the 30 each would lose to a fleet-wide back-off.
    expect: {
      failed: { min: 0, max: 24 },
      errors: /^LockWaitTimeoutError$/,
      checks: [
        exactly('TokenRefreshFailed', 0),
        exactly('RefreshCutShort', 0),
        exactly('providerTokenCalls', 'tokenGenerations'),
        atLeast('tokenGenerations', 2),
      ],
    },
  },
  {
    name: 'dynamo-commit-blackholed',
    injected:
      'the next token commit held unanswered by DynamoDB (accepted, never replied), warm fleet, 4-s invocations',
    // The holder's commit is abandoned at its cutoff (3.5 s): counted as a failed refresh, no
    // back-off; its invocation serves the still-valid token. Once its 2-s lease ends another
    // container refreshes. Before, the commit had no bound and the invocation hung past 4 s.
    options: {
      ...WARM,
      invocationTimeoutMs: 4_000,
      faults: {
        afterWarm: ({ dynamo }) =>
          dynamo.inject({
            kind: 'blackhole',
            operations: ['UpdateItem'],
            bodyIncludes: 'SET accessToken',
            count: 1,
          }),
      },
    },
    expect: refreshFailsThenRecovers,
  },
  {
    name: 'kms-stalled',
    injected: 'KMS Decrypt held unanswered, once per container, cold start (KMS envelope encryption)',
    // The 7 containers that did not commit each wait for KMS Decrypt: the first invocation gives up
    // at its cutoff (LockWaitTimeoutError, aws-call-abandoned); the call goes on, times out at the
    // client's 5-s request timeout, is retried and answered, and the next invocations are served.
    options: {
      ...COLD,
      cipher: 'kms',
      invocations: 4,
      thinkMs: 500,
      invocationTimeoutMs: 3_000,
      faults: { beforeStart: ({ kms }) => kms!.stall({ operations: ['Decrypt'], count: 7 }) },
    },
    // Usually 2 failures per stalled container (the second invocation's cutoff comes about when
    // the retried call is answered); 3 allows a busy machine; the last one is always served.
    expect: {
      failed: { min: 1, max: 21 },
      errors: /^LockWaitTimeoutError$/,
      checks: [exactly('providerTokenCalls', 1), exactly('tokenGenerations', 1), atLeast('succeeded', 8)],
    },
  },
  {
    name: 'secrets-manager-stalled',
    injected: 'GetSecretValue held unanswered, once per container, cold start',
    // Each container's first read of the secret (Middy's prefetch) stalls: its first invocation
    // gives up at its cutoff (LockWaitTimeoutError, aws-call-abandoned); the read times out at the
    // client's 5-s request timeout, is retried and answered, and the next invocations are served.
    options: {
      ...COLD,
      invocations: 4,
      thinkMs: 500,
      invocationTimeoutMs: 3_000,
      faults: {
        beforeStart: ({ secretsManager }) =>
          secretsManager.stall({ operations: ['GetSecretValue'], count: 8 }),
      },
    },
    // As kms-stalled: usually 2 failures per container, at most 3, the last invocation served.
    expect: {
      failed: { min: 1, max: 24 },
      errors: /^LockWaitTimeoutError$/,
      checks: [exactly('providerTokenCalls', 1), exactly('tokenGenerations', 1), atLeast('succeeded', 8)],
    },
  },
  {
    name: 'provider-huge-answer',
    injected: 'token endpoint answers 200 MiB, once',
    // Read up to 64 KiB, then refused (InvalidProviderResponseError): a failed refresh, the token
    // still valid, the next attempt served. No container's memory grows with the answer.
    options: { ...WARM, faults: { afterWarm: failTokenNext(1, { stream: 'huge' }) } },
    expect: {
      ...refreshFailsThenRecovers,
      checks: [...(refreshFailsThenRecovers.checks ?? []), atMost('maxContainerRssMiB', 256)],
    },
  },
  {
    name: 'provider-slow-drip',
    injected: 'token endpoint answers a few bytes every 100 ms, never ending, once',
    // Cut at the lease's provider budget like any timeout: a failed refresh, then a good one.
    options: { ...WARM, faults: { afterWarm: failTokenNext(1, { stream: 'drip', everyMs: 100 }) } },
    expect: refreshFailsThenRecovers,
  },
  {
    name: 'same-owner-id',
    injected: 'every container given ownerId "orders-fn" (set per function, not per container)',
    // The lock owner is ownerId, a random part per container and a counter: never the same twice.
    options: { ...COLD, ownerId: 'orders-fn', providerLatencyMs: 200 },
    expect: {
      failed: { min: 0, max: 0 },
      checks: [exactly('providerTokenCalls', 1), exactly('tokenGenerations', 1)],
    },
  },
  {
    name: 'provider-down-then-back',
    injected: 'token endpoint HTTP 503 three times, cold start',
    options: {
      ...COLD,
      invocations: 15,
      thinkMs: 150,
      failureBackoffMs: 200,
      faults: { beforeStart: failTokenNext(3, { status: 503, body: { error: 'temporarily_unavailable' } }) },
    },
    // The shared back-off (0.2, 0.4, 0.8 s) lets one container ask at a time: four calls in all,
    // not one per container per invocation. Cold invocations fail until the fourth call; after
    // it, every container is served.
    expect: {
      failed: { min: 1, max: 'all' },
      errors: /^TokenRefreshError$/,
      checks: [exactly('providerTokenCalls', 4), exactly('tokenGenerations', 1), atLeast('succeeded', 8)],
    },
  },
];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Somebody else used the bootstrap refresh token, so the provider rotated it away. */
async function useBootstrapRefreshToken({ provider, secret }: SimulationStack): Promise<void> {
  const response = await fetch(provider!.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: secret.refreshToken!,
      client_id: secret.clientId!,
      client_secret: secret.clientSecret!,
    }),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the bootstrap refresh token was not accepted (HTTP ${response.status})`);
  provider!.resetStats(); // That call was the scenario's, not the fleet's.
}

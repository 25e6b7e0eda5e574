/**
 * What a simulation run can be asked to do: every option declared once, with its default as data
 * (`SIMULATION_DEFAULTS`) beside it. The stack, the fleet and the report all read the same
 * settings object (`SimulationSettings`), so no option is threaded by hand.
 */
import type { DynamoEngine } from '../local-stack/dynamodb-local.js';
import type { SimulationMonitor } from './fleet-monitor.js';
import type { CipherKind, Entry, Strategy } from './protocol.js';
import type { SimulationFaults, SimulationStack } from './simulation-stack.js';
import type { TimingOptions } from './timing-options.js';

/** Which local provider the containers use: the Salesforce example, or a plain OAuth2 one (generic handler). */
export type SimulationApi = 'salesforce' | 'oauth2' | 'oauth2-refresh-token';

/** How long a simulated invocation may run: each container's deadline, which I2 is judged by. */
export const DEFAULT_INVOCATION_TIMEOUT_MS = 15_000;

/** The seeds: a bad item (it must count as missing, I5), or a good one that expired. */
export type SeedKind = 'tampered' | 'truncated' | 'swapped' | 'wrong-salt' | 'expired';

/**
 * The library's timing options (`TimingOptions`) are passed to the containers only when they are
 * set here, or when the token's life rules the library's default out; the report's
 * `tunedOptions` lists what was passed.
 */
export interface SimulationOptions extends TimingOptions {
  /** @default 20 */
  containers?: number;
  /** Per container. @default 20 */
  invocations?: number;
  /** Lifetime of the tokens the local provider issues. @default 3600 */
  tokenTtlSeconds?: number;
  /** Probability that the data API revokes the token it is shown. @default 0 */
  rejectRate?: number;
  /** Probability that the data API answers 403 REQUEST_LIMIT_EXCEEDED (the token stays good). @default 0 */
  rateLimitRate?: number;
  /** How handlers get the token: the Middy middleware, or the core API. @default 'middleware' */
  entry?: Entry;
  /**
   * How tokens are sealed: the secret's salt, or KMS envelope encryption through a local KMS
   * server (the handlers get `kmsCipher`). @default 'salt'
   */
  cipher?: CipherKind;
  /** This project, or an alternative a user might build instead (for the benchmark). @default 'shared-token' */
  strategy?: Strategy;
  /**
   * The local provider: the Salesforce example's, OAuth2 client credentials, or OAuth2 refresh tokens
   * that rotate on every use (the secret holds a bootstrap refresh token). @default 'salesforce'
   */
  api?: SimulationApi;
  /** Clock offsets of the containers, ms, assigned in turn (container i gets `[i % length]`). @default [0] */
  clockOffsetsMs?: number[];
  /** Faults to inject while the containers run (chaos scenarios). @default none */
  faults?: SimulationFaults;
  /** @default 0 */
  providerLatencyMs?: number;
  /** SIGKILL the first container that starts a refresh, mid-refresh. @default false */
  killHolder?: boolean;
  /**
   * Freeze (SIGSTOP) the first container that gets a provider answer, before it commits,
   * for this long, then resume it: its lease is taken over meanwhile and its commit must fail (I3).
   * @default 0 (no freeze)
   */
  freezeHolderMs?: number;
  /**
   * When every container has done its first invocation, revoke every token: a storm of rejections
   * of one version. @default false
   */
  revokeAfterFirstInvocation?: boolean;
  /** Put a bad item (or a good but expired one) in the table before the containers start. @default none */
  seed?: SeedKind;
  /** @default 'auto' (DynamoDB Local when Java is found, else dynalite) */
  engine?: DynamoEngine | 'auto';
  /** Use this DynamoDB instead of starting one. @default none */
  endpoint?: string;
  /** @default 'demo-local-access-tokens' */
  table?: string;
  /**
   * Use this OAuth2 token endpoint (client_credentials; credentials from SIMULATOR_CLIENT_ID /
   * SIMULATOR_CLIENT_SECRET) and this data API instead of the local Salesforce; both or neither.
   * @default none
   */
  providerUrl?: string;
  /** With `providerUrl`. @default none */
  apiUrl?: string;
  /** Pause between two invocations of one container. @default 0 */
  thinkMs?: number;
  /** @default DEFAULT_INVOCATION_TIMEOUT_MS (15 s) */
  invocationTimeoutMs?: number;
  /**
   * Each container's invocation deadline instead, assigned in turn (container i gets
   * `[i % length]`): short-deadline and long-deadline functions sharing one token. @default none
   */
  invocationTimeoutsMs?: number[];
  /**
   * The `ownerId` option every container is given, the same for all (as when it is set per
   * function rather than per container). @default none: the library's random one per container
   */
  ownerId?: string;
  /**
   * The `secretCacheExpiry` option (ms) every container is given: `0` fetches the provider's
   * secret on every invocation, so a key rotation reaches the next invocation.
   * @default the library's (300000, 5 minutes)
   */
  secretCacheExpiryMs?: number;
  /** @default 'salesforce' (the example's) */
  tokenType?: string;
  /**
   * Also run the scheduled refresher (examples/scheduled-refresh) in one more child process every
   * this many ms, its window wider than the containers' by that interval. @default off
   */
  refresherEveryMs?: number;
  /**
   * Called once the fleet has ended and the report is taken, before the stack stops: to look at
   * what the run left (the demo runs `lambda-shared-token status` and `doctor` on it). Awaited; its
   * failure fails the run. @default none
   */
  afterRun?: (stack: SimulationStack) => Promise<void>;
  /** Called as containers report progress. @default none */
  onProgress?: (done: number, total: number, providerCalls: number) => void;
  /** Kill everything and fail after this long. @default 300_000 */
  timeoutMs?: number;
  /** Sample the running fleet (the soak checks its invariants on every sample). @default none */
  monitor?: SimulationMonitor;
  /** Aborting it kills the containers; the run fails with the signal's reason. @default none */
  signal?: AbortSignal;
  /**
   * Every container waits at a barrier after its first invocation, and the fleet rests this long
   * there before the revocation (`revokeAfterFirstInvocation`), `faults.afterWarm` and the second
   * invocations: warm containers that are idle, as a storm finds them in Lambda, not still compiling
   * and collecting after their cold start; or tokens that expire meanwhile. @default 0 (no rest)
   */
  restAtBarrierMs?: number;
  /**
   * Record every DynamoDB call with its container, kind and times (dynamo-trace.ts), for the
   * bench's timeline. Each container then reaches the proxy at its own path. @default false
   */
  traceDynamoCalls?: boolean;
}

/** The `@default` of every option that has one, as data: the one place each default is written. */
export const SIMULATION_DEFAULTS = {
  containers: 20,
  invocations: 20,
  tokenTtlSeconds: 3600,
  rejectRate: 0,
  rateLimitRate: 0,
  entry: 'middleware',
  cipher: 'salt',
  strategy: 'shared-token',
  api: 'salesforce',
  clockOffsetsMs: [0],
  providerLatencyMs: 0,
  killHolder: false,
  freezeHolderMs: 0,
  revokeAfterFirstInvocation: false,
  engine: 'auto',
  table: 'demo-local-access-tokens',
  thinkMs: 0,
  invocationTimeoutMs: DEFAULT_INVOCATION_TIMEOUT_MS,
  tokenType: 'salesforce',
  timeoutMs: 300_000,
  traceDynamoCalls: false,
  restAtBarrierMs: 0,
} satisfies SimulationOptions;

/** The options of one run, every default filled in. */
export type SimulationSettings = SimulationOptions & {
  [K in keyof typeof SIMULATION_DEFAULTS]-?: NonNullable<SimulationOptions[K]>;
};

/** The caller's options over the defaults; refuses a provider given without its data API, or the reverse. */
export function simulationSettings(options: SimulationOptions): SimulationSettings {
  if ((options.providerUrl === undefined) !== (options.apiUrl === undefined)) {
    throw new Error('providerUrl and apiUrl go together: give both, or neither for the local Salesforce');
  }
  return { ...SIMULATION_DEFAULTS, ...options };
}

/** True when the containers use an external OAuth2 provider and data API instead of the local one. */
export function usesExternalProvider(
  settings: SimulationSettings,
): settings is SimulationSettings & { providerUrl: string; apiUrl: string } {
  return settings.providerUrl !== undefined && settings.apiUrl !== undefined;
}

/**
 * The simulator: N Lambda containers (child processes) share one token through the
 * real local stack. Used by `npm run demo`, by the integration tests and by the bench.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { SaltCipher } from '../../layer/advanced.js';
import { type DynamoProxy, startDynamoProxy } from '../local-stack/dynamo-proxy.js';
import { type DynamoEngine, startDynamo } from '../local-stack/dynamodb-local.js';
import { type LocalKms, startKms } from '../local-stack/kms-server.js';
import { type LocalOAuthProvider, startOAuthProvider } from '../local-stack/oauth-provider.js';
import type { OAuthProviderStats } from '../local-stack/oauth-state.js';
import { countFound } from '../local-stack/secret-index.js';
import { registerSecret } from '../local-stack/secret-registry.js';
import { type LocalSecretsManager, startSecretsManager } from '../local-stack/secrets-manager-server.js';
import { createTokenTable, localDynamoClient } from '../local-stack/table.js';
import { metricTotalsFromEmf } from './emf.js';
import { forkLambdaProcess } from './lambda-process.js';
import type {
  ChildMessage,
  CipherKind,
  ContainerConfig,
  ContainerResult,
  Entry,
  ParentMessage,
  RefresherResult,
  Strategy,
} from './protocol.js';
import { forkRefresher } from './refresher-process.js';
import { summarize } from './report.js';
import {
  type ContainerTiming,
  containerTiming,
  effectiveTiming,
  type TimingOptions,
} from './timing-options.js';

/** The running local stack, handed to a scenario's fault injections (`faults`). */
export interface SimulationStack {
  /** Undefined with an external provider (`providerUrl`). */
  provider: LocalOAuthProvider | undefined;
  /** The counting, fault-injecting proxy every container reaches DynamoDB through. */
  dynamo: DynamoProxy;
  /** A client that reaches DynamoDB directly, around the proxy (to tamper with the item). */
  directDynamo: DynamoDBClient;
  secretsManager: LocalSecretsManager;
  kms: LocalKms | undefined;
  tableName: string;
  tokenType: string;
  /** The fields of the provider's secret (clientId, clientSecret, salt, refreshToken): secret values, never print them. */
  secret: Readonly<Record<string, string>>;
}

/**
 * Faults a scenario injects into the running stack. `afterWarm` may return a promise the fleet does
 * not wait for (it can keep injecting, e.g. end an outage later); the run waits for it before the
 * stack stops, and fails when it failed.
 */
export interface SimulationFaults {
  /** Before the containers start (they load their code, fetch their secret, then invoke); awaited. */
  beforeStart?: (stack: SimulationStack) => void | Promise<void>;
  /** When every container has done its first invocation (all warm, all holding the same token). */
  afterWarm?: (stack: SimulationStack) => void | Promise<void>;
}

/** One look at a running fleet (`monitor`): what the provider issued, what the table holds, how far each container is. */
export interface SimulationSample {
  /** Epoch ms of the version read. */
  at: number;
  /** The provider's counters just before the version read (undefined with an external provider). */
  providerBefore: OAuthProviderStats | undefined;
  /** The item's `version` (consistent read around the proxy); 0 while there is no item. */
  version: number;
  /** The provider's counters just after it: what was issued by the read lies between the two. */
  providerAfter: OAuthProviderStats | undefined;
  /** The version before the containers started. */
  initialVersion: number;
  /** Per container: invocations done and RSS at its last progress report (0 before the first). */
  containers: { done: number; rssBytes: number }[];
  /** Invocations done by all containers. */
  done: number;
  /** The last sample, taken when every container has ended. */
  final: boolean;
}

/** Samples the running fleet every `everyMs` from the moment the containers go, and once more at the end. */
export interface SimulationMonitor {
  everyMs: number;
  /** A throw fails the run (after the containers end); to stop them at once, abort `signal`. */
  sample(sample: SimulationSample): void;
}

/** Which local provider the containers use: the Salesforce example, or a plain OAuth2 one (generic handler). */
export type SimulationApi = 'salesforce' | 'oauth2' | 'oauth2-refresh-token';

/** How long a simulated invocation may run: each container's deadline, which I2 is judged by. */
export const DEFAULT_INVOCATION_TIMEOUT_MS = 15_000;

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
  /** Faults to inject while the containers run (chaos scenarios). */
  faults?: SimulationFaults;
  /** @default 0 */
  providerLatencyMs?: number;
  /** SIGKILL the first container that starts a refresh, mid-refresh. @default false */
  killHolder?: boolean;
  /**
   * Freeze (SIGSTOP) the first container that gets a provider answer, before it commits,
   * for this long, then resume it: its lease is taken over meanwhile and its commit must fail (I3).
   */
  freezeHolderMs?: number;
  /** When every container has done its first invocation, revoke every token: a storm of rejections of one version. */
  revokeAfterFirstInvocation?: boolean;
  /** Put a bad item (or a good but expired one) in the table before the containers start. */
  seed?: 'tampered' | 'truncated' | 'swapped' | 'wrong-salt' | 'expired';
  /** @default 'auto' (DynamoDB Local when Java is found, else dynalite) */
  engine?: DynamoEngine | 'auto';
  /** Use this DynamoDB instead of starting one. */
  endpoint?: string;
  /** @default 'demo-local-access-tokens' */
  table?: string;
  /**
   * Use this OAuth2 token endpoint (client_credentials; credentials from SIMULATOR_CLIENT_ID /
   * SIMULATOR_CLIENT_SECRET) and this data API instead of the local Salesforce; both or neither.
   */
  providerUrl?: string;
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
  /** @default 'salesforce' (the example's) */
  tokenType?: string;
  /**
   * Also run the scheduled refresher (examples/scheduled-refresh) in one more child process every
   * this many ms, its window wider than the containers' by that interval. @default off
   */
  refresherEveryMs?: number;
  /** Called as containers report progress. */
  onProgress?: (done: number, total: number, providerCalls: number) => void;
  /** Kill everything and fail after this long. @default 300_000 */
  timeoutMs?: number;
  /** Sample the running fleet (the soak checks its invariants on every sample). @default none */
  monitor?: SimulationMonitor;
  /** Aborting it kills the containers; the run fails with the signal's reason. @default none */
  signal?: AbortSignal;
}

export interface SimulationReport {
  engine: string;
  entry: Entry;
  cipher: CipherKind;
  /** Lifetime of the tokens the local provider issued. */
  tokenTtlSeconds: number;
  /**
   * The library's timing options the containers were given, exactly: those the caller set, and
   * replacements for the defaults the token's life ruled out (empty: all the library's defaults).
   */
  tunedOptions: TimingOptions;
  /** Why each of `tunedOptions` is there. */
  tunedBy: ContainerTiming['reasons'];
  containers: number;
  invocations: number;
  succeeded: number;
  failed: number;
  killed: number;
  /** Token requests the provider received. */
  providerTokenCalls: number;
  /** Of those, the answers that carried a new token (injected failures did not). */
  tokensIssued: number;
  /** Refresh tokens presented after they had been rotated away (refused with invalid_grant). */
  refreshReplays: number;
  /** Generations committed to the table during the run. */
  tokenGenerations: number;
  dynamoReads: number;
  dynamoWrites: number;
  maxWaitMs: number;
  /** Longest time any invocation spent getting its token, failed ones included. */
  maxOverheadMs: number;
  /** Longest time any invocation spent getting its token past its own deadline (0: none did; I2). */
  maxPastDeadlineMs: number;
  overheadMsP50: number;
  overheadMsP99: number;
  apiCalls: number;
  apiRejected: number;
  /** 403 REQUEST_LIMIT_EXCEEDED answers: never a reason to refresh. */
  apiRateLimited: number;
  /** GetSecretValue calls the local Secrets Manager answered (one per cold container, plus rotations). */
  secretFetches: number;
  /** KMS calls the local KMS server answered (GenerateDataKey + Decrypt); 0 with the salt cipher. */
  kmsCalls: number;
  /** The same calls by operation. */
  kmsCallsByOperation: Record<string, number>;
  cacheHits: number;
  lockTakeovers: number;
  leaseLost: number;
  decryptFailed: number;
  /** Error name -> count, over all failed invocations. */
  errors: Record<string, number>;
  /** Totals of each SharedToken metric, read from the Powertools EMF output of all containers. */
  metrics: Record<string, number>;
  /** Secret values (salt, client secret, issued tokens) found in anything the containers printed. */
  secretsInOutput: number;
  /**
   * Tokens shown to the data API that were never in the table: served without a commit. Must be 0.
   * Checked with the salt cipher and the local provider (the run decrypts what the table held).
   */
  uncommittedTokensServed?: number;
  /** What the scheduled refresher did, when it ran (`refresherEveryMs`). */
  refresher?: RefresherResult & { everyMs: number };
  /** RSS of each container at its end, MiB (max). */
  maxContainerRssMiB: number;
  elapsedMs: number;
}

/** The alias of the local KMS key the containers seal tokens with (`--cipher kms`). */
const KMS_KEY_ALIAS = 'alias/shared-token-simulator';

// Beside this file when it runs bundled (the demo), beside the bench's bundle, or in .build/ from source (Jest).
const CONTAINER_SCRIPT = [
  './container.js',
  '../simulator/container.js',
  '../../.build/scripts/simulator/container.js',
]
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path));

/** The report, plus the raw per-container figures and fleet events the benchmark reads. */
export interface DetailedSimulation {
  report: SimulationReport;
  results: ContainerResult[];
  /** Epoch ms of each `refreshing` message: a lease holder asked the provider. */
  refreshingAt: number[];
  /** Epoch ms when the holder was SIGKILLed (killHolder). */
  killedAt: number | undefined;
}

export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationReport> {
  return (await runSimulationDetailed(options)).report;
}

export async function runSimulationDetailed(options: SimulationOptions = {}): Promise<DetailedSimulation> {
  const settings = {
    containers: 20,
    invocations: 20,
    tokenTtlSeconds: 3600,
    rejectRate: 0,
    rateLimitRate: 0,
    entry: 'middleware' as Entry,
    cipher: 'salt' as CipherKind,
    strategy: 'shared-token' as Strategy,
    providerLatencyMs: 0,
    killHolder: false,
    freezeHolderMs: 0,
    revokeAfterFirstInvocation: false,
    engine: 'auto' as const,
    api: 'salesforce' as SimulationApi,
    clockOffsetsMs: [0],
    table: 'demo-local-access-tokens',
    thinkMs: 0,
    invocationTimeoutMs: DEFAULT_INVOCATION_TIMEOUT_MS,
    tokenType: 'salesforce',
    timeoutMs: 300_000,
    ...options,
  };
  if (CONTAINER_SCRIPT === undefined) {
    throw new Error('The container bundle is missing: run `npm run build` (or `make demo`) first');
  }
  const started = performance.now();
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const dynamo = settings.endpoint
      ? { engine: 'external', endpoint: settings.endpoint }
      : await startDynamo({ engine: settings.engine }).then((running) => {
          stoppers.push(() => running.stop());
          return running;
        });
    // Every ciphertext an answer of the engine shows was in the table: the tokens that were
    // committed. Answers dropped on the way to the client count (the write applied), and so do
    // failed conditions, whose ALL_OLD item is the table as it was.
    const storedCiphertexts = new Set<string>();
    const proxy = await startDynamoProxy(dynamo.endpoint, {
      onAnswer: ({ body }) => {
        if (body.includes('"accessToken"')) {
          const answer = JSON.parse(body) as { Item?: StoredItem; Attributes?: StoredItem };
          const ciphertext = (answer.Item ?? answer.Attributes)?.accessToken?.S;
          if (ciphertext) storedCiphertexts.add(ciphertext);
        }
      },
    });
    stoppers.push(() => proxy.stop());
    const directClient = localDynamoClient(dynamo.endpoint);
    stoppers.push(async () => directClient.destroy());
    await createTokenTable(directClient, settings.table);

    if ((settings.providerUrl === undefined) !== (settings.apiUrl === undefined)) {
      throw new Error('providerUrl and apiUrl go together: give both, or neither for the local Salesforce');
    }
    const external = settings.providerUrl !== undefined && settings.apiUrl !== undefined;
    const clientId = process.env.SIMULATOR_CLIENT_ID ?? 'simulator';
    const clientSecret = process.env.SIMULATOR_CLIENT_SECRET ?? randomBytes(24).toString('base64url');
    let provider: LocalOAuthProvider | undefined;
    if (!external) {
      provider = await startOAuthProvider({
        clientId,
        clientSecret,
        issueRefreshTokens: settings.api === 'oauth2-refresh-token',
        tokenTtlSeconds: settings.tokenTtlSeconds,
        latencyMs: settings.providerLatencyMs,
        rejectRate: settings.rejectRate,
        rateLimitRate: settings.rateLimitRate,
      });
      stoppers.push(() => provider!.stop());
    }
    // The credentials and the salt reach the containers the way they reach a Lambda: from Secrets Manager.
    const salt = randomBytes(24).toString('base64url');
    registerSecret(salt, 'simulator:salt');
    registerSecret(clientSecret, 'simulator:client-secret');
    const secretName = `/demo/simulator/oauth/${settings.tokenType}`;
    const secret: Record<string, string> = { clientId, clientSecret, salt };
    if (settings.api === 'oauth2-refresh-token') secret.refreshToken = provider!.issueBootstrapRefreshToken();
    const secretsManager = await startSecretsManager({ secrets: { [secretName]: JSON.stringify(secret) } });
    stoppers.push(() => secretsManager.stop());
    let kms: LocalKms | undefined;
    if (settings.cipher === 'kms') {
      kms = await startKms({ aliases: [KMS_KEY_ALIAS] });
      stoppers.push(() => kms!.stop());
    }
    const timing = containerTiming(settings, settings.tokenTtlSeconds);
    const effective = effectiveTiming(timing.options);
    if (settings.seed)
      await seedItem(directClient, settings.table, settings.tokenType, settings.seed, salt, effective.skewMs);
    const initialVersion = await readVersion(directClient, settings.table, settings.tokenType);

    const baseConfig: Omit<ContainerConfig, 'index'> = {
      entry: settings.entry,
      strategy: settings.strategy,
      api: external
        ? { kind: 'generic', tokenUrl: settings.providerUrl!, apiUrl: settings.apiUrl! }
        : settings.api === 'salesforce'
          ? { kind: 'salesforce', instanceUrl: provider!.instanceUrl }
          : {
              kind: 'generic',
              tokenUrl: provider!.tokenUrl,
              apiUrl: provider!.apiUrl,
              grant: settings.api === 'oauth2' ? 'client_credentials' : 'refresh_token',
            },
      tokenType: settings.tokenType,
      tableName: settings.table,
      dynamoEndpoint: proxy.endpoint,
      secretsEndpoint: secretsManager.endpoint,
      secretName,
      ...(kms && { kms: { endpoint: kms.endpoint, keyId: KMS_KEY_ALIAS } }),
      tokenTtlSeconds: settings.tokenTtlSeconds,
      invocations: settings.invocations,
      thinkMs: settings.thinkMs,
      invocationTimeoutMs: settings.invocationTimeoutMs,
      barrierAfterFirst: settings.revokeAfterFirstInvocation || settings.faults?.afterWarm !== undefined,
      clockOffsetMs: 0,
      holdProviderAnswer: settings.freezeHolderMs > 0,
      manager: timing.options,
      ...(settings.ownerId !== undefined && { ownerId: settings.ownerId }),
    };
    const stack: SimulationStack = {
      provider,
      dynamo: proxy,
      directDynamo: directClient,
      secretsManager,
      kms,
      tableName: settings.table,
      tokenType: settings.tokenType,
      secret,
    };
    // Started by the fleet; awaited before the stack stops, so an injection never outlives its servers.
    const injections: Promise<void>[] = [];
    const inject = (hook: ((stack: SimulationStack) => void | Promise<void>) | undefined): Promise<void> => {
      const injection = Promise.resolve().then(() => hook?.(stack));
      injections.push(injection);
      return injection;
    };
    const refresher = settings.refresherEveryMs
      ? forkRefresher(CONTAINER_SCRIPT, {
          ...baseConfig,
          index: settings.containers,
          refresher: {
            everyMs: settings.refresherEveryMs,
            // The library bounds the refresher's window by three quarters of the token's life.
            refreshAheadMs: effective.refreshAheadMs + settings.refresherEveryMs,
          },
        })
      : undefined;
    if (refresher) {
      stoppers.push(async () => refresher.kill());
      await refresher.started;
    }
    const live: SimulationSample['containers'] = Array.from({ length: settings.containers }, () => ({
      done: 0,
      rssBytes: 0,
    }));
    const takeSample = async (final: boolean): Promise<SimulationSample> => {
      const providerBefore = provider?.stats();
      const version = await readVersion(directClient, settings.table, settings.tokenType);
      const containers = live.map((container) => ({ ...container }));
      const done = containers.reduce((sum, container) => sum + container.done, 0);
      const at = Date.now();
      return {
        at,
        providerBefore,
        version,
        providerAfter: provider?.stats(),
        initialVersion,
        containers,
        done,
        final,
      };
    };
    let monitoring: Promise<void> | undefined;
    let monitorStopped = false;
    const fleet = await runFleet(
      settings,
      baseConfig,
      proxy,
      {
        beforeStart: () => inject(settings.faults?.beforeStart),
        afterWarm: () => {
          if (settings.revokeAfterFirstInvocation) provider?.revokeAll();
          void inject(settings.faults?.afterWarm).catch(() => {}); // Its failure is reported by the await below.
        },
        went: () => {
          const monitor = settings.monitor;
          if (!monitor) return;
          monitoring = sampleEvery(
            monitor,
            () => monitorStopped,
            () => takeSample(false),
          );
          monitoring.catch(() => {}); // Awaited once the fleet has ended; until then, not unhandled.
        },
      },
      live,
    ).finally(() => {
      monitorStopped = true;
    });
    await monitoring;
    if (settings.monitor) settings.monitor.sample(await takeSample(true));
    await Promise.all(injections);
    const refresherResult = await refresher?.stop();
    fleet.output += refresher?.output() ?? '';
    fleet.stdout += refresher?.stdout() ?? '';
    const finalVersion = await readVersion(directClient, settings.table, settings.tokenType);

    const uncommittedTokensServed =
      provider && settings.cipher === 'salt'
        ? await countUncommitted(provider.presentedTokens(), storedCiphertexts, salt, settings.tokenType)
        : undefined;
    const secrets = [salt, clientSecret, ...(provider?.issuedTokens() ?? [])];
    const secretsInOutput = countFound(fleet.output, secrets);
    const stats = provider?.stats();
    const counts = proxy.counts();
    const report = summarize({
      engine: dynamo.engine,
      entry: settings.entry,
      cipher: settings.cipher,
      tokenTtlSeconds: settings.tokenTtlSeconds,
      timing,
      containers: settings.containers,
      invocations: settings.containers * settings.invocations,
      results: fleet.results,
      killed: fleet.killed,
      providerTokenCalls: stats?.tokenCalls ?? fleet.results.reduce((sum, r) => sum + r.providerCalls, 0),
      tokensIssued: stats?.tokensIssued ?? fleet.results.reduce((sum, r) => sum + r.providerCalls, 0),
      refreshReplays: stats?.refreshReplays ?? 0,
      tokenGenerations: finalVersion - initialVersion,
      dynamoReads: counts.reads,
      dynamoWrites: counts.writes,
      apiCalls: stats?.apiCalls ?? 0,
      apiRejected: stats?.apiRejected ?? 0,
      apiRateLimited: stats?.apiRateLimited ?? 0,
      secretFetches: secretsManager.stats().byOperation.GetSecretValue ?? 0,
      kmsCallsByOperation: kms?.stats().byOperation ?? {},
      metrics: metricTotalsFromEmf(fleet.stdout),
      secretsInOutput,
      elapsedMs: Math.round(performance.now() - started),
    });
    if (uncommittedTokensServed !== undefined) report.uncommittedTokensServed = uncommittedTokensServed;
    if (refresherResult) report.refresher = { everyMs: settings.refresherEveryMs!, ...refresherResult };
    return { report, results: fleet.results, refreshingAt: fleet.refreshingAt, killedAt: fleet.killedAt };
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
  }
}

interface Fleet {
  results: ContainerResult[];
  killed: number;
  /** Everything the containers wrote to stdout and stderr. */
  output: string;
  /** Their stdout alone: the Powertools EMF documents are there. */
  stdout: string;
  refreshingAt: number[];
  killedAt: number | undefined;
}

/** Calls `monitor.sample` every `everyMs` until `stopped()`; one sample at a time. */
async function sampleEvery(
  monitor: SimulationMonitor,
  stopped: () => boolean,
  take: () => Promise<SimulationSample>,
): Promise<void> {
  while (!stopped()) {
    await new Promise((resolve) => setTimeout(resolve, monitor.everyMs));
    if (stopped()) return;
    monitor.sample(await take());
  }
}

/** Forks the containers, starts them together, collects their results. */
async function runFleet(
  settings: Required<
    Pick<SimulationOptions, 'containers' | 'invocations' | 'killHolder' | 'freezeHolderMs' | 'timeoutMs'>
  > &
    Pick<SimulationOptions, 'onProgress' | 'clockOffsetsMs' | 'invocationTimeoutsMs' | 'signal'>,
  baseConfig: Omit<ContainerConfig, 'index'>,
  proxy: DynamoProxy,
  events: { beforeStart(): Promise<void>; afterWarm(): void; went?(): void },
  /** Each container's last progress report, kept up to date here: the monitor's samples read it. */
  live: SimulationSample['containers'],
): Promise<Fleet> {
  const children: ChildProcess[] = [];
  const results: ContainerResult[] = [];
  const output: string[] = [];
  const stdout: string[] = [];
  let killed = 0;
  let killedAt: number | undefined;
  const refreshingAt: number[] = [];
  let frozen = 0;
  let atBarrier = 0;
  let providerCalls = 0;
  const resumeAll = (): void => {
    for (const child of children)
      if (child.connected) child.send({ type: 'continue' } satisfies ParentMessage);
  };
  const total = settings.containers * settings.invocations;

  const exits: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  const offsets = settings.clockOffsetsMs ?? [0];
  // Before the containers load their code: a cold start must meet the fault too.
  await events.beforeStart();
  for (let index = 0; index < settings.containers; index++) {
    const child = forkLambdaProcess(CONTAINER_SCRIPT!, { stdout, output });
    children.push(child);
    exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
    ready.push(
      new Promise((resolve, reject) => {
        child.once('exit', (code) =>
          reject(new Error(`container ${index} exited (${code}) before it was ready`)),
        );
        child.on('message', (message: ChildMessage) => {
          if (message.type === 'ready') resolve();
          else if (message.type === 'result') results.push(message.result);
          else if (message.type === 'progress') {
            live[index] = { done: message.done, rssBytes: message.rssBytes ?? 0 };
            settings.onProgress?.(
              live.reduce((sum, container) => sum + container.done, 0),
              total,
              providerCalls,
            );
          } else if (message.type === 'barrier') {
            // Everybody holds the same token now: the moment for faults of warm containers
            // (e.g. revoke it, so all of them reject one version at once).
            if (++atBarrier === settings.containers - killed) {
              events.afterWarm();
              resumeAll();
            }
          } else if (message.type === 'answered') {
            const proceed = () => child.connected && child.send({ type: 'proceed' } satisfies ParentMessage);
            if (settings.freezeHolderMs > 0 && frozen++ === 0) {
              child.kill('SIGSTOP');
              setTimeout(() => {
                child.kill('SIGCONT');
                proceed();
              }, settings.freezeHolderMs);
            } else {
              proceed();
            }
          } else if (message.type === 'refreshing') {
            providerCalls++;
            refreshingAt.push(message.at);
            if (settings.killHolder && killed === 0) {
              killed++;
              killedAt = Date.now();
              child.kill('SIGKILL');
            }
          }
        });
      }),
    );
    const clockOffsetMs = offsets[index % offsets.length] ?? 0;
    const deadlines = settings.invocationTimeoutsMs ?? [baseConfig.invocationTimeoutMs];
    const invocationTimeoutMs = deadlines[index % deadlines.length] ?? baseConfig.invocationTimeoutMs;
    child.send({
      type: 'config',
      config: { ...baseConfig, index, clockOffsetMs, invocationTimeoutMs },
    } satisfies ParentMessage);
  }
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  const timer = setTimeout(killAll, settings.timeoutMs);
  settings.signal?.addEventListener('abort', killAll, { once: true });
  try {
    await Promise.all(ready);
    proxy.reset(); // Count only what the invocations do, not the start-up.
    for (const child of children) child.send({ type: 'go' } satisfies ParentMessage);
    events.went?.();
    await Promise.all(exits);
    settings.signal?.throwIfAborted();
  } finally {
    settings.signal?.removeEventListener('abort', killAll);
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
  if (results.length + killed < settings.containers) {
    throw new Error(
      `${settings.containers - results.length - killed} container(s) ended without a result (timeout or crash)`,
    );
  }
  return { results, killed, output: output.join(''), stdout: stdout.join(''), refreshingAt, killedAt };
}

/** Writes an item that must never be served (it has to count as missing, I5), or a good one that expired. */
async function seedItem(
  client: DynamoDBClient,
  tableName: string,
  tokenType: string,
  kind: NonNullable<SimulationOptions['seed']>,
  salt: string,
  skewMs: number,
): Promise<void> {
  const inOneHour = Math.floor(Date.now() / 1000) + 3600;
  const secret = `seeded-${randomBytes(16).toString('hex')}`;
  registerSecret(secret, 'simulator:seeded-token');
  let accessToken: string;
  let expiresAt = inOneHour;
  if (kind === 'expired') {
    // A good token every container must replace at once: inside the skew, so expired for the
    // protocol, but not yet past expiresAt, or DynamoDB Local's TTL would delete the item first.
    accessToken = await new SaltCipher({ salts: [salt] }).encrypt(secret, tokenType);
    const skewSeconds = Math.floor(skewMs / 1000);
    expiresAt = skewSeconds >= 2 ? inOneHour - 3600 + skewSeconds - 1 : inOneHour - 3660;
  } else if (kind === 'wrong-salt') {
    accessToken = await new SaltCipher({ salts: [randomBytes(24).toString('base64url')] }).encrypt(
      secret,
      tokenType,
    );
  } else if (kind === 'swapped') {
    accessToken = await new SaltCipher({ salts: [salt] }).encrypt(secret, `${tokenType}-other`);
  } else {
    const envelope = Buffer.from(
      await new SaltCipher({ salts: [salt] }).encrypt(secret, tokenType),
      'base64',
    );
    if (kind === 'truncated') {
      accessToken = envelope.subarray(0, envelope.length - 7).toString('base64'); // cut inside the tag
    } else {
      envelope[envelope.length - 20]! ^= 0x01; // a bit of the ciphertext
      accessToken = envelope.toString('base64');
    }
  }
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall({
        tokenType,
        accessToken,
        expiresAt,
        updatedAt: inOneHour - 3600,
        updating: false,
        version: 7,
      }),
    }),
  );
}

/** The `accessToken` attribute of an item in DynamoDB's JSON. */
type StoredItem = { accessToken?: { S?: string } };

/** Presented tokens that are not the plaintext of any ciphertext the table held. */
async function countUncommitted(
  presented: string[],
  ciphertexts: Set<string>,
  salt: string,
  tokenType: string,
): Promise<number> {
  const cipher = new SaltCipher({ salts: [salt] });
  const committed = new Set<string>();
  for (const ciphertext of ciphertexts) {
    // A seeded bad item (tampered, swapped) decrypts to nothing: it was never a token.
    const plaintext = await cipher.decrypt(ciphertext, tokenType).catch(() => undefined);
    if (plaintext !== undefined) committed.add(plaintext);
  }
  return presented.filter((token) => !committed.has(token)).length;
}

async function readVersion(client: DynamoDBClient, tableName: string, tokenType: string): Promise<number> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: marshall({ tokenType }), ConsistentRead: true }),
  );
  const version = Item ? unmarshall(Item).version : undefined;
  return typeof version === 'number' ? version : 0;
}

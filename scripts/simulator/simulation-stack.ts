/**
 * The local stack one simulation run starts (DynamoDB behind the counting, fault-injecting proxy,
 * the OAuth provider, Secrets Manager holding the provider's secret, KMS for `--cipher kms`), and
 * what a scenario's fault injections get of it.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoProxy, startDynamoProxy } from '../local-stack/dynamo-proxy.js';
import { startDynamo } from '../local-stack/dynamodb-local.js';
import { type LocalKms, startKms } from '../local-stack/kms-server.js';
import { type LocalOAuthProvider, startOAuthProvider } from '../local-stack/oauth-provider.js';
import { registerSecret } from '../local-stack/secret-registry.js';
import { type LocalSecretsManager, startSecretsManager } from '../local-stack/secrets-manager-server.js';
import { createTokenTable, localDynamoClient } from '../local-stack/table.js';
import { CommittedTokens } from './committed-tokens.js';
import { type SimulationSettings, usesExternalProvider } from './simulation-options.js';

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

/**
 * The fault hooks of one run, started by the fleet and awaited before the stack stops, so an
 * injection never outlives its servers.
 */
export class FaultInjections {
  private readonly started: Promise<void>[] = [];

  constructor(private readonly stack: SimulationStack) {}

  run(hook: ((stack: SimulationStack) => void | Promise<void>) | undefined): Promise<void> {
    const injection = Promise.resolve().then(() => hook?.(this.stack));
    this.started.push(injection);
    return injection;
  }

  /** Resolves when every injection has; rejects with the first failure. */
  async settled(): Promise<void> {
    await Promise.all(this.started);
  }
}

/** The alias of the local KMS key the containers seal tokens with (`--cipher kms`). */
export const KMS_KEY_ALIAS = 'alias/shared-token-simulator';

/** The stack of one run, and what the run keeps to itself. */
export interface RunningSimulationStack {
  stack: SimulationStack;
  /** 'dynamodb-local', 'dynalite', or 'external' (`endpoint`). */
  engine: string;
  /** Where the provider's secret is, in the local Secrets Manager. */
  secretName: string;
  /** Every token the table held, seen through the proxy. */
  committed: CommittedTokens;
  /** Stops everything in reverse start order; a part that fails to stop does not keep the rest running. */
  stop(): Promise<void>;
}

export async function startSimulationStack(settings: SimulationSettings): Promise<RunningSimulationStack> {
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => {});
  };
  try {
    const dynamo = settings.endpoint
      ? { engine: 'external', endpoint: settings.endpoint }
      : await startDynamo({ engine: settings.engine }).then((running) => {
          stoppers.push(() => running.stop());
          return running;
        });
    const committed = new CommittedTokens();
    const proxy = await startDynamoProxy(dynamo.endpoint, { onAnswer: committed.record });
    stoppers.push(() => proxy.stop());
    const directClient = localDynamoClient(dynamo.endpoint);
    stoppers.push(async () => directClient.destroy());
    await createTokenTable(directClient, settings.table);

    const clientId = process.env.SIMULATOR_CLIENT_ID ?? 'simulator';
    const clientSecret = process.env.SIMULATOR_CLIENT_SECRET ?? randomBytes(24).toString('base64url');
    let provider: LocalOAuthProvider | undefined;
    if (!usesExternalProvider(settings)) {
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
    return { stack, engine: dynamo.engine, secretName, committed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

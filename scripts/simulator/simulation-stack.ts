/**
 * The local stack of one simulation run (scripts/local-stack, `startLocalStack`): DynamoDB behind
 * the counting, fault-injecting proxy, the OAuth provider, Secrets Manager holding the provider's
 * secret, KMS for `--cipher kms`; and what a scenario's fault injections get of it.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseProviderSecret } from '../../layer/advanced.js';
import type { DynamoProxy } from '../local-stack/dynamo-proxy.js';
import type { LocalKms } from '../local-stack/kms-server.js';
import type { LocalOAuthProvider } from '../local-stack/oauth-provider.js';
import { registerSecret } from '../local-stack/secret-registry.js';
import type { LocalSecretsManager } from '../local-stack/secrets-manager-server.js';
import { startLocalStack } from '../local-stack/stack.js';
import { CommittedTokens } from './committed-tokens.js';
import { DynamoTrace } from './dynamo-trace.js';
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
  /** The name of the provider's secret in `secretsManager`. */
  secretName: string;
  kms: LocalKms | undefined;
  tableName: string;
  tokenType: string;
  /** The fields of the provider's secret (clientId, clientSecret, key, refreshToken): secret values, never print them. */
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
  /** Every DynamoDB call, when the run traces them (`traceDynamoCalls`). */
  trace: DynamoTrace | undefined;
  /** Stops everything in reverse start order; a part that fails to stop does not keep the rest running. */
  stop(): Promise<void>;
}

export async function startSimulationStack(settings: SimulationSettings): Promise<RunningSimulationStack> {
  const clientId = process.env.SIMULATOR_CLIENT_ID ?? 'simulator';
  const clientSecret = process.env.SIMULATOR_CLIENT_SECRET ?? randomBytes(24).toString('base64url');
  const committed = new CommittedTokens();
  const trace = settings.traceDynamoCalls ? new DynamoTrace() : undefined;
  const local = await startLocalStack({
    engine: settings.engine,
    dynamoEndpoint: settings.endpoint || undefined,
    tableName: settings.table,
    proxy: {
      onAnswer: (answer) => {
        committed.record(answer);
        trace?.record(answer);
      },
    },
    provider: usesExternalProvider(settings)
      ? undefined
      : {
          clientId,
          clientSecret,
          issueRefreshTokens: settings.api === 'oauth2-refresh-token',
          tokenTtlSeconds: settings.tokenTtlSeconds,
          latencyMs: settings.providerLatencyMs,
          rejectRate: settings.rejectRate,
          rateLimitRate: settings.rateLimitRate,
        },
    secretsManager: {},
    kms: settings.cipher === 'kms' ? { aliases: [KMS_KEY_ALIAS] } : undefined,
  });
  // A part that fails to stop does not fail the run: it has its figures.
  const stop = () => local.stop().catch(() => {});
  try {
    const { provider, secretsManager, kms } = local;
    const secret = providerSecret(clientId, clientSecret, provider, settings);
    const secretName = `/demo/simulator/oauth/${settings.tokenType}`;
    // The credentials and the key reach the containers the way they reach a Lambda: from Secrets Manager.
    secretsManager.putSecret(secretName, JSON.stringify(secret));
    const stack: SimulationStack = {
      provider,
      dynamo: local.proxy,
      directDynamo: local.directClient,
      secretsManager,
      secretName,
      kms,
      tableName: local.tableName,
      tokenType: settings.tokenType,
      secret,
    };
    return { stack, engine: local.dynamo.engine, secretName, committed, trace, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The provider's secret: the credentials, a new key, and a bootstrap refresh token for rotating ones. */
function providerSecret(
  clientId: string,
  clientSecret: string,
  provider: LocalOAuthProvider | undefined,
  settings: SimulationSettings,
): Record<string, string> {
  const key = randomBytes(24).toString('base64url');
  registerSecret(key, 'simulator:key');
  registerSecret(clientSecret, 'simulator:client-secret');
  const secret: Record<string, string> = { clientId, clientSecret, key };
  if (settings.api === 'oauth2-refresh-token') secret.refreshToken = provider!.issueBootstrapRefreshToken();
  return secret;
}

/**
 * Every key the provider's secret held during the run: its first, and those key rotations added.
 * Secret values: for the run's own checks (the uncommitted-token count, the secret scans).
 */
export function keysHeld(stack: SimulationStack): string[] {
  const keys = stack.secretsManager.secretStrings(stack.secretName).flatMap((value) => {
    try {
      return [...parseProviderSecret(stack.secretName, value).keys];
    } catch {
      return []; // A version a scenario broke on purpose holds no key.
    }
  });
  return [...new Set([stack.secret.key!, ...keys])];
}

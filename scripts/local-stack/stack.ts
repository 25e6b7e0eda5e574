/**
 * The one way to start the local stack: DynamoDB (started, or one already running) with the token
 * table, the counting, fault-injecting proxy in front of it, and, when asked for, the OAuth
 * provider, Secrets Manager and KMS. The simulator, the bench and the tests start it here; chaos
 * and the bench share one DynamoDB engine between many stacks (`dynamoEndpoint`).
 *
 * @example
 * const stack = await startLocalStack({ engine: 'dynalite', provider: { clientId, clientSecret } });
 * try {
 *   // stack.proxy.endpoint for the code under test, stack.provider.tokenUrl, ...
 * } finally {
 *   await stack.stop();
 * }
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoProxy, type DynamoProxyOptions, startDynamoProxy } from './dynamo-proxy.js';
import { type DynamoEngine, type RunningDynamo, startDynamo } from './dynamodb-local.js';
import { type LocalKms, type LocalKmsOptions, startKms } from './kms-server.js';
import { type LocalOAuthProvider, type OAuthProviderOptions, startOAuthProvider } from './oauth-provider.js';
import {
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  startSecretsManager,
} from './secrets-manager-server.js';
import { createTokenTable, localDynamoClient } from './table.js';

export interface LocalStackOptions {
  /** The DynamoDB to start. @default 'auto' (DynamoDB Local when Java is found, else dynalite) */
  engine?: DynamoEngine | 'auto';
  /** Use this running DynamoDB instead of starting one; the stack does not stop it. @default none */
  dynamoEndpoint?: string;
  /** The token table, created if missing. @default 'demo-local-access-tokens' */
  tableName?: string;
  /** Options of the proxy in front of DynamoDB (`onAnswer`, a clock, a random source). @default {} */
  proxy?: DynamoProxyOptions;
  /** Start the local OAuth provider (and Salesforce) with these options. @default none: no provider */
  provider?: OAuthProviderOptions;
  /** Start a local Secrets Manager with these options. @default none: no Secrets Manager */
  secretsManager?: LocalSecretsManagerOptions;
  /** Start a local KMS with these options. @default none: no KMS */
  kms?: LocalKmsOptions;
}

const OPTION_KEYS = new Set([
  'engine',
  'dynamoEndpoint',
  'tableName',
  'proxy',
  'provider',
  'secretsManager',
  'kms',
]);

/** A DynamoDB the stack did not start (`dynamoEndpoint`). */
export interface ExternalDynamo {
  readonly engine: 'external';
  readonly endpoint: string;
}

/** A server of the stack: there when its options were given, undefined when they were left out. */
type Started<Options, Name extends keyof LocalStackOptions, Server> =
  Options extends Record<Name, object> ? Server : Server | undefined;

export interface LocalStack<Options extends LocalStackOptions = LocalStackOptions> {
  dynamo: RunningDynamo | ExternalDynamo;
  /** Counts every call that reaches DynamoDB, and injects faults; started with nothing counted. */
  proxy: DynamoProxy;
  /** Goes through the proxy, so its calls are counted. */
  client: DynamoDBClient;
  /** Goes around the proxy, straight to DynamoDB: to set up or tamper with the table, uncounted. */
  directClient: DynamoDBClient;
  tableName: string;
  provider: Started<Options, 'provider', LocalOAuthProvider>;
  secretsManager: Started<Options, 'secretsManager', LocalSecretsManager>;
  kms: Started<Options, 'kms', LocalKms>;
  /** Stops everything in reverse start order, even when one part fails to stop. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the stack; when a part fails to start, stops what had started and throws. */
export async function startLocalStack<Options extends LocalStackOptions>(
  options: Options,
): Promise<LocalStack<Options>> {
  for (const key of Object.keys(options ?? {})) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`startLocalStack: unknown option '${key}'`);
  }
  const stops = new StopList();
  try {
    const dynamo = await startOrUse(options, stops);
    const proxy = await stops.started(startDynamoProxy(dynamo.endpoint, options.proxy));
    const client = stops.add(localDynamoClient(proxy.endpoint), (c) => c.destroy());
    const directClient = stops.add(localDynamoClient(dynamo.endpoint), (c) => c.destroy());
    const tableName = options.tableName ?? 'demo-local-access-tokens';
    // Around the proxy: setting up the table is not what a test or the simulator measures.
    await createTokenTable(directClient, tableName);
    const provider = options.provider && (await stops.started(startOAuthProvider(options.provider)));
    const secretsManager =
      options.secretsManager && (await stops.started(startSecretsManager(options.secretsManager)));
    const kms = options.kms && (await stops.started(startKms(options.kms)));
    return {
      dynamo,
      proxy,
      client,
      directClient,
      tableName,
      provider,
      secretsManager,
      kms,
      stop: () => stops.stopAll(),
    } as LocalStack<Options>;
  } catch (error) {
    await stops.stopAll().catch(() => undefined);
    throw error;
  }
}

async function startOrUse(
  options: LocalStackOptions,
  stops: StopList,
): Promise<RunningDynamo | ExternalDynamo> {
  if (options.dynamoEndpoint !== undefined) return { engine: 'external', endpoint: options.dynamoEndpoint };
  return stops.started(startDynamo(options.engine === undefined ? {} : { engine: options.engine }));
}

/** What to stop, in start order; stopped in reverse, every one even when some fail. */
class StopList {
  private readonly stops: (() => Promise<void> | void)[] = [];
  private stopping: Promise<void> | undefined;

  /** Awaits a server's start and keeps its `stop`. */
  async started<Server extends { stop(): Promise<void> }>(starting: Promise<Server>): Promise<Server> {
    const server = await starting;
    this.stops.push(() => server.stop());
    return server;
  }

  add<Part>(part: Part, stop: (part: Part) => Promise<void> | void): Part {
    this.stops.push(() => stop(part));
    return part;
  }

  stopAll(): Promise<void> {
    this.stopping ??= this.stopInReverse();
    return this.stopping;
  }

  private async stopInReverse(): Promise<void> {
    const errors: unknown[] = [];
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'the local stack did not stop cleanly');
  }
}

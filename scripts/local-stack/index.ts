import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoProxy } from './dynamo-proxy.js';
import { startDynamoProxy } from './dynamo-proxy.js';
import type { DynamoEngine, RunningDynamo } from './dynamodb-local.js';
import { startDynamo } from './dynamodb-local.js';
import type { LocalOAuthProvider, OAuthProviderOptions } from './oauth-provider.js';
import { startOAuthProvider } from './oauth-provider.js';
import { createTokenTable, localDynamoClient } from './table.js';

export type {
  AwsFault,
  AwsJsonInput,
  AwsJsonOperation,
  AwsJsonServer,
  AwsJsonServerOptions,
  AwsStall,
  AwsStallControl,
  AwsStallStats,
} from './aws-json-server.js';
export { AwsFaultQueue, AwsServiceError, checkSigV4Shape, startAwsJsonServer } from './aws-json-server.js';
export type {
  BlackholeFault,
  DropAnswerFault,
  DynamoFault,
  DynamoFaultStats,
  DynamoThrottlingError,
  FaultScope,
  LatencyFault,
  ResetFault,
  ThrottleFault,
} from './dynamo-faults.js';
export type { DynamoCallCounts, DynamoProxy, DynamoProxyOptions } from './dynamo-proxy.js';
export { startDynamoProxy } from './dynamo-proxy.js';
export type { DynamoCommand, DynamoEngine, RunningDynamo } from './dynamodb-local.js';
export { javaAvailable, startDynamo } from './dynamodb-local.js';
export type { KmsStats, LocalKms, LocalKmsKey, LocalKmsOptions } from './kms-server.js';
export { startKms } from './kms-server.js';
export type {
  InjectedAnswer,
  LocalOAuthProvider,
  OAuthProviderOptions,
  OAuthProviderStats,
} from './oauth-provider.js';
export { startOAuthProvider } from './oauth-provider.js';
export type {
  LocalSecretsManager,
  LocalSecretsManagerOptions,
  SecretsManagerFault,
  SecretsManagerStats,
} from './secrets-manager-server.js';
export { startSecretsManager } from './secrets-manager-server.js';
export { createTokenTable, localDynamoClient } from './table.js';

export interface LocalStack {
  dynamo: RunningDynamo;
  proxy: DynamoProxy;
  provider: LocalOAuthProvider;
  /** Goes through the proxy, so its calls are counted. */
  client: DynamoDBClient;
  tableName: string;
  /** Stops everything in reverse start order, even when one part fails to stop. Idempotent. */
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  engine?: DynamoEngine | 'auto';
  /** Default 'demo-local-access-tokens'. */
  tableName?: string;
  provider: OAuthProviderOptions;
}

/** DynamoDB (with the token table), a counting proxy in front of it, and the OAuth provider. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'demo-local-access-tokens';
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'the local stack did not stop cleanly');
  };

  try {
    const dynamo = await startDynamo(options.engine === undefined ? {} : { engine: options.engine });
    stops.push(() => dynamo.stop());
    const proxy = await startDynamoProxy(dynamo.endpoint);
    stops.push(() => proxy.stop());
    const client = localDynamoClient(proxy.endpoint);
    stops.push(() => client.destroy());
    await createTokenTable(client, tableName);
    // Setting up the table is not what a test or the demo wants to measure.
    proxy.reset();
    const provider = await startOAuthProvider(options.provider);
    stops.push(() => provider.stop());

    let stopping: Promise<void> | undefined;
    return {
      dynamo,
      proxy,
      provider,
      client,
      tableName,
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

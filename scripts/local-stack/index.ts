/**
 * The local stack: servers on 127.0.0.1 that speak the real protocols (DynamoDB, Secrets Manager,
 * KMS, an OAuth provider with Salesforce's routes), started together by `startLocalStack`.
 */
export type {
  AwsFault,
  AwsJsonInput,
  AwsJsonOperation,
  AwsJsonServer,
  AwsJsonServerOptions,
  AwsStallControl,
} from './aws-json-server.js';
export { AwsFaultQueue, AwsServiceError, checkSigV4Shape, startAwsJsonServer } from './aws-json-server.js';
export type { AwsStall, AwsStallStats } from './aws-stalls.js';
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
export type { DynamoAnswer, DynamoCallCounts, DynamoProxy, DynamoProxyOptions } from './dynamo-proxy.js';
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
export type { RotationEvent, RotationFunction, RotationOutcome, RotationStepRun } from './secret-rotation.js';
export type {
  LocalSecretsManager,
  LocalSecretsManagerOptions,
  SecretsManagerFault,
  SecretsManagerStats,
} from './secrets-manager-server.js';
export { startSecretsManager } from './secrets-manager-server.js';
export type { ExternalDynamo, LocalStack, LocalStackOptions } from './stack.js';
export { startLocalStack } from './stack.js';
export { createTokenTable, localDynamoClient } from './table.js';

/**
 * The AWS clients of the commands: region, endpoint and credentials from the SDK's own environment
 * (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB, ...), the region overridden by `--region`,
 * and the layer's call timeouts, so a command never hangs on an endpoint that does not answer.
 * `@aws-sdk/client-kms` is an optional peer of the package: it is loaded only when a command needs
 * KMS (doctor --kms-key).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { withCallTimeouts } from '../../layer/aws/aws-client-config.js';

export interface AwsSettings {
  /** `--region`; else the SDK's (AWS_REGION, the profile's). */
  region?: string | undefined;
}

function config(settings: AwsSettings): { region?: string } {
  return withCallTimeouts(settings.region === undefined ? {} : { region: settings.region });
}

export function dynamoClient(settings: AwsSettings): DynamoDBClient {
  return new DynamoDBClient(config(settings));
}

export function secretsClient(settings: AwsSettings): SecretsManagerClient {
  return new SecretsManagerClient(config(settings));
}

/** The KMS SDK, or `undefined` when `@aws-sdk/client-kms` is not installed. */
export async function loadKmsSdk(): Promise<typeof import('@aws-sdk/client-kms') | undefined> {
  try {
    return await import('@aws-sdk/client-kms');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

export function kmsClient(sdk: typeof import('@aws-sdk/client-kms'), settings: AwsSettings): KMSClient {
  return new sdk.KMSClient(config(settings));
}

/** The region the client will call, for messages; `undefined` when none is configured. */
export async function regionOf(client: {
  config: { region: () => Promise<string> };
}): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}

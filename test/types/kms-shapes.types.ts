/**
 * Type test, compiled by `tsc --noEmit -p tsconfig.json` (make typecheck), never run: the SDK's
 * KMSClient and KMSClientConfig fit the structural types of `kmsCipher`'s options, which keep the
 * layer's declarations free of the optional `@aws-sdk/client-kms`.
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import type { KmsCipherOptions } from 'lambda-shared-token';
import type { KmsClientLike } from 'lambda-shared-token/advanced';

const config: KMSClientConfig = { region: 'eu-west-1', maxAttempts: 2 };

export const client = new KMSClient(config) satisfies KmsClientLike;
export const withClient: KmsCipherOptions = { keyId: 'alias/shared-token', client };
export const withConfig: KmsCipherOptions = { keyId: 'alias/shared-token', clientOptions: config };

// @ts-expect-error a client needs send()
export const notAClient: KmsCipherOptions = { keyId: 'alias/shared-token', client: { region: 'eu-west-1' } };

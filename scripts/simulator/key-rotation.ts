/**
 * A key rotation of the running stack's provider secret, as Secrets Manager runs one: the SDK's
 * RotateSecret against the local Secrets Manager, which calls the rotation function of
 * examples/key-rotation with each step. For chaos scenarios and tests that rotate under a fleet.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { keyRotationHandler } from '../../examples/key-rotation/key-rotation.js';
import { SaltCipher } from '../../layer/advanced.js';
import { envelopeKeyId } from '../../layer/crypto/salt-cipher.js';
import type { RotationOutcome } from '../local-stack/secret-rotation.js';
import type { SimulationStack } from './simulation-stack.js';

const ROTATION_LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:shared-token-key-rotation';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function secretsClient(stack: SimulationStack): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: stack.secretsManager.endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
}

/** Rotates the stack's secret once and waits for the rotation to end (completed or given up). */
export async function rotateSecretKey(stack: SimulationStack): Promise<RotationOutcome> {
  const client = secretsClient(stack);
  const rotation = keyRotationHandler({
    secretsManager: client,
    dynamo: stack.directDynamo,
    tableName: stack.tableName,
    tokenTypes: [stack.tokenType],
    logger: { info: () => {}, warn: () => {} },
  });
  stack.secretsManager.onRotation((event) => rotation(event as SecretsManagerRotationEvent));
  try {
    await client.send(
      new RotateSecretCommand({
        SecretId: stack.secretName,
        RotationLambdaARN: ROTATION_LAMBDA,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      }),
    );
    return (await stack.secretsManager.rotationSettled(stack.secretName))!;
  } finally {
    client.destroy();
  }
}

/** The keys of the secret's AWSCURRENT version, current first. Secret values: never print them. */
export async function currentSecretKeys(stack: SimulationStack): Promise<string[]> {
  const client = secretsClient(stack);
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: stack.secretName }));
    const secret = JSON.parse(answer.SecretString!) as { key?: string; keys?: string[] };
    return secret.keys ?? [secret.key!];
  } finally {
    client.destroy();
  }
}

/** The key id of a key (8 hex digits): what an envelope sealed under it names. */
export function keyIdOf(key: string): string {
  return new SaltCipher({ keys: [key] }).keyIds()[0]!;
}

/** The stored token's envelope, read around the proxy (undefined when there is none). */
export async function storedEnvelope(stack: SimulationStack): Promise<string | undefined> {
  const { Item } = await stack.directDynamo.send(
    new GetItemCommand({
      TableName: stack.tableName,
      Key: { tokenType: { S: stack.tokenType } },
      ConsistentRead: true,
    }),
  );
  return Item?.accessToken?.S;
}

/** The key id the stored token's envelope names, or undefined (no token, or not a SaltCipher envelope). */
export async function storedKeyId(stack: SimulationStack): Promise<string | undefined> {
  const envelope = await storedEnvelope(stack);
  return envelope === undefined ? undefined : envelopeKeyId(envelope);
}

/**
 * Rotates the key and fails unless the rotation completed: a chaos scenario's injection, whose
 * failure fails the run.
 */
export async function rotateSecretKeyOrFail(stack: SimulationStack): Promise<string> {
  const outcome = await rotateSecretKey(stack);
  if (!outcome.completed) {
    const failed = outcome.runs
      .filter((run) => run.failedWith)
      .map((run) => `${run.step}: ${run.failedWith}`);
    throw new Error(`the key rotation did not complete (${failed.join(', ')})`);
  }
  return keyIdOf((await currentSecretKeys(stack))[0]!);
}

/**
 * Polls `condition` every 50 ms while a fleet runs; fails after `timeoutMs` naming what it waited
 * for (usually: the fleet ended first).
 */
export async function untilDuringRun(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`waited ${timeoutMs} ms for ${what}: did the fleet finish first?`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves when the stored token is sealed under `keyId`; fails after `timeoutMs`. */
export function untilStoredUnder(stack: SimulationStack, keyId: string, timeoutMs: number): Promise<void> {
  return untilDuringRun(
    async () => (await storedKeyId(stack)) === keyId,
    'the stored token sealed under the new key',
    timeoutMs,
  );
}

/**
 * A key rotation while a fleet keeps serving: containers are child processes running the
 * Salesforce example through the middleware, the rotation function (examples/key-rotation) runs
 * here, called by the local Secrets Manager for each step after the SDK's RotateSecret, as
 * Secrets Manager calls the rotation Lambda. Must hold: no failed invocation, no provider call
 * beyond one per token generation, no DecryptFailed.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from '@jest/globals';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { SaltCipher } from 'lambda-shared-token/advanced';
import { keyRotationHandler } from '../../examples/key-rotation/key-rotation.js';
import type { RotationOutcome } from '../../scripts/local-stack/index.js';
import { runSimulation, type SimulationStack } from '../../scripts/simulator/simulation.js';

const ROTATION_LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:shared-token-key-rotation';
const CLIENT = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const silent = { info: () => {}, warn: () => {} };
/** The library's default rejectionRefreshIntervalMs (docs/reference.md). */
const REJECTION_INTERVAL_MS = 10_000;
/** Any key will do to read the key id an envelope names (`keyIdOf` does not decrypt). */
const testKey = 'a key only to read key ids with';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `condition` every 50 ms; fails after 30 s naming what it waited for (the fleet ended first). */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited >= 30_000) throw new Error(`waited 30 s for ${what}: did the fleet finish first?`);
    await sleep(50);
  }
}

function smClient(stack: SimulationStack): SecretsManagerClient {
  return new SecretsManagerClient({ ...CLIENT, endpoint: stack.secretsManager.endpoint });
}

async function currentKeys(stack: SimulationStack): Promise<string[]> {
  const client = smClient(stack);
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: stack.secretName }));
    const secret = JSON.parse(answer.SecretString!) as { key?: string; keys?: string[] };
    return secret.keys ?? [secret.key!];
  } finally {
    client.destroy();
  }
}

/** The stored token's envelope, read around the proxy. */
async function storedEnvelope(stack: SimulationStack): Promise<string | undefined> {
  const { Item } = await stack.directDynamo.send(
    new GetItemCommand({
      TableName: stack.tableName,
      Key: { tokenType: { S: stack.tokenType } },
      ConsistentRead: true,
    }),
  );
  return Item?.accessToken?.S;
}

/** Wires the rotation function into the stack's Secrets Manager, starts a rotation and waits for it. */
async function rotate(
  stack: SimulationStack,
  rotationFunction: (event: SecretsManagerRotationEvent) => Promise<void>,
): Promise<RotationOutcome> {
  stack.secretsManager.onRotation((event) => rotationFunction(event as SecretsManagerRotationEvent));
  const client = smClient(stack);
  try {
    await client.send(
      new RotateSecretCommand({
        SecretId: stack.secretName,
        RotationLambdaARN: ROTATION_LAMBDA,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      }),
    );
  } finally {
    client.destroy();
  }
  return (await stack.secretsManager.rotationSettled(stack.secretName))!;
}

function rotationFunctionFor(stack: SimulationStack) {
  const secretsManager = smClient(stack);
  return keyRotationHandler({
    secretsManager,
    dynamo: stack.directDynamo,
    tableName: stack.tableName,
    tokenTypes: [stack.tokenType],
    logger: silent,
  });
}

describe('a key rotation under a serving fleet', () => {
  it('on the library defaults (secret cached 5 minutes, 1-hour tokens): nobody notices, the token still opens under the new keys', async () => {
    const outcomes: RotationOutcome[] = [];
    let keysAfter: string[] = [];
    let envelopeAfter: string | undefined;
    let fetchesBeforeRotation = 0;
    let fetchesAfterRotation = 0;
    const report = await runSimulation({
      containers: 4,
      invocations: 30,
      thinkMs: 20,
      faults: {
        afterWarm: async (stack) => {
          fetchesBeforeRotation = stack.secretsManager.stats().byOperation.GetSecretValue ?? 0;
          outcomes.push(await rotate(stack, rotationFunctionFor(stack)));
          keysAfter = await currentKeys(stack);
          envelopeAfter = await storedEnvelope(stack);
          fetchesAfterRotation = stack.secretsManager.stats().byOperation.GetSecretValue ?? 0;
        },
      },
    });

    expect(outcomes.map((outcome) => outcome.completed)).toEqual([true]);
    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(4 * 30);
    expect(report.providerTokenCalls).toBe(1);
    expect(report.tokenGenerations).toBe(1);
    expect(report.decryptFailed).toBe(0);
    // The containers kept the version they fetched at their cold start: one fetch each, none
    // after the rotation (the fetches in between are the rotation function's and this test's).
    expect(fetchesBeforeRotation).toBe(4);
    expect(report.secretFetches).toBe(fetchesAfterRotation);
    expect(report.secretsInOutput).toBe(0);
    // A container starting now gets [new, current] and opens the token sealed before the rotation.
    expect(keysAfter).toHaveLength(2);
    const cipher = new SaltCipher({ keys: keysAfter });
    expect(cipher.keyIdOf(envelopeAfter!)).toBe(cipher.keyIds()[1]);
    await expect(cipher.decrypt(envelopeAfter!, 'salesforce')).resolves.toEqual(expect.any(String));
  }, 120_000);

  it('twice, with the secret fetched on every invocation (secretCacheExpiry 0, tuned so the fleet sees each rotation at once): the token moves to each new key, nothing fails', async () => {
    const containers = 3;
    const outcomes: RotationOutcome[] = [];
    const sealedUnder: string[] = [];
    const report = await runSimulation({
      containers,
      invocations: 250,
      thinkMs: 100,
      secretCacheExpiryMs: 0,
      faults: {
        afterWarm: async (stack) => {
          const rotation = rotationFunctionFor(stack);
          const fetches = () => stack.secretsManager.stats().getSecretValueByName[stack.secretName] ?? 0;
          let lastRevocation = Number.NEGATIVE_INFINITY;
          for (let round = 0; round < 2; round++) {
            outcomes.push(await rotate(stack, rotation));
            const newKeyId = new SaltCipher({ keys: [(await currentKeys(stack))[0]!] }).keyIds()[0]!;
            // Every container starts an invocation with the new version (it fetches it first).
            const fetched = fetches();
            await until(
              () => fetches() >= fetched + 2 * containers,
              'the containers to fetch the new version',
            );
            // What the rotation period must allow for: the token replaced under the new key. A
            // revocation makes the next invocation refresh. An invocation that fetched the secret
            // before the rotation ended may still seal under the old key: then revoke again.
            for (let attempt = 1; ; attempt++) {
              if (attempt > 3) throw new Error(`round ${round}: the token never moved to the new key`);
              // The library refreshes on a rejection at most once per rejectionRefreshIntervalMs
              // (10 s by default), fleet-wide: revocations closer than that would fail invocations.
              await sleep(lastRevocation + REJECTION_INTERVAL_MS + 500 - Date.now());
              const before = await storedEnvelope(stack);
              stack.provider!.revokeAll();
              lastRevocation = Date.now();
              let after = before;
              await until(async () => {
                after = await storedEnvelope(stack);
                return after !== undefined && after !== before;
              }, 'a refresh after the revocation');
              const keyId = new SaltCipher({ keys: [testKey] }).keyIdOf(after!);
              if (keyId === newKeyId) {
                sealedUnder.push(keyId);
                break;
              }
            }
          }
        },
      },
    });

    expect(outcomes.map((outcome) => outcome.completed)).toEqual([true, true]);
    expect(sealedUnder).toHaveLength(2);
    expect(report.failed).toBe(0);
    expect(report.decryptFailed).toBe(0);
    expect(report.tokenGenerations).toBeGreaterThanOrEqual(3);
    expect(report.providerTokenCalls).toBe(report.tokenGenerations);
    expect(report.secretsInOutput).toBe(0);
  }, 180_000);
});

/**
 * A key rotation while a fleet keeps serving: containers are child processes running the
 * Salesforce example through the middleware, the rotation function (examples/key-rotation) runs
 * here, called by the local Secrets Manager for each step after the SDK's RotateSecret, as
 * Secrets Manager calls the rotation Lambda. Must hold: no failed invocation, no provider call
 * beyond one per token generation, no DecryptFailed.
 */
import { describe, expect, it } from '@jest/globals';
import { SaltCipher } from 'lambda-shared-token/advanced';
import type { RotationOutcome } from '../../scripts/local-stack/index.js';
import {
  currentSecretKeys,
  keyIdOf,
  rotateSecretKey,
  storedEnvelope,
  storedKeyId,
  untilDuringRun,
} from '../../scripts/simulator/key-rotation.js';
import { runSimulation } from '../../scripts/simulator/simulation.js';

/** The library's default rejectionRefreshIntervalMs (docs/reference.md). */
const REJECTION_INTERVAL_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const until = (condition: () => boolean | Promise<boolean>, what: string) =>
  untilDuringRun(condition, what, 30_000);

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
          outcomes.push(await rotateSecretKey(stack));
          keysAfter = await currentSecretKeys(stack);
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
    // Every token shown to the data API was committed, under whichever key (I1).
    expect(report.uncommittedTokensServed).toBe(0);
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
          const fetches = () => stack.secretsManager.stats().getSecretValueByName[stack.secretName] ?? 0;
          let lastRevocation = Number.NEGATIVE_INFINITY;
          for (let round = 0; round < 2; round++) {
            outcomes.push(await rotateSecretKey(stack));
            const newKeyId = keyIdOf((await currentSecretKeys(stack))[0]!);
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
              await until(async () => {
                const after = await storedEnvelope(stack);
                return after !== undefined && after !== before;
              }, 'a refresh after the revocation');
              const keyId = await storedKeyId(stack);
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
    // Every token shown to the data API was committed, under whichever key (I1).
    expect(report.uncommittedTokensServed).toBe(0);
  }, 180_000);
});

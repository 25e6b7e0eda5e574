/**
 * Many containers sharing one token sealed by KMS envelope encryption: each container is a child
 * process running the Salesforce example handler with `SHARED_TOKEN_KMS_KEY_ID` set, its KMSClient
 * pointed at the local KMS server by `AWS_ENDPOINT_URL_KMS`. The server counts the KMS calls: the
 * data-key caches must keep them to one GenerateDataKey per refresh and one Decrypt per container.
 */
import { describe, expect, it } from '@jest/globals';
import type { Entry } from '../../scripts/simulator/protocol.js';
import { runSimulationDetailed } from '../../scripts/simulator/simulation.js';

const CONTAINERS = 20;
const INVOCATIONS = 3;

describe.each<Entry>(['middleware', 'core'])('Many containers with the KMS cipher (%s)', (entry) => {
  it('shares one token with one provider call, one GenerateDataKey, and at most one Decrypt per container', async () => {
    const { report, refreshingAt } = await runSimulationDetailed({
      entry,
      cipher: 'kms',
      containers: CONTAINERS,
      invocations: INVOCATIONS,
      providerLatencyMs: 100,
      pollInitialMs: 25,
      pollMaxMs: 250,
    });

    expect(report.cipher).toBe('kms');
    expect(report.errors).toEqual({});
    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(CONTAINERS * INVOCATIONS);
    expect(report.providerTokenCalls).toBe(1);
    expect(report.tokenGenerations).toBe(1);
    expect(report.decryptFailed).toBe(0);
    expect(report.secretsInOutput).toBe(0);

    const generate = report.kmsCallsByOperation.GenerateDataKey ?? 0;
    const decrypt = report.kmsCallsByOperation.Decrypt ?? 0;
    // The one refreshing container sealed the token with one data key.
    expect(refreshingAt).toHaveLength(1);
    expect(generate).toBe(1);
    // Every other container decrypted the data key once at most; the writer had it cached.
    expect(decrypt).toBeGreaterThanOrEqual(1);
    expect(decrypt).toBeLessThanOrEqual(CONTAINERS - 1);
    expect(report.kmsCalls).toBe(generate + decrypt);
    expect(Object.keys(report.kmsCallsByOperation).sort()).toEqual(['Decrypt', 'GenerateDataKey']);
  }, 120_000);
});

describe('Many containers with the salt cipher', () => {
  it('makes no KMS call', async () => {
    const { report } = await runSimulationDetailed({ containers: 3, invocations: 2, pollInitialMs: 25 });
    expect(report.cipher).toBe('salt');
    expect(report.failed).toBe(0);
    expect(report.kmsCalls).toBe(0);
    expect(report.kmsCallsByOperation).toEqual({});
  }, 120_000);
});

/**
 * Powertools' environment variables, honoured wherever the library makes its own Logger or
 * Metrics: POWERTOOLS_SERVICE_NAME names the service of every line and EMF document, and
 * POWERTOOLS_METRICS_NAMESPACE the namespace of the metrics (docs/telemetry.md). The options still
 * win; `lambda-shared-token` and `SharedToken` stay the fallbacks.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, createPowertoolsMetrics, MetricName, SharedToken } from 'lambda-shared-token';
import type { SecretSource } from 'lambda-shared-token/advanced';
import {
  capturePrinted,
  isolateEnvironment,
  POWERTOOLS_ENVIRONMENT,
  parsed,
} from '../support/capture-output.js';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { testSecret } from '../support/test-secrets.js';
import { START } from './token-manager-harness.js';

isolateEnvironment(POWERTOOLS_ENVIRONMENT);

const SECRET = JSON.stringify({ salt: testSecret('environment:salt', 'salt-') });
const ACCESS_TOKEN = testSecret('environment:access-token', 'access-token-');

const namespaceOf = (document: Record<string, unknown>): unknown =>
  (document._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace;

/** The namespace of the one document a default instance prints for one data point. */
async function printedNamespace(
  options: Parameters<typeof createPowertoolsMetrics>[0] = {},
): Promise<unknown> {
  const metrics = createPowertoolsMetrics(options);
  const { stdout } = await capturePrinted(() => {
    metrics.record(MetricName.LeaseLost, 1, 'salesforce');
    metrics.flush();
  });
  return namespaceOf(parsed(stdout)[0]!);
}

/** A SharedToken with neither `logger` nor `metrics`: the library makes its own. */
function sharedTokenWithDefaults(): SharedToken {
  const secrets: SecretSource = { peek: () => SECRET, load: async () => SECRET };
  return new SharedToken({
    tokenType: 'salesforce',
    secretName: '/test/orders/oauth/salesforce',
    secrets,
    provider: () => ({
      fetchToken: async () => ({ accessToken: ACCESS_TOKEN, expiresAt: START + 3_600_000 }),
    }),
    store: new MemoryTokenStore(),
    clock: { now: () => START },
  });
}

describe('POWERTOOLS_METRICS_NAMESPACE', () => {
  it('is the namespace of the default metrics when set', async () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Orders';
    expect(await printedNamespace()).toBe('Orders');
  });

  it('gives way to the namespace option', async () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Orders';
    expect(await printedNamespace({ namespace: 'SharedTokenStaging' })).toBe('SharedTokenStaging');
  });

  it('leaves SharedToken as the namespace when unset or blank', async () => {
    expect(await printedNamespace()).toBe('SharedToken');
    process.env.POWERTOOLS_METRICS_NAMESPACE = '  ';
    expect(await printedNamespace()).toBe('SharedToken');
  });

  it('refuses a value CloudWatch would refuse, naming the variable', () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'N'.repeat(256);
    expect(() => createPowertoolsMetrics()).toThrow(ConfigurationError);
    expect(() => createPowertoolsMetrics()).toThrow(
      /POWERTOOLS_METRICS_NAMESPACE must be a non-empty string/,
    );
  });
});

describe('SharedToken with its own Logger and Metrics', () => {
  it('logs under POWERTOOLS_SERVICE_NAME and publishes in POWERTOOLS_METRICS_NAMESPACE with that service', async () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'orders-api';
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Orders';
    const shared = sharedTokenWithDefaults();

    const { stdout } = await capturePrinted(async () => {
      await shared.getToken();
      shared.flushMetrics();
    });

    const documents = parsed(stdout);
    const emf = documents.filter((document) => document._aws !== undefined);
    const logLines = documents.filter((document) => document._aws === undefined);
    expect(emf.length).toBeGreaterThan(0);
    expect(emf.map(namespaceOf)).toEqual(emf.map(() => 'Orders'));
    expect(emf.map((document) => document.service)).toEqual(emf.map(() => 'orders-api'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.map((line) => line.service)).toEqual(logLines.map(() => 'orders-api'));
  });
});

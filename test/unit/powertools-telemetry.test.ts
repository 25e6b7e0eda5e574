import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  createPowertoolsLogger,
  createPowertoolsMetrics,
  MetricName,
  type PowertoolsMetricsOptions,
  type TokenLogger,
  type TokenMetrics,
} from 'lambda-shared-token';
import { DEFAULT_SERVICE_NAME } from 'lambda-shared-token/advanced';
import { capturePrintedSync, isolateEnvironment, POWERTOOLS_ENVIRONMENT } from '../support/capture-output.js';

/** One EMF document as Powertools prints it. */
interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const emf = (stdout: string[]): EmfDocument[] =>
  stdout.map((line) => JSON.parse(line) as EmfDocument).filter((document) => document._aws !== undefined);

/**
 * What CloudWatch's Sum gives for `name` under `tokenType`: over every document that declares the
 * metric, its value is a number or (repeated data points, buffered) an array of numbers.
 */
function total(documents: EmfDocument[], name: string, tokenType: string): number {
  let sum = 0;
  for (const document of documents) {
    const declared = document._aws.CloudWatchMetrics[0]!.Metrics.some((metric) => metric.Name === name);
    if (!declared || document.tokenType !== tokenType) continue;
    const value = document[name] as number | number[];
    sum += Array.isArray(value) ? value.reduce((a, b) => a + b, 0) : value;
  }
  return sum;
}

isolateEnvironment(POWERTOOLS_ENVIRONMENT);

describe('createPowertoolsMetrics: the EMF it prints', () => {
  it('prints one EMF line on stdout in namespace SharedToken with the dimension set [tokenType]', () => {
    const metrics = createPowertoolsMetrics();
    const { stdout, stderr } = capturePrintedSync(() => {
      metrics.record(MetricName.TokenRefreshed, 1, 'salesforce');
      metrics.flush();
    });
    expect(stderr).toEqual([]);
    expect(stdout).toHaveLength(1);
    const [document] = emf(stdout);
    const definition = document!._aws.CloudWatchMetrics[0]!;
    expect(definition.Namespace).toBe('SharedToken');
    expect(definition.Dimensions).toEqual([['tokenType']]);
    expect(definition.Metrics).toEqual([{ Name: 'TokenRefreshed', Unit: 'Count' }]);
    expect(document!.tokenType).toBe('salesforce');
    expect(document!.TokenRefreshed).toBe(1);
  });

  it('gives every metric its unit: Count, and Milliseconds for LockWaitMs', () => {
    const metrics = createPowertoolsMetrics();
    const { stdout } = capturePrintedSync(() => {
      for (const name of Object.values(MetricName))
        metrics.record(name, name === 'LockWaitMs' ? 1_234.5 : 1, 'sf');
      metrics.flush();
    });
    const [document] = emf(stdout);
    const units = Object.fromEntries(
      document!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit]),
    );
    const expected = Object.fromEntries(
      Object.values(MetricName).map((name) => [name, name === 'LockWaitMs' ? 'Milliseconds' : 'Count']),
    );
    expect(units).toEqual(expected);
    expect(document!.LockWaitMs).toBe(1_234.5);
  });

  it('prints one document per tokenType, each with its own values', () => {
    const metrics = createPowertoolsMetrics();
    const { stdout } = capturePrintedSync(() => {
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.record(MetricName.TokenCacheHit, 1, 'webex');
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.record(MetricName.LockWaitMs, 40, 'webex');
      metrics.flush({ force: true });
    });
    const documents = emf(stdout);
    expect(documents).toHaveLength(2);
    const byType = Object.fromEntries(documents.map((document) => [document.tokenType, document]));
    // Counts are summed in memory: one data point per flush.
    expect(byType.salesforce!.TokenCacheHit).toBe(2);
    expect(byType.salesforce!.LockWaitMs).toBeUndefined();
    expect(byType.webex!.TokenCacheHit).toBe(1);
    expect(byType.webex!.LockWaitMs).toBe(40);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['tokenType']]);
    }
  });

  it('totals exactly N for N records, and N durations across the documents Powertools splits at 100 values', () => {
    const metrics = createPowertoolsMetrics();
    const records = 250;
    const { stdout } = capturePrintedSync(() => {
      for (let i = 0; i < records; i += 1) metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      for (let i = 0; i < 7; i += 1) metrics.record(MetricName.TokenRefreshed, 1, 'webex');
      for (let i = 0; i < records; i += 1) metrics.record(MetricName.LockWaitMs, 2, 'salesforce');
      metrics.flush({ force: true });
    });
    const documents = emf(stdout);
    expect(documents.length).toBeGreaterThan(2);
    expect(total(documents, 'LockWaitMs', 'salesforce')).toBe(2 * records);
    expect(total(documents, 'TokenCacheHit', 'salesforce')).toBe(records);
    expect(total(documents, 'TokenRefreshed', 'webex')).toBe(7);
    expect(total(documents, 'TokenCacheHit', 'webex')).toBe(0);
  });

  it('prints nothing, on either stream, when flushed with nothing recorded', () => {
    const metrics = createPowertoolsMetrics();
    const { stdout, stderr } = capturePrintedSync(() => metrics.flush());
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([]);
  });

  it('prints nothing on a second flush: the first emptied the buffer', () => {
    const metrics = createPowertoolsMetrics();
    const first = capturePrintedSync(() => {
      metrics.record(MetricName.TokenStoreRead, 1, 'salesforce');
      metrics.record(MetricName.TokenStoreRead, 1, 'webex');
      metrics.flush();
    });
    expect(emf(first.stdout)).toHaveLength(2);
    const second = capturePrintedSync(() => metrics.flush());
    expect(second.stdout).toEqual([]);
    expect(second.stderr).toEqual([]);
  });

  it('holds cache hits alone back at a flush, so a warm invocation prints nothing', () => {
    let now = Date.UTC(2026, 10, 22, 12);
    const metrics = createPowertoolsMetrics({ clock: { now: () => now } });
    const warm = capturePrintedSync(() => {
      for (let i = 0; i < 3; i += 1) {
        metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
        metrics.flush();
        now += 1_000;
      }
    });
    expect(warm.stdout).toEqual([]);

    now += 60_000;
    const due = capturePrintedSync(() => {
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.flush();
    });
    expect(total(emf(due.stdout), 'TokenCacheHit', 'salesforce')).toBe(4);
  });

  it('publishes held-back cache hits with the next eventful flush', () => {
    const metrics = createPowertoolsMetrics({ clock: { now: () => Date.UTC(2026, 10, 22, 12) } });
    const { stdout } = capturePrintedSync(() => {
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.flush();
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.record(MetricName.TokenRefreshed, 1, 'salesforce');
      metrics.flush();
    });
    const documents = emf(stdout);
    expect(documents).toHaveLength(1);
    expect(total(documents, 'TokenCacheHit', 'salesforce')).toBe(2);
    expect(total(documents, 'TokenRefreshed', 'salesforce')).toBe(1);
  });

  it('publishes cache hits at every flush with cacheHitFlushIntervalMs 0', () => {
    const metrics = createPowertoolsMetrics({ cacheHitFlushIntervalMs: 0 });
    const { stdout } = capturePrintedSync(() => {
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.flush();
    });
    expect(total(emf(stdout), 'TokenCacheHit', 'salesforce')).toBe(1);
  });

  it('refuses a negative cacheHitFlushIntervalMs', () => {
    expect(() => createPowertoolsMetrics({ cacheHitFlushIntervalMs: -1 })).toThrow(
      '"cacheHitFlushIntervalMs"',
    );
  });

  it('prints nothing before flush()', () => {
    const metrics = createPowertoolsMetrics();
    const { stdout } = capturePrintedSync(() => metrics.record(MetricName.TokenCacheHit, 1, 'salesforce'));
    expect(stdout).toEqual([]);
  });

  it('writes the service as metadata, not as a dimension: lambda-shared-token by default', () => {
    const metrics = createPowertoolsMetrics();
    const { stdout } = capturePrintedSync(() => {
      metrics.record(MetricName.TokenRefreshed, 1, 'salesforce');
      metrics.flush();
    });
    const [document] = emf(stdout);
    expect(document!.service).toBe(DEFAULT_SERVICE_NAME);
    expect(document!._aws.CloudWatchMetrics[0]!.Dimensions.flat()).not.toContain('service');
  });

  it('takes the service from POWERTOOLS_SERVICE_NAME, and the serviceName option over it', () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'orders-from-env';
    const fromEnv = createPowertoolsMetrics();
    const fromOption = createPowertoolsMetrics({ serviceName: 'orders-api' });
    const { stdout } = capturePrintedSync(() => {
      fromEnv.record(MetricName.TokenRefreshed, 1, 'salesforce');
      fromEnv.flush();
      fromOption.record(MetricName.TokenRefreshed, 1, 'salesforce');
      fromOption.flush();
    });
    expect(emf(stdout).map((document) => document.service)).toEqual(['orders-from-env', 'orders-api']);
  });

  it('uses the namespace option over POWERTOOLS_METRICS_NAMESPACE, and that over SharedToken', () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'SomethingElse';
    const byDefault = createPowertoolsMetrics();
    const custom = createPowertoolsMetrics({ namespace: 'SharedTokenStaging' });
    const { stdout } = capturePrintedSync(() => {
      byDefault.record(MetricName.LeaseLost, 1, 'salesforce');
      byDefault.flush();
      custom.record(MetricName.LeaseLost, 1, 'salesforce');
      custom.flush();
    });
    expect(emf(stdout).map((document) => document._aws.CloudWatchMetrics[0]!.Namespace)).toEqual([
      'SomethingElse',
      'SharedTokenStaging',
    ]);
  });

  it('prints nothing when Powertools metrics are disabled by POWERTOOLS_METRICS_DISABLED', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = createPowertoolsMetrics();
    const { stdout, stderr } = capturePrintedSync(() => {
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      metrics.flush();
    });
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([]);
  });

  it('is a TokenMetrics', () => {
    const metrics: TokenMetrics = createPowertoolsMetrics();
    expect(typeof metrics.record).toBe('function');
  });
});

describe('createPowertoolsMetrics: bad data points', () => {
  const warnings: Array<{ message: string; attributes: unknown }> = [];
  const logger: TokenLogger = {
    debug: () => {},
    info: () => {},
    warn: (message, attributes) => warnings.push({ message, attributes }),
    error: () => {},
  };

  it.each([
    ['an unknown metric name', 'TokenCacheHits', 1, 'salesforce'],
    ['a NaN value', MetricName.LockWaitMs, Number.NaN, 'salesforce'],
    ['a negative value', MetricName.LockWaitMs, -5, 'salesforce'],
    ['an infinite value', MetricName.LockWaitMs, Number.POSITIVE_INFINITY, 'salesforce'],
    ['an empty tokenType', MetricName.TokenCacheHit, 1, ''],
  ])('drops %s without throwing, prints nothing and tells the logger', (_label, name, value, tokenType) => {
    warnings.length = 0;
    const metrics = createPowertoolsMetrics({ logger });
    const { stdout, stderr } = capturePrintedSync(() => {
      metrics.record(name as MetricName, value as number, tokenType as string);
      metrics.flush();
    });
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([]);
    expect(warnings.map((warning) => warning.message)).toEqual(['token metric dropped']);
  });
});

describe('createPowertoolsMetrics: an injected Metrics instance', () => {
  it('publishes each data point at once, in its namespace and with its dimensions plus tokenType', () => {
    const injected = new Metrics({
      namespace: 'OrdersApp',
      serviceName: 'orders',
      defaultDimensions: { stage: 'prod' },
    });
    const metrics = createPowertoolsMetrics({ metrics: injected });
    const recorded = capturePrintedSync(() => {
      metrics.record(MetricName.ProviderRejected, 1, 'salesforce');
      metrics.record(MetricName.ProviderRejected, 1, 'webex');
    });
    const documents = emf(recorded.stdout);
    expect(documents).toHaveLength(2);
    for (const document of documents) {
      const definition = document._aws.CloudWatchMetrics[0]!;
      expect(definition.Namespace).toBe('OrdersApp');
      expect(definition.Dimensions).toHaveLength(1);
      expect([...definition.Dimensions[0]!].sort()).toEqual(['service', 'stage', 'tokenType']);
      expect(definition.Metrics).toEqual([{ Name: 'ProviderRejected', Unit: 'Count' }]);
      expect(document.ProviderRejected).toBe(1);
      expect(document.service).toBe('orders');
    }
    expect(documents.map((document) => document.tokenType)).toEqual(['salesforce', 'webex']);
    expect(capturePrintedSync(() => metrics.flush()).stdout).toEqual([]);
  });

  it('leaves the injected buffer to its owner: our data points never join it', () => {
    const injected = new Metrics({ namespace: 'OrdersApp', serviceName: 'orders' });
    const metrics = createPowertoolsMetrics({ metrics: injected });
    const { stdout } = capturePrintedSync(() => {
      injected.addMetric('OrderPlaced', 'Count', 1);
      metrics.record(MetricName.TokenCacheHit, 1, 'salesforce');
      injected.publishStoredMetrics();
    });
    const documents = emf(stdout);
    expect(documents).toHaveLength(2);
    const owners = documents.find((document) => document.OrderPlaced !== undefined)!;
    expect(owners.TokenCacheHit).toBeUndefined();
    expect(owners.tokenType).toBeUndefined();
  });

  it('refuses namespace or serviceName next to an injected instance', () => {
    const injected = new Metrics({ namespace: 'OrdersApp' });
    expect(() => createPowertoolsMetrics({ metrics: injected, namespace: 'SharedToken' })).toThrow(
      ConfigurationError,
    );
    expect(() => createPowertoolsMetrics({ metrics: injected, serviceName: 'x' })).toThrow(
      ConfigurationError,
    );
  });
});

describe('createPowertoolsMetrics: options', () => {
  it('refuses an unknown option, naming it', () => {
    const options = { nameSpace: 'SharedToken' } as unknown as PowertoolsMetricsOptions;
    expect(() => createPowertoolsMetrics(options)).toThrow(
      new ConfigurationError(
        'Unknown createPowertoolsMetrics option "nameSpace"; known options: metrics, namespace, serviceName, logger, cacheHitFlushIntervalMs, clock',
      ),
    );
  });

  it.each([{ namespace: '' }, { serviceName: '   ' }, { namespace: 42 }])('refuses %p', (options) => {
    expect(() => createPowertoolsMetrics(options as unknown as PowertoolsMetricsOptions)).toThrow(
      ConfigurationError,
    );
  });
});

describe('createPowertoolsLogger', () => {
  it('is a Powertools Logger, which is a TokenLogger as it is (checked by the compiler)', () => {
    const logger = createPowertoolsLogger() satisfies TokenLogger;
    const own: TokenLogger = new Logger({ serviceName: 'own' });
    expect(logger).toBeInstanceOf(Logger);
    expect(typeof own.info).toBe('function');
  });

  it('prints INFO as one JSON line on stdout with the service, message and attributes', () => {
    const logger = createPowertoolsLogger();
    const { stdout, stderr } = capturePrintedSync(() =>
      logger.info('token refreshed', { tokenType: 'salesforce', version: 7 }),
    );
    expect(stderr).toEqual([]);
    expect(stdout).toHaveLength(1);
    expect(JSON.parse(stdout[0]!)).toMatchObject({
      level: 'INFO',
      message: 'token refreshed',
      service: DEFAULT_SERVICE_NAME,
      tokenType: 'salesforce',
      version: 7,
    });
  });

  it('prints WARN and ERROR on stderr', () => {
    const logger = createPowertoolsLogger();
    const { stdout, stderr } = capturePrintedSync(() => {
      logger.warn('lease taken over', { tokenType: 'salesforce' });
      logger.error('refresh failed');
    });
    expect(stdout).toEqual([]);
    expect(stderr.map((line) => JSON.parse(line).level)).toEqual(['WARN', 'ERROR']);
  });

  it('skips DEBUG at the default level and prints it at logLevel DEBUG', () => {
    const quiet = capturePrintedSync(() => createPowertoolsLogger().debug('hidden'));
    const verbose = capturePrintedSync(() =>
      createPowertoolsLogger({ logLevel: 'DEBUG' }).debug('shown', { a: 1 }),
    );
    expect(quiet.stdout).toEqual([]);
    expect(JSON.parse(verbose.stdout[0]!)).toMatchObject({ level: 'DEBUG', message: 'shown', a: 1 });
  });

  it('takes the service from POWERTOOLS_SERVICE_NAME, and the serviceName option over it', () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'orders-from-env';
    const { stdout } = capturePrintedSync(() => {
      createPowertoolsLogger().info('a');
      createPowertoolsLogger({ serviceName: 'orders-api' }).info('b');
    });
    expect(stdout.map((line) => JSON.parse(line).service)).toEqual(['orders-from-env', 'orders-api']);
  });

  it('writes through an injected Logger as it is', () => {
    const injected = new Logger({ serviceName: 'orders', persistentKeys: { stage: 'prod' } });
    const { stdout } = capturePrintedSync(() =>
      createPowertoolsLogger({ logger: injected }).info('hello', { tokenType: 'sf' }),
    );
    expect(JSON.parse(stdout[0]!)).toMatchObject({ service: 'orders', stage: 'prod', tokenType: 'sf' });
  });

  it('refuses an unknown option, and serviceName next to an injected Logger', () => {
    expect(() => createPowertoolsLogger({ service: 'x' } as never)).toThrow(
      /Unknown createPowertoolsLogger option "service"/,
    );
    expect(() => createPowertoolsLogger({ logger: new Logger(), serviceName: 'x' })).toThrow(
      ConfigurationError,
    );
  });
});

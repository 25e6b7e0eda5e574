/** The demo as a user runs it: a separate process, its whole output read back. */
import { describe, expect, it } from '@jest/globals';
import { demo } from '../support/demo-cli.js';
import { testSecret } from '../support/test-secrets.js';

describe('The demo CLI', () => {
  it('ends stdout with one JSON report and prints no client secret anywhere', () => {
    const clientSecret = testSecret('demo:clientSecret', 'cli-secret-');

    // Tokens of a minute (leases of 10 s) and no revocation: this checks the CLI and its report on
    // a machine that runs other suites beside it; timing under load is many-containers' business.
    const run = demo(
      ['--containers', '3', '--invocations', '5', '--token-ttl', '60', '--reject-rate', '0', '--json'],
      { SIMULATOR_CLIENT_SECRET: clientSecret },
    );

    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    // First, so that a failing run shows which errors the containers met.
    expect({ failed: report.failed, errors: report.errors }).toEqual({ failed: 0, errors: {} });
    for (const field of [
      'engine',
      'containers',
      'invocations',
      'succeeded',
      'failed',
      'killed',
      'providerTokenCalls',
      'tokenGenerations',
      'dynamoReads',
      'dynamoWrites',
      'maxWaitMs',
      'overheadMsP50',
      'overheadMsP99',
      'secretFetches',
      'metrics',
    ]) {
      expect(report).toHaveProperty(field);
    }
    expect(report.invocations).toBe(15);
    expect(report.providerTokenCalls).toBe(report.tokenGenerations);
    expect(report.secretsInOutput).toBe(0);
    expect(run.output).not.toContain(clientSecret);
    // The totals of the containers' Powertools metrics stand beside the provider's own count.
    expect(report.metrics.TokenRefreshed).toBe(report.providerTokenCalls);
    expect(report.entry).toBe('middleware');
  }, 120_000);

  it('runs the handlers through the core API with --entry core', () => {
    const run = demo([
      ...['--containers', '2', '--invocations', '3', '--entry', 'core'],
      ...['--token-ttl', '60', '--reject-rate', '0', '--json'],
    ]);

    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    expect({ failed: report.failed, errors: report.errors }).toEqual({ failed: 0, errors: {} });
    expect(report.entry).toBe('core');
    expect(report.succeeded).toBe(6);
    expect(report.metrics.TokenRefreshed).toBe(report.providerTokenCalls);
  }, 120_000);

  it('runs on the library defaults on 300-s tokens: nothing changed, one provider call', () => {
    const run = demo([
      ...['--containers', '4', '--invocations', '5', '--token-ttl', '300'],
      ...['--reject-rate', '0', '--think-ms', '50', '--json'],
    ]);

    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    expect({ failed: report.failed, errors: report.errors }).toEqual({ failed: 0, errors: {} });
    expect(report).toMatchObject({
      tokenTtlSeconds: 300,
      tunedOptions: {},
      tunedBy: {},
      providerTokenCalls: 1,
      tokenGenerations: 1,
    });
  }, 120_000);

  it('says which library options it changed on its default 8-s tokens, and why', () => {
    const run = demo(['--containers', '2', '--invocations', '3', '--reject-rate', '0']);

    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'library options changed from their defaults: skewMs=800 (token lives 8 s), leaseMs=2000 (token lives 8 s), rejectionRefreshIntervalMs=2000 (token lives 8 s)',
    );
  }, 120_000);

  it("ends with the operator's view of its table: lambda-shared-token status and a passing doctor", () => {
    // 300-s tokens: one generation, still valid when the commands run, however slow the machine.
    const run = demo(['--containers', '2', '--invocations', '3', '--reject-rate', '0', '--token-ttl', '300']);

    expect(run.status).toBe(0);
    const [, operator] = run.stdout.split('$ npx lambda-shared-token status\n');
    expect(operator).toMatch(/Table demo-local-access-tokens at .*: 1 tokenType/);
    // The shared token's row: version 1 (one generation), a key id of the secret's key.
    expect(operator).toMatch(/\n\s+salesforce\s+1\s+in \d.*salt [0-9a-f]{8}\s+no\n/);
    expect(operator).toContain('$ npx lambda-shared-token doctor --secret /demo/simulator/oauth/salesforce');
    expect(operator).toMatch(
      /ok\s+stored token\s+the stored token of "salesforce" \(version 1, valid\) opens/,
    );
    expect(operator).toMatch(/All 9 checks passed \(1 skipped\)\./);
  }, 120_000);

  it('attaches the handlers with a plain .use() under --entry middy-use, and passes timing flags as given', () => {
    const run = demo([
      ...['--containers', '2', '--invocations', '3', '--entry', 'middy-use'],
      ...['--lease-ms', '1500', '--poll-max-ms', '400', '--reject-rate', '0', '--json'],
    ]);

    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    expect({ failed: report.failed, errors: report.errors }).toEqual({ failed: 0, errors: {} });
    expect(report.entry).toBe('middy-use');
    expect(report.succeeded).toBe(6);
    expect(report.tunedOptions).toEqual({
      skewMs: 800,
      leaseMs: 1500,
      rejectionRefreshIntervalMs: 2000,
      pollMaxMs: 400,
    });
    expect(report.tunedBy).toEqual({
      skewMs: 'token-life',
      leaseMs: 'caller',
      rejectionRefreshIntervalMs: 'token-life',
      pollMaxMs: 'caller',
    });
  }, 120_000);

  it('exits 1 when no invocation succeeds, after its report', () => {
    // Nothing listens on the discard port: every refresh fails with a connection refused.
    const run = demo([
      ...['--containers', '2', '--invocations', '2', '--json'],
      ...['--provider-url', 'http://127.0.0.1:9/token', '--api-url', 'http://127.0.0.1:9/api'],
    ]);

    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    expect(report).toMatchObject({ succeeded: 0, failed: 4, tokenGenerations: 0 });
    // Each attempt failed, and the shared back-off kept the others from trying at once.
    expect(report.metrics.TokenRefreshFailed).toBe(report.providerTokenCalls);
    expect(Object.keys(report.errors)).toEqual(['TokenRefreshError']);
    expect(run.output).toContain('demo failed: none of the 4 invocations succeeded');
  });

  it.each([
    [['--containers', '0'], '--containers must be a number from 1 to 1000'],
    [['--invocations', '2.5'], '--invocations must be a whole number'],
    [['--reject-rate', '2'], '--reject-rate must be a number from 0 to 1'],
    [['--engine', 'mongo'], '--engine must be dynamodb-local or dynalite'],
    [['--endpoint', 'not a url'], '--endpoint must be an http(s) URL'],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
    [['--entry', 'lambda'], '--entry must be middleware, middy-use or core'],
    [['--skew-ms=-1'], '--skew-ms must be a number from 0 to 86400000'],
    [['--lease-ms', '0'], '--lease-ms must be a number from 1 to 86400000'],
    [['--rejection-refresh-interval-ms', '2.5'], '--rejection-refresh-interval-ms must be a whole number'],
    [['--poll-max-ms', '20'], '--poll-max-ms must be at least the first delay (50 ms)'],
    [['--rate-limit-rate', '1.5'], '--rate-limit-rate must be a number from 0 to 1'],
    [['--provider-url', 'http://127.0.0.1:9/token'], '--provider-url and --api-url go together'],
  ])('refuses %j at once with exit code 2 and a message naming the flag', (args, message) => {
    const run = demo(args);

    expect(run.status).toBe(2);
    expect(run.output).toContain(message);
  });
});

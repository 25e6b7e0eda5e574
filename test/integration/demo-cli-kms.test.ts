/** The demo's `--cipher` flag, as a user runs it: a separate process, its output read back. */
import { describe, expect, it } from '@jest/globals';
import { demo } from '../support/demo-cli.js';

describe('The demo CLI with --cipher', () => {
  it('seals the tokens with KMS under --cipher kms and reports the KMS calls', () => {
    const run = demo([
      ...['--containers', '3', '--invocations', '3', '--cipher', 'kms'],
      ...['--token-ttl', '60', '--reject-rate', '0', '--json'],
    ]);

    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    expect({ failed: report.failed, errors: report.errors }).toEqual({ failed: 0, errors: {} });
    expect(report.cipher).toBe('kms');
    expect(report.kmsCallsByOperation.GenerateDataKey).toBe(report.tokenGenerations);
    expect(report.kmsCalls).toBeGreaterThanOrEqual(report.tokenGenerations);
    expect(report.kmsCalls).toBeLessThanOrEqual(report.tokenGenerations + 2);
  }, 120_000);

  it('refuses an unknown cipher at once with exit code 2, naming the flag and listing it in the usage', () => {
    const run = demo(['--cipher', 'rsa']);

    expect(run.status).toBe(2);
    expect(run.output).toContain('--cipher must be salt or kms');
    expect(run.output).toMatch(/--cipher NAME\s+salt .* \| kms/);
  });
});

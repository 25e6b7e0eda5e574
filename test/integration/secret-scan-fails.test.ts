/** The setup file's afterEach really fails a test that printed a registered secret (a Jest of its own). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the secret scan in a real Jest run', () => {
  it('fails the test that printed a registered secret, naming the label and the stream', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--experimental-vm-modules',
        'node_modules/jest/bin/jest.js',
        '--ci',
        '--testMatch',
        '**/test/support/fixtures/prints-a-secret.fixture.ts',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );

    expect(run.status).toBe(1);
    expect(run.stderr).toContain("'test:fixture:leaked' on stdout");
    expect(run.stderr).toContain('1 failed');
  }, 60_000);
});

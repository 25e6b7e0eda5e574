/** The demo CLI as a user runs it: the bundled script (`node scripts/build.mjs`) in a separate process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scanText } from './secret-scan.js';

export const DEMO = fileURLToPath(new URL('../../.build/scripts/simulator/demo.js', import.meta.url));

/** Runs the demo with `args` and only PATH plus `env` in its environment; its output is secret-scanned. */
export function demo(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [DEMO, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  // The secret scan sees the child's output only through the test: scan it like the worker's own.
  scanText(run.stdout, 'demo stdout');
  scanText(run.stderr, 'demo stderr');
  return { status: run.status, stdout: run.stdout, output: `${run.stdout}${run.stderr}` };
}

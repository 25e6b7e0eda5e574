/**
 * The operator command as a user runs it: the bundled `.build/cli/main.js` (`node scripts/build.mjs`)
 * in a child process with only PATH, the AWS SDK's variables and `env` in its environment. Async:
 * the local servers it calls run in the test's own process, which must keep answering. Its output is
 * secret-scanned like the worker's own.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runNodeCollected } from '../../scripts/simulator/collected-process.js';
import { scanText } from './secret-scan.js';

export const CLI = fileURLToPath(new URL('../../.build/cli/main.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Fake credentials and region: the local servers accept anything, and a real key must never be sent. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export async function runCliProcess(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first`);
  // A command that does not end is killed at timeoutMs and fails its test, with what it printed.
  const { exitCode, stdout, stderr } = await runNodeCollected([CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...LOCAL_AWS_ENV, ...env },
    timeoutMs,
  });
  scanText(stdout, `cli ${args[0]} stdout`);
  scanText(stderr, `cli ${args[0]} stderr`);
  return { status: exitCode, stdout, stderr };
}

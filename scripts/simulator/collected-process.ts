/**
 * A child process run to its end with its output collected: for commands a run or a test looks at
 * afterwards (the operator's `lambda-shared-token`, a script in an installed app). Asynchronous, so
 * the local servers the child calls, which run in the caller's process, keep answering.
 */
import { spawn } from 'node:child_process';

export interface CollectedRun {
  /** null when a signal ended it (the timeout's SIGKILL among them). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CollectedRunOptions {
  /** The child's whole environment. */
  env: Record<string, string>;
  /** @default the caller's working directory */
  cwd?: string;
  /** SIGKILL after this long: a child kept alive (a timer, a socket) fails instead of hanging. @default 60_000 */
  timeoutMs?: number;
}

/** Runs `node` with `args` (a script and its arguments). */
export function runNodeCollected(
  args: readonly string[],
  options: CollectedRunOptions,
): Promise<CollectedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}

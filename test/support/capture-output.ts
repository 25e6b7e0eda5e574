/**
 * Captures what a test's code prints on stdout and stderr, one entry per line: Powertools writes
 * its JSON log lines and EMF documents through its own Console on `process.stdout`/`stderr`.
 */
import { afterEach, beforeEach, jest } from '@jest/globals';

export interface Printed {
  stdout: string[];
  stderr: string[];
}

/** Runs `action` (and awaits it) with both streams captured; restores them even when it throws. */
export async function capturePrinted(action: () => unknown): Promise<Printed> {
  const capture = startCapture();
  try {
    await action();
    return capture.printed();
  } finally {
    capture.stop();
  }
}

/** {@link capturePrinted} for synchronous code, with `action`'s result. */
export function capturePrintedSync<T>(action: () => T): Printed & { result: T } {
  const capture = startCapture();
  try {
    const result = action();
    return { result, ...capture.printed() };
  } finally {
    capture.stop();
  }
}

function startCapture(): { printed(): Printed; stop(): void } {
  const out: string[] = [];
  const err: string[] = [];
  const into = (sink: string[]) => (chunk: unknown) => {
    sink.push(String(chunk));
    return true;
  };
  const stdout = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation(into(out) as typeof process.stdout.write);
  const stderr = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation(into(err) as typeof process.stderr.write);
  return {
    printed: () => ({ stdout: lines(out), stderr: lines(err) }),
    stop: () => {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}

const lines = (chunks: string[]): string[] =>
  chunks
    .join('')
    .split('\n')
    .filter((line) => line !== '');

/** Every printed line parsed as JSON. */
export const parsed = (printed: string[]): Record<string, unknown>[] =>
  printed.map((line) => JSON.parse(line) as Record<string, unknown>);

/** What Powertools reads from the environment for its Logger and Metrics: cleared by tests of their output. */
export const POWERTOOLS_ENVIRONMENT = [
  'POWERTOOLS_DEV',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_LOG_LEVEL',
  'AWS_LAMBDA_LOG_LEVEL',
] as const;

/** Saves the named environment variables before each test, clears them, and restores them after. */
export function isolateEnvironment(names: readonly string[]): void {
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    for (const name of names) delete process.env[name];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

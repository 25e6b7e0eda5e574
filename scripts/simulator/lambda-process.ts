/**
 * Forks one simulated Lambda process (a container or the scheduled refresher) with the
 * environment Lambda's runtime would give it, and collects what it prints.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where a process's output goes: stdout alone (EMF metrics are read from it), and everything. */
export interface OutputSinks {
  stdout: string[];
  output: string[];
}

// Beside this file when it runs bundled (the demo), beside the bench's bundle, or in .build/ from source (Jest).
const CONTAINER_SCRIPT = [
  './container.js',
  '../simulator/container.js',
  '../../.build/scripts/simulator/container.js',
]
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path));

/** The bundled container (container.ts) every simulated process runs; throws when it was not built. */
export function containerScript(): string {
  if (CONTAINER_SCRIPT === undefined) {
    throw new Error('The container bundle is missing: run `npm run build` (or `make demo`) first');
  }
  return CONTAINER_SCRIPT;
}

export function forkLambdaProcess(script: string, sinks: OutputSinks): ChildProcess {
  const child = fork(script, [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      AWS_REGION: 'us-east-1',
      // Lambda's nodejs20.x prints the SDK's Node 20 notice once per container; here it is noise.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SIMULATOR_DEBUG: process.env.SIMULATOR_DEBUG,
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    sinks.stdout.push(chunk.toString());
    sinks.output.push(chunk.toString());
  });
  child.stderr?.on('data', (chunk: Buffer) => sinks.output.push(chunk.toString()));
  if (process.env.SIMULATOR_DEBUG) child.stderr?.pipe(process.stderr);
  return child;
}

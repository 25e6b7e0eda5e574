import { spawn } from 'node:child_process';
import { startDynalite } from './dynalite-server.js';
import { startDynamoDbLocal } from './dynamodb-local-process.js';

export type DynamoEngine = 'dynamodb-local' | 'dynalite';

/** What was spawned, so tests can prove telemetry is off. `env` holds only the variables we set. */
export interface DynamoCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export interface RunningDynamo {
  readonly engine: DynamoEngine;
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** DynamoDB Local only. */
  readonly command?: DynamoCommand;
  /** DynamoDB Local only: the JVM's process id. */
  readonly pid?: number;
  /** Resolves once the process has exited or the server has closed. Idempotent. */
  stop(): Promise<void>;
}

/** True when `java -version` runs and exits 0. */
export async function javaAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('java', ['-version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** 'auto' (default): DynamoDB Local when Java is there, else dynalite. */
export async function startDynamo(options: { engine?: DynamoEngine | 'auto' } = {}): Promise<RunningDynamo> {
  const engine = options.engine ?? 'auto';
  if (engine === 'dynamodb-local') return startDynamoDbLocal();
  if (engine === 'dynalite') return startDynalite();
  if (!(await javaAvailable())) return startDynalite();
  try {
    return await startDynamoDbLocal();
  } catch (error) {
    // A Java runtime without a compiler cannot run the loopback launcher: keep working, say so.
    console.warn(
      `DynamoDB Local did not start (${error instanceof Error ? error.message : String(error)}); using dynalite`,
    );
    return startDynalite();
  }
}

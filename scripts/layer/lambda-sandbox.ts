/**
 * A Lambda execution environment on disk, for testing the layer zip as Lambda sees it:
 *
 * ```
 * <root>/opt/nodejs/node_modules/...   the layer zip, extracted (Lambda: /opt)
 * <root>/runtime/index.mjs             the runtime's handler loader (Lambda: /var/runtime)
 * <root>/runtime/node_modules/...      what the runtime provides: the SDK, as symlinks
 * <root>/task/index.mjs                the function's code (Lambda: /var/task)
 * ```
 *
 * A container is a child `node` process started as Lambda starts one: NODE_PATH as the runtime's
 * bootstrap sets it, cwd the task directory, the function's environment only (nothing inherited
 * but PATH), `--preserve-symlinks` so the SDK's own imports stay inside runtime/node_modules and
 * nothing of this checkout's node_modules is within reach.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linkPackages, packageClosure } from './package-closure.js';
import { findProjectRoot } from './project-root.js';
import { extractZip } from './zip.js';

const SANDBOX_FILES = join(dirname(fileURLToPath(import.meta.url)), 'sandbox');
const START_TIMEOUT_MS = 30_000;

export interface LambdaSandboxOptions {
  /** The layer zip, extracted into `<root>/opt` as Lambda extracts layers into /opt. */
  layerZip: Uint8Array;
  /**
   * Packages the runtime provides, linked with everything they depend on into runtime/node_modules.
   * @default []
   */
  runtimePackages?: readonly string[];
  /**
   * The Node.js major of the runtime, for the `/opt/nodejs/node<major>/node_modules` NODE_PATH entry.
   * @default this process's
   */
  nodeMajor?: number;
  /**
   * The checkout whose node_modules holds the runtime packages.
   * @default the nearest directory above this file whose package.json is named lambda-shared-token
   */
  projectRoot?: string;
}

export interface LambdaSandbox {
  root: string;
  /** Stands for /opt. */
  optDir: string;
  /** Stands for /var/runtime. */
  runtimeDir: string;
  /** Stands for /var/task. */
  taskDir: string;
  /** NODE_PATH as the Lambda Node.js runtime's bootstrap sets it, with this sandbox's directories. */
  nodePath: string;
  nodeMajor: number;
  /** Copies `source` into the task directory as `name`. */
  addTaskFile(source: string, name: string): void;
  /** Deletes the whole sandbox. */
  remove(): void;
}

/** Creates the directories above under a fresh temporary directory. */
export function createLambdaSandbox(options: LambdaSandboxOptions): LambdaSandbox {
  const projectRoot = options.projectRoot ?? findProjectRoot();
  const nodeMajor = options.nodeMajor ?? Number(process.versions.node.split('.')[0]);
  const root = mkdtempSync(join(tmpdir(), 'lambda-sandbox-'));
  const optDir = join(root, 'opt');
  const runtimeDir = join(root, 'runtime');
  const taskDir = join(root, 'task');
  try {
    extractZip(options.layerZip, optDir);
    mkdirSync(join(runtimeDir, 'node_modules'), { recursive: true });
    mkdirSync(taskDir);
    copyFileSync(join(SANDBOX_FILES, 'runtime.mjs'), join(runtimeDir, 'index.mjs'));
    copyFileSync(join(SANDBOX_FILES, 'node-path-hooks.mjs'), join(runtimeDir, 'node-path-hooks.mjs'));
    copyFileSync(join(SANDBOX_FILES, 'probe.mjs'), join(taskDir, '.sandbox-probe.mjs'));
    const runtimePackages = packageClosure(projectRoot, options.runtimePackages ?? []);
    linkPackages(projectRoot, runtimePackages, join(runtimeDir, 'node_modules'));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  // The bootstrap's order: the version-specific layer directory, the layer, the runtime, then plain dirs.
  const nodePath = [
    join(optDir, 'nodejs', `node${nodeMajor}`, 'node_modules'),
    join(optDir, 'nodejs', 'node_modules'),
    join(runtimeDir, 'node_modules'),
    runtimeDir,
    taskDir,
  ].join(delimiter);
  return {
    root,
    optDir,
    runtimeDir,
    taskDir,
    nodePath,
    nodeMajor,
    addTaskFile: (source, name) => copyFileSync(source, join(taskDir, name)),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The path of a file shipped with the sandbox (the example handler `salesforce-handler.mjs`...). */
export function sandboxFile(name: string): string {
  return join(SANDBOX_FILES, name);
}

export interface LambdaContainerOptions {
  /**
   * `_HANDLER`: `<module>.<export>`, the module being an `.mjs` file of the task directory.
   * @default 'index.handler'
   */
  handler?: string;
  /** The function's environment variables. @default {} */
  environment?: Record<string, string>;
  /**
   * Search NODE_PATH for ES module imports, as Lambda's Node.js runtime does; `false` shows what
   * plain Node does.
   * @default true
   */
  esmNodePath?: boolean;
}

/** What the Lambda service reports of a failed invocation, plus the HTTP fields of the error. */
export interface InvocationError {
  errorType: string;
  errorMessage: string;
  code?: string;
  statusCode?: number;
  errorCode?: string;
}

export type InvocationResult<T> = { ok: true; value: T } | { ok: false; error: InvocationError };

export type Resolution = { url: string } | { error: { code?: string; message: string } };

export interface LambdaContainer {
  /** One invocation; the container runs them one at a time. */
  invoke<T = unknown>(event: unknown, options?: { remainingMs?: number }): Promise<InvocationResult<T>>;
  /** Where `specifier` resolves from the task directory (where the handler is). */
  resolve(specifier: string): Promise<Resolution>;
  /** For each name: is it the very same value in both modules, imported from the task directory? */
  sameExports(specifiers: [string, string], names: string[]): Promise<Record<string, boolean>>;
  /** What `specifier` exports, imported from the task directory: name to `typeof` its value. */
  exportTypes(specifier: string): Promise<Record<string, string>>;
  /** Everything the process has printed so far. */
  output(): { stdout: string; stderr: string };
  /** Ends the process. Idempotent. */
  stop(): Promise<void>;
}

interface Reply {
  id?: number;
  ready?: boolean;
  ok?: boolean;
  value?: unknown;
  error?: InvocationError;
}

/** Starts one container and waits for its init phase (the handler's import) to finish. */
export async function startLambdaContainer(
  sandbox: LambdaSandbox,
  options: LambdaContainerOptions = {},
): Promise<LambdaContainer> {
  const functionName = 'layer-sandbox';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: sandbox.root,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: sandbox.nodePath,
    LAMBDA_TASK_ROOT: sandbox.taskDir,
    LAMBDA_RUNTIME_DIR: sandbox.runtimeDir,
    _HANDLER: options.handler ?? 'index.handler',
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${sandbox.nodeMajor}.x`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    ...(options.esmNodePath === false && { SANDBOX_ESM_NODE_PATH: 'off' }),
    ...options.environment,
  };
  const child = spawn(process.execPath, ['--preserve-symlinks', join(sandbox.runtimeDir, 'index.mjs')], {
    cwd: sandbox.taskDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const pending = new Map<number, (reply: Reply) => void>();
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = new Error(`the container exited (${signal ?? code}); stderr:\n${stderr.slice(-2000)}`);
      for (const settle of pending.values())
        settle({ ok: false, error: { errorType: 'Exited', errorMessage: exited.message } });
      pending.clear();
      resolve();
    });
  });
  await waitUntilReady(child, exit, () => exited);

  let nextId = 0;
  const request = (message: Record<string, unknown>): Promise<Reply> => {
    if (exited) return Promise.reject(exited);
    const id = ++nextId;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      child.send({ ...message, id });
    });
  };
  child.on('message', (reply: Reply) => {
    if (reply.id === undefined) return;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const answerOf = async <T>(message: Record<string, unknown>): Promise<T> => {
    const reply = await request(message);
    if (!reply.ok) throw new Error(`${String(message.type)} failed: ${reply.error?.errorMessage}`);
    return reply.value as T;
  };

  return {
    async invoke<T>(event: unknown, invokeOptions: { remainingMs?: number } = {}) {
      const reply = await request({
        type: 'invoke',
        event,
        remainingMs: invokeOptions.remainingMs ?? 10_000,
      });
      return reply.ok ? { ok: true, value: reply.value as T } : { ok: false, error: reply.error! };
    },
    resolve: (specifier) => answerOf<Resolution>({ type: 'resolve', specifier }),
    sameExports: (specifiers, names) => answerOf({ type: 'same-exports', specifiers, names }),
    exportTypes: (specifier) => answerOf({ type: 'export-types', specifier }),
    output: () => ({ stdout, stderr }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
}

function waitUntilReady(
  child: ChildProcess,
  exit: Promise<void>,
  exited: () => Error | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the container did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const onMessage = (message: Reply) => {
      if (!message.ready) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
    void exit.then(() => {
      clearTimeout(timer);
      reject(exited());
    });
  });
}

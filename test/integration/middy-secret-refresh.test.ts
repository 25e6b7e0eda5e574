/**
 * The provider secret is fetched again in the background when it expires (`cacheExpiry` > 0), as
 * `@middy/secrets-manager`'s own refresh would. A failure there (secret deleted, access revoked,
 * network) must not be an `unhandledRejection`, which ends a Lambda container: it is caught and
 * logged (the error's name only), `peek()` keeps the last value, and the next invocation fetches
 * again and gets the error as a SecretError.
 *
 * The container test runs the real middleware in a child `node` process: Jest swaps the
 * process's `unhandledRejection` listeners for its own, and a test's `process` is a copy whose
 * listeners never fire, so only a process of its own shows what Lambda would see. The secret
 * comes from the local Secrets Manager over HTTP, as from AWS.
 *
 * The secret cache expiry is tuned down from the 300_000 ms default to SHORT_EXPIRY_MS to keep the
 * tests short. No duration is asserted: every wait polls for a condition, and its bound only
 * stops a broken run from hanging.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { MiddySecretSource } from '../../middleware/middy-secret-source.js';
import {
  CLIENT_SECRET,
  FAKE_CREDENTIALS,
  REGION,
  RecordingLogger,
  rejectionOf,
  SALT,
  secretJson,
  uniqueNames,
  useLocalWorld,
} from '../support/entry-points.js';

/** Tuned down from the 300_000 ms default: long enough for one invocation, short enough for a test. */
const SHORT_EXPIRY_MS = 1_000;
/** Only stops a broken run from hanging; nothing is measured against it. */
const WAIT_BOUND_MS = 20_000;
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The local Secrets Manager's message for a missing secret: no log line may carry it. */
const NOT_FOUND_MESSAGE = "Secrets Manager can't find the specified secret.";
/** The start of the warning a failed background refresh logs. */
const BACKGROUND_FAILURE = 'provider secret could not be refreshed in the background';

const world = useLocalWorld('middy-secret-refresh-access-tokens');

/** Polls `probe` until it gives a value (anything but undefined or false). */
async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>) {
  const deadline = Date.now() + WAIT_BOUND_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const getSecretValueCalls = (secretName: string): number =>
  world.secrets.stats().getSecretValueByName[secretName] ?? 0;

/** Waits for a GetSecretValue of `secretName` beyond the `callsBefore` the server had answered. */
function nextFetchArrived(secretName: string, callsBefore: number): Promise<number> {
  return waitFor(`a GetSecretValue of ${secretName}`, () => {
    const calls = getSecretValueCalls(secretName);
    return calls > callsBefore && calls;
  });
}

/** A macrotask later: a rejection reported at the end of the previous one has reached its listeners. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Middy background refresh of the provider secret (cacheExpiry > 0)', () => {
  describe('a Lambda container: a child process running the real middleware', () => {
    let scriptDir: string;
    let script: string;
    const containers: Container[] = [];

    beforeAll(async () => {
      scriptDir = mkdtempSync(join(tmpdir(), 'middy-secret-refresh-'));
      // The bundle keeps packages external; they resolve through this link to the checkout's.
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(scriptDir, 'node_modules'), 'dir');
      script = join(scriptDir, 'container.mjs');
      await build({
        stdin: {
          contents: CONTAINER_SOURCE,
          resolveDir: REPO_ROOT,
          sourcefile: 'container.mjs',
          loader: 'js',
        },
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'warning',
      });
    }, 60_000);

    afterEach(() => {
      for (const container of containers.splice(0)) container.child.kill();
    });

    afterAll(() => {
      if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
    });

    function startContainer(names: { tokenType: string; secretName: string }): Container {
      const config: ContainerConfig = {
        ...names,
        tokenUrl: world.provider.tokenUrl,
        secretCacheExpiry: SHORT_EXPIRY_MS,
      };
      const child = fork(script, [], {
        execArgv: [],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // What Lambda's runtime gives a function, pointed at the local stack.
        env: {
          PATH: process.env.PATH,
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: world.proxy.endpoint,
          DYNAMODB_TABLE_ACCESS_TOKENS: world.tableName,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          CONTAINER_CONFIG: JSON.stringify(config),
        },
      });
      const container: Container = { child, messages: [], output: [] };
      child.on('message', (message: ContainerMessage) => container.messages.push(message));
      child.stdout?.on('data', (chunk: Buffer) => container.output.push(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => container.output.push(chunk.toString()));
      containers.push(container);
      return container;
    }

    it('survives a failed background refresh with no unhandledRejection; the next invocation gets a SecretError, and works again once the secret is back', async () => {
      const { tokenType, secretName } = uniqueNames('container');
      world.secrets.putSecret(secretName, secretJson());
      const container = startContainer({ tokenType, secretName });
      await messageFrom(container, 'ready');
      expect(await invoke(container)).toEqual({ ok: true, version: 1 });

      world.secrets.deleteSecret(secretName);
      // No invocation runs from here until the assertions: only the refresh timer asks for the secret.
      await nextFetchArrived(secretName, getSecretValueCalls(secretName));
      await waitFor('the warning of the failed background refresh', () =>
        container.output.join('').includes(BACKGROUND_FAILURE),
      );
      // The warning is logged where the rejection is handled; a rejection left unhandled would be
      // reported before the container's next turn, and IPC keeps order: after this answer it is in.
      await ask(container, 'ping', 'pong');

      expect(unhandledRejections(container)).toEqual([]);
      expect(await invoke(container)).toEqual({
        ok: false,
        error: { name: 'SecretError', secretName, cause: 'ResourceNotFoundException' },
      });

      world.secrets.putSecret(secretName, secretJson());
      expect(await invoke(container)).toEqual({ ok: true, version: 1 });
      expect(unhandledRejections(container)).toEqual([]);
      const output = container.output.join('');
      for (const secret of [CLIENT_SECRET, SALT]) expect(output.includes(secret)).toBe(false);
    });
  });

  describe('MiddySecretSource', () => {
    function sourceFor(secretName: string, logger: RecordingLogger): MiddySecretSource {
      return new MiddySecretSource({
        secretName,
        cacheExpiry: SHORT_EXPIRY_MS,
        awsClientOptions: { endpoint: world.secrets.endpoint, region: REGION, credentials: FAKE_CREDENTIALS },
        disablePrefetch: false,
        logger,
      });
    }

    /** Waits out the next background fetch, which is to fail, until its warning is logged. */
    async function failedBackgroundRefresh(logger: RecordingLogger, secretName: string): Promise<void> {
      await nextFetchArrived(secretName, getSecretValueCalls(secretName));
      await waitFor('the warning of the failed background refresh', () =>
        logger.calls.some((call) => call.message.startsWith(BACKGROUND_FAILURE)),
      );
      await nextTurn();
    }

    const backgroundWarning = (secretName: string, error: string) => ({
      level: 'warn',
      message: expect.stringContaining('background'),
      attributes: [{ secretName, error }],
    });

    it('logs a failed background refresh as a warning naming the error, never its message, and peek() keeps the last value until the next load, which gets a SecretError', async () => {
      const { secretName } = uniqueNames('source-deleted');
      world.secrets.putSecret(secretName, secretJson());
      const logger = new RecordingLogger();
      const source = sourceFor(secretName, logger);
      const loaded = await source.loadInto({ internal: {} });

      world.secrets.deleteSecret(secretName);
      await failedBackgroundRefresh(logger, secretName);

      expect(logger.calls).toEqual([backgroundWarning(secretName, 'ResourceNotFoundException')]);
      expect(logger.text().includes(NOT_FOUND_MESSAGE)).toBe(false);
      expect(source.peek() === loaded).toBe(true);

      const error = await rejectionOf(source.loadInto({ internal: {} }));

      expect(error).toMatchObject({ name: 'SecretError', secretName });
      expect(error.cause).toMatchObject({ name: 'ResourceNotFoundException' });
      // An invocation fetched and failed: there is no last value to fall back on any more.
      expect(source.peek()).toBeUndefined();
      expect(logger.calls).toHaveLength(1);
    });

    it('after a transient failure (access denied once) the next load fetches the secret again and gets it', async () => {
      const { secretName } = uniqueNames('source-transient');
      world.secrets.putSecret(secretName, secretJson({ marker: 'first' }));
      const logger = new RecordingLogger();
      const source = sourceFor(secretName, logger);
      await source.loadInto({ internal: {} });
      const deniedMessage = 'User: arn:aws:sts::123456789012:assumed-role/fn is not authorized';
      world.secrets.failNext(1, { type: 'AccessDeniedException', message: deniedMessage });
      world.secrets.putSecret(secretName, secretJson({ marker: 'second' }));

      await failedBackgroundRefresh(logger, secretName);
      const calls = getSecretValueCalls(secretName);
      const loaded = (await source.loadInto({ internal: {} })) as { marker?: string };

      expect(logger.calls).toEqual([backgroundWarning(secretName, 'AccessDeniedException')]);
      expect(logger.text().includes(deniedMessage)).toBe(false);
      expect(loaded.marker).toBe('second');
      expect(getSecretValueCalls(secretName)).toBe(calls + 1);
    });

    it('keeps refreshing in the background after a successful refresh, as Middy does, and peek() gives the refreshed value', async () => {
      const { secretName } = uniqueNames('source-refreshing');
      world.secrets.putSecret(secretName, secretJson({ marker: 'first' }));
      const logger = new RecordingLogger();
      const source = sourceFor(secretName, logger);
      await source.loadInto({ internal: {} });
      const calls = getSecretValueCalls(secretName);
      world.secrets.putSecret(secretName, secretJson({ marker: 'second' }));

      await nextFetchArrived(secretName, calls + 1); // two background fetches, no load in between
      const marker = await waitFor('peek() to give the refreshed value', () => {
        const value = source.peek() as { marker?: string } | undefined;
        return value?.marker === 'second' && value.marker;
      });

      expect(marker).toBe('second');
      expect(logger.calls).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The container process and its messages.

interface ContainerConfig {
  tokenType: string;
  secretName: string;
  tokenUrl: string;
  secretCacheExpiry: number;
}

type ContainerMessage =
  | { type: 'ready' }
  | { type: 'unhandledRejection'; error: string }
  | { type: 'invoked'; ok: true; version: number }
  | { type: 'invoked'; ok: false; error: { name: string; secretName?: string; cause?: string } }
  | { type: 'pong' };

interface Container {
  child: ChildProcess;
  messages: ContainerMessage[];
  output: string[];
}

type MessageOf<T extends ContainerMessage['type']> = Extract<ContainerMessage, { type: T }>;

/** The container's first message of `type` from index `from` on; fails at once if it exited. */
function messageFrom<T extends ContainerMessage['type']>(
  container: Container,
  type: T,
  from = 0,
): Promise<MessageOf<T>> {
  return waitFor(`"${type}" from the container`, () => {
    const { exitCode, signalCode } = container.child;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(`the container exited (code ${exitCode}, signal ${signalCode})`);
    }
    return container.messages.slice(from).find((message): message is MessageOf<T> => message.type === type);
  });
}

/** Sends `{ type }` and resolves with the answer, a message of the type `answer`. */
function ask<T extends ContainerMessage['type']>(container: Container, type: string, answer: T) {
  const from = container.messages.length;
  container.child.send({ type });
  return messageFrom(container, answer, from);
}

async function invoke(container: Container) {
  const { type: _type, ...result } = await ask(container, 'invoke', 'invoked');
  return result;
}

const unhandledRejections = (container: Container) =>
  container.messages.filter((message) => message.type === 'unhandledRejection');

/**
 * The container: the real `withSharedToken` handler, its secret from `@middy/secrets-manager`
 * (AWS_ENDPOINT_URL_SECRETS_MANAGER), its store the table through AWS_ENDPOINT_URL_DYNAMODB.
 * Plain JavaScript bundled by esbuild: a child `node` has no TypeScript loader.
 */
const CONTAINER_SOURCE = `
import { oauth2ClientCredentials, withSharedToken } from './middleware/index.ts';

const send = (message) => process.send?.(message);
const nameOf = (value) => (value instanceof Error ? value.name : typeof value);

// Without a listener Node ends the process here, as Lambda's runtime ends the container: report
// it to the test instead (the error's name only).
process.on('unhandledRejection', (reason) => send({ type: 'unhandledRejection', error: nameOf(reason) }));

const config = JSON.parse(process.env.CONTAINER_CONFIG);
const handler = withSharedToken(async (_event, context) => context.sharedToken.version, {
  tokenType: config.tokenType,
  secretName: config.secretName,
  provider: oauth2ClientCredentials({ tokenUrl: config.tokenUrl }),
  secretCacheExpiry: config.secretCacheExpiry,
});

const lambdaContext = () => ({
  functionName: 'middy-secret-refresh',
  awsRequestId: String(Math.random()),
  getRemainingTimeInMillis: () => 10_000,
});

async function invoke() {
  try {
    return { type: 'invoked', ok: true, version: await handler({}, lambdaContext()) };
  } catch (error) {
    const { secretName, cause } = error ?? {};
    return { type: 'invoked', ok: false, error: { name: nameOf(error), secretName, cause: cause?.name } };
  }
}

process.on('message', async (message) => {
  if (message.type === 'invoke') send(await invoke());
  if (message.type === 'ping') send({ type: 'pong' });
});
send({ type: 'ready' });
`;

/**
 * The two entry points (middleware and core) over the same real servers on 127.0.0.1, so one parametrised
 * table (`describe.each(ENTRY_POINTS)`) runs every case through both:
 *
 * - `middleware`: `withSharedToken(handler, options)` invoked as Lambda would, `await
 *   handler(event, context)` with a fake Lambda context; the secret comes through
 *   `@middy/secrets-manager` (one cache per process, keyed by the secret's name).
 * - `core API`: `new SharedToken({ ...options, secrets: new SecretsManagerSource(...) }).run(call)`;
 *   every instance has its own secret cache.
 *
 * A "container" is one instance of either: its own memory cache, as a Lambda container has.
 * The servers (dynalite behind a counting proxy, the local Secrets Manager, the local OAuth
 * provider) are shared by every container of a file, like the AWS account they stand for.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import { clearCache } from '@middy/util';
import type { Context } from 'aws-lambda';
import type { MetricName, TokenLogger, TokenMetrics } from 'lambda-shared-token';
import { AccessToken, SalesforceApiError, SharedToken, type SharedTokenOptions } from 'lambda-shared-token';
import type { LogAttributes, ProviderFactory } from 'lambda-shared-token/advanced';
import { SecretsManagerSource, TokenStore } from 'lambda-shared-token/advanced';
import { withSharedToken } from '../../middleware/with-shared-token.js';
import {
  type DynamoProxy,
  type LocalOAuthProvider,
  type LocalSecretsManager,
  type LocalStack,
  startLocalStack,
} from '../../scripts/local-stack/index.js';
import { listenOnLoopback } from '../../scripts/local-stack/loopback-server.js';
import { scanText } from './secret-scan.js';
import { testSecret } from './test-secrets.js';

export { rejectionOf } from './rejection-of.js';

export const REGION = 'us-east-1';
export const FAKE_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const CLIENT_ID = 'entry-points-client';
/** Secret values are random and registered, so a test can prove none of them reached any output. */
export const CLIENT_SECRET = testSecret('entry-points:clientSecret', 'client-secret-');
export const ROTATED_CLIENT_SECRET = testSecret('entry-points:rotatedClientSecret', 'client-secret-rotated-');
export const SALT = testSecret('entry-points:salt', 'salt-value-old-');
export const NEW_SALT = testSecret('entry-points:newSalt', 'salt-value-new-');

/** Everything outside the process under test, started once per test file. */
export interface LocalWorld {
  dynamo: LocalStack['dynamo'];
  /** Counts every DynamoDB call the containers make. */
  proxy: DynamoProxy;
  /** Through the proxy. */
  dynamoClient: DynamoDBClient;
  tableName: string;
  secrets: LocalSecretsManager;
  /** Accepts CLIENT_ID / CLIENT_SECRET. */
  provider: LocalOAuthProvider;
}

/** Every container built since the last test ended. */
const built: Container[] = [];

/**
 * Starts the world before the enclosing block's tests, stops it after them. After every test:
 * checks that no container logged a secret or a token the provider issued (I4), and clears
 * Middy's secret cache (its timer would keep Jest alive, and names are per test anyway).
 */
/** Sets the world's call counts to zero, for a test that counts only the calls it caused. */
export function resetCounts(world: LocalWorld): void {
  world.provider.resetStats();
  world.proxy.reset();
  world.secrets.resetStats();
}

export function useLocalWorld(tableName = 'entry-points-access-tokens'): LocalWorld {
  const world = { tableName } as LocalWorld;
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    const started = await startLocalStack({
      engine: 'dynalite',
      tableName,
      provider: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      secretsManager: { region: REGION },
    });
    stack = started;
    Object.assign(world, {
      dynamo: started.dynamo,
      proxy: started.proxy,
      dynamoClient: started.client,
      secrets: started.secretsManager,
      provider: started.provider,
    });
  }, 60_000);
  afterEach(() => {
    clearCache();
    const secrets = [CLIENT_SECRET, ROTATED_CLIENT_SECRET, SALT, NEW_SALT, ...world.provider.issuedTokens()];
    for (const container of built.splice(0)) {
      const logged = container.logger?.text() ?? '';
      for (const secret of secrets) expect(logged.includes(secret)).toBe(false);
    }
  });
  afterAll(async () => {
    clearCache();
    await stack?.stop();
  });
  return world;
}

/** The provider secret as its JSON text: client credentials and a key, plus anything in `fields`. */
export function secretJson(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, key: SALT, ...fields });
}

let sequence = 0;
/** A tokenType and a secret name nobody else in the process uses (Middy's cache is per name). */
export function uniqueNames(label: string): { tokenType: string; secretName: string } {
  const id = `${label.replace(/[^A-Za-z0-9]+/g, '-')}-${++sequence}`;
  return { tokenType: `entry-${id}`, secretName: `/test/entry-points/oauth/${id}` };
}

/** A fake Lambda context: `remainingMs` left (10 s by default), as a function with that budget would see it. */
export function lambdaContext(functionName = 'entry-points-test', remainingMs = 10_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What the handler does with the token it was given: the API call of the function. */
export type ApiCall<T> = (token: AccessToken) => Promise<T> | T;

/** One Lambda container of either entry point. */
export interface InvokeOptions {
  /**
   * Time the invocation has left: the middleware reads it from the Lambda context, the core API
   * gets it as `deadline`. @default the middleware: 10 s; the core API: no deadline (its maxWaitMs)
   */
  remainingMs?: number;
}

export interface Container {
  /** One invocation: `call` gets the token the entry point hands a handler. */
  invoke<T>(call: ApiCall<T>, options?: InvokeOptions): Promise<T>;
  /** The core under the entry point. */
  readonly sharedToken: SharedToken;
  /** Present unless the container was built with the Powertools defaults. */
  readonly logger: RecordingLogger | undefined;
  readonly metrics: RecordingMetrics | undefined;
}

export interface ContainerSpec {
  tokenType: string;
  secretName: string;
  provider: ProviderFactory;
  /** 'powertools': no logger/metrics injected, the library's defaults print. @default 'recording' */
  telemetry?: 'recording' | 'powertools';
  /** More core options (timings...). */
  options?: Partial<Omit<SharedTokenOptions, 'secrets' | 'store'>>;
}

export interface EntryPoint {
  container(world: LocalWorld, spec: ContainerSpec): Container;
}

function commonOptions(world: LocalWorld, spec: ContainerSpec) {
  const recording = (spec.telemetry ?? 'recording') === 'recording';
  const logger = recording ? new RecordingLogger() : undefined;
  const metrics = recording ? new RecordingMetrics() : undefined;
  const options = {
    tokenType: spec.tokenType,
    secretName: spec.secretName,
    provider: spec.provider,
    store: new TokenStore({ client: world.dynamoClient, tableName: world.tableName }),
    ...(logger && { logger }),
    ...(metrics && { metrics }),
    ...spec.options,
  };
  return { options, logger, metrics };
}

function remember(container: Container): Container {
  built.push(container);
  return container;
}

interface MiddlewareEvent {
  call: ApiCall<unknown>;
}

export const middlewareEntry: EntryPoint = {
  container(world, spec) {
    const { options, logger, metrics } = commonOptions(world, spec);
    const handler = withSharedToken<MiddlewareEvent, unknown>(
      async (event, context) => {
        const token = (context as Context & { sharedToken?: unknown }).sharedToken;
        if (!(token instanceof AccessToken)) throw new Error('no AccessToken on context.sharedToken');
        return event.call(token);
      },
      {
        ...options,
        awsClientOptions: { endpoint: world.secrets.endpoint, region: REGION, credentials: FAKE_CREDENTIALS },
      },
    );
    return remember({
      invoke: async <T>(call: ApiCall<T>, { remainingMs }: InvokeOptions = {}) =>
        (await handler({ call }, lambdaContext(spec.tokenType, remainingMs))) as T,
      sharedToken: handler.sharedToken,
      logger,
      metrics,
    });
  },
};

export const coreEntry: EntryPoint = {
  container(world, spec) {
    const { options, logger, metrics } = commonOptions(world, spec);
    const sharedToken = new SharedToken({
      ...options,
      secrets: new SecretsManagerSource({
        secretName: spec.secretName,
        clientConfig: { endpoint: world.secrets.endpoint, region: REGION, credentials: FAKE_CREDENTIALS },
      }),
    });
    return remember({
      invoke: (call, { remainingMs } = {}) =>
        sharedToken.run(call, remainingMs === undefined ? {} : { deadline: Date.now() + remainingMs }),
      sharedToken,
      logger,
      metrics,
    });
  },
};

/** The table of `describe.each`. */
export const ENTRY_POINTS: Array<[string, EntryPoint]> = [
  ['middleware', middlewareEntry],
  ['core API', coreEntry],
];

/** An HTTP error as a fetch wrapper would throw it: the status on `statusCode`, the parsed body on `body`. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
  ) {
    super(`API answered HTTP ${statusCode}`);
  }
}

/** GET `url` with the token as a bearer; the JSON answer, or an HttpError. */
export async function callApi(url: string, token: AccessToken): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token.value}` } });
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) throw new HttpError(response.status, body);
  return body;
}

/** The Salesforce query route of the org at `instanceUrl`, the way examples/salesforce-query calls it. */
export async function querySalesforce(instanceUrl: string, token: AccessToken): Promise<unknown> {
  const url = `${instanceUrl}/services/data/v60.0/query?q=${encodeURIComponent('SELECT Name FROM Account')}`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${token.value}` } });
  if (!response.ok) throw await SalesforceApiError.from(response);
  return response.json();
}

export interface LogCall {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: LogAttributes[];
}

export class RecordingLogger implements TokenLogger {
  readonly calls: LogCall[] = [];
  debug(message: string, ...attributes: LogAttributes[]): void {
    this.calls.push({ level: 'debug', message, attributes });
  }
  info(message: string, ...attributes: LogAttributes[]): void {
    this.calls.push({ level: 'info', message, attributes });
  }
  warn(message: string, ...attributes: LogAttributes[]): void {
    this.calls.push({ level: 'warn', message, attributes });
  }
  error(message: string, ...attributes: LogAttributes[]): void {
    this.calls.push({ level: 'error', message, attributes });
  }
  text(): string {
    return JSON.stringify(this.calls);
  }
}

export class RecordingMetrics implements TokenMetrics {
  readonly points: Array<{ name: MetricName; value: number; tokenType: string }> = [];
  record(name: MetricName, value: number, tokenType: string): void {
    this.points.push({ name, value, tokenType });
  }
  count(name: MetricName): number {
    return this.points.filter((point) => point.name === name).length;
  }
}

/** Everything written to stdout and stderr while `body` runs; nothing reaches the terminal. */
export async function captureOutput<T>(
  body: () => Promise<T>,
): Promise<{ result: T; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture =
    (into: string[]) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  process.stdout.write = capture(out) as typeof process.stdout.write;
  process.stderr.write = capture(err) as typeof process.stderr.write;
  try {
    const result = await body();
    return { result, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    // The capture stood in front of the secret scan's wrappers: scan what it kept from them.
    scanText(out.join(''), 'captured stdout');
    scanText(err.join(''), 'captured stderr');
  }
}

/** An HTTP front door on 127.0.0.1 that forwards everything to one server, switchable at run time. */
export interface Forwarder {
  /** http://127.0.0.1:PORT */
  origin: string;
  switchTo(origin: string): void;
  stop(): Promise<void>;
}

/**
 * Stands for a provider's fixed URL while the server behind it changes: the local provider cannot
 * change its credentials, so a rotation of the client secret is a second provider behind the
 * same URL.
 */
export async function startForwarder(initialOrigin: string): Promise<Forwarder> {
  let target = new URL(initialOrigin);
  const agent = new Agent({ keepAlive: false });
  const server = createServer((req, res) => {
    const { connection: _connection, ...headers } = req.headers;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const listener = await listenOnLoopback(server);
  return {
    origin: listener.origin,
    switchTo: (origin) => {
      target = new URL(origin);
    },
    stop: async () => {
      await listener.close();
      agent.destroy();
    },
  };
}

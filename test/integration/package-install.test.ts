/**
 * The npm package as a user gets it: `npm pack` of this checkout (its `prepack` builds dist/,
 * scripts/package/build-dist.mjs), the tarball installed into a fresh project outside the
 * checkout with `npm install <tarball>` (peers too: npm installs them), then, in child processes
 * whose only node_modules is that project's: the four entry points imported by name, a handler
 * attached with `withSharedToken` run against dynalite, the local Secrets Manager and the local
 * Salesforce (127.0.0.1), and tsc compiling a typed handler with `skipLibCheck: false`.
 *
 * npm runs with `--prefer-offline`: the checkout's own install filled npm's cache with every
 * package the tarball needs, so this is close to offline; no time is asserted (a busy 2-core CI).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findProjectRoot } from '../../scripts/layer/project-root.js';
import { runNodeCollected } from '../../scripts/simulator/collected-process.js';
import { CLIENT_SECRET, SALT, secretJson, useLocalWorld } from '../support/entry-points.js';
import { scanText } from '../support/secret-scan.js';
import { strictUserTsconfig } from '../support/typescript-user.js';

const world = useLocalWorld('package-install-access-tokens');
const projectRoot = findProjectRoot();
const SECRET_NAME = '/test/package-install/oauth/salesforce';
/** npm, tsc and a cold child process on a busy 2-core machine: generous, never asserted. */
const STEP_TIMEOUT_MS = 240_000;
/**
 * What every TypeScript Lambda project has, at the checkout's versions (in npm's cache): the
 * compiler and the types of aws-lambda and Node. The SDK clients the declarations name come with
 * the package as its peers; `@aws-sdk/client-kms`, an optional peer, is left out on purpose: the
 * declarations must compile without it.
 */
const DEV_PACKAGES = ['typescript', '@types/aws-lambda', '@types/node'];

let work: string;
let app: string;
let packed: { files: string[]; size: number };

/** Runs `command` and fails with its output when it exits non-zero; the output otherwise. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `npm` quiet: no audit, no funding notice, the cache first. */
const npm = (args: string[], cwd: string): string =>
  run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], cwd);

const installedVersion = (name: string): string =>
  JSON.parse(readFileSync(join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')).version;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'package-install-'));
  // --pack-destination: the tarball never lands in the checkout (dist/, which prepack writes, is ignored).
  const [result] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], projectRoot)) as Array<{
    filename: string;
    size: number;
    files: Array<{ path: string }>;
  }>;
  packed = { files: result!.files.map((file) => file.path).sort(), size: result!.size };

  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'package-install-app', version: '1.0.0', private: true, type: 'module' }),
  );
  const devPackages = DEV_PACKAGES.map((name) => `${name}@${installedVersion(name)}`);
  npm(['install', join(work, result!.filename)], app);
  npm(['install', '--save-dev', ...devPackages], app);
}, 2 * STEP_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every file under `dir`, relative, `/`-separated. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => path.split(sep).join('/'));
}

/** What the tarball must hold: per source file of layer/, middleware/, testing/, cli/, its .js and .d.ts. */
function expectedFiles(): string[] {
  const compiled = ['layer', 'middleware', 'testing', 'cli'].flatMap((dir) =>
    filesUnder(join(projectRoot, dir))
      .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
      .flatMap((path) => {
        const base = `dist/${dir}/${path.slice(0, -'.ts'.length)}`;
        return [`${base}.js`, `${base}.d.ts`];
      }),
  );
  return ['LICENSE', 'README.md', 'package.json', ...compiled].sort();
}

/**
 * A child `node` in the user's project: its node_modules only, the function's environment only.
 * Asynchronous: the local servers it calls run in this process, so this process must not block.
 */
async function nodeInApp(args: string[], environment: Record<string, string> = {}): Promise<string> {
  const { exitCode, signal, stdout, stderr } = await runNodeCollected(args, {
    cwd: app,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...environment,
    },
    // A process the library kept alive never exits: it fails here, naming what it printed.
    timeoutMs: STEP_TIMEOUT_MS,
  });
  if (exitCode !== 0) {
    throw new Error(`node ${args.join(' ')} failed (${signal ?? `exit ${exitCode}`}):\n${stdout}\n${stderr}`);
  }
  return stdout;
}

describe('npm pack', () => {
  it('ships dist/ (JavaScript and declarations of every source file), README.md, LICENSE and package.json, nothing else', () => {
    expect(packed.files).toEqual(expectedFiles());
    for (const path of packed.files) expect(path).not.toMatch(/^(test|scripts|examples|\.ci|node_modules)\//);
    expect(packed.size).toBeGreaterThan(0);
  });

  it('leaves the checkout as it was: no tarball in it', () => {
    expect(readdirSync(projectRoot).filter((name) => name.endsWith('.tgz'))).toEqual([]);
  });
});

describe('the installed package', () => {
  it('installs the SDK clients it names as peers (not the optional KMS one), Middy and Powertools as its dependencies', () => {
    const installed = (name: string): boolean => {
      try {
        return statSync(join(app, 'node_modules', name, 'package.json')).isFile();
      } catch {
        return false;
      }
    };
    for (const name of [
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-secrets-manager',
      '@aws-sdk/util-dynamodb',
      '@middy/core',
      '@middy/secrets-manager',
      '@middy/util',
      '@aws-lambda-powertools/logger',
      '@aws-lambda-powertools/metrics',
    ]) {
      expect([name, installed(name)]).toEqual([name, true]);
    }
    // An optional peer: absent, so the typed handler below compiles without its declarations.
    expect(installed('@aws-sdk/client-kms')).toBe(false);
  });

  it('imports the four entry points by name in plain Node', async () => {
    const script = `
      const names = {};
      for (const entry of ['lambda-shared-token', 'lambda-shared-token/middleware',
        'lambda-shared-token/advanced', 'lambda-shared-token/testing']) {
        names[entry] = Object.keys(await import(entry)).sort();
      }
      console.log(JSON.stringify(names));`;

    const names = JSON.parse(await nodeInApp(['--input-type=module', '-e', script]));

    expect(names['lambda-shared-token']).toEqual(expect.arrayContaining(['SharedToken', 'salesforce']));
    expect(names['lambda-shared-token/middleware']).toEqual(
      expect.arrayContaining(['withSharedToken', 'sharedToken', 'SharedToken']),
    );
    expect(names['lambda-shared-token/advanced']).toEqual(
      expect.arrayContaining(['TokenStore', 'TokenManager']),
    );
    expect(names['lambda-shared-token/testing']).toEqual(
      expect.arrayContaining(['clearSharedTokenCaches', 'inMemorySharedTokenOptions']),
    );
  });

  it('runs a handler attached with withSharedToken against the local stack, and exits once the caches are cleared', async () => {
    world.secrets.putSecret(SECRET_NAME, secretJson());
    writeFileSync(join(app, 'handler.mjs'), USER_HANDLER);
    writeFileSync(join(app, 'invoke.mjs'), INVOKE);

    const stdout = await nodeInApp(['invoke.mjs'], {
      DYNAMODB_TABLE_ACCESS_TOKENS: world.tableName,
      SALESFORCE_SECRET_NAME: SECRET_NAME,
      SALESFORCE_INSTANCE_URL: world.provider.instanceUrl,
      AWS_ENDPOINT_URL_DYNAMODB: world.proxy.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    scanText(stdout, 'installed package stdout');
    const answers = stdout
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{"answer"'))
      .map((line) => JSON.parse(line).answer);

    expect(answers).toEqual([
      expect.objectContaining({ totalSize: 1 }),
      expect.objectContaining({ totalSize: 1 }),
    ]);
    // The second invocation was served from the container's memory: one token for both.
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 1, apiOk: 2 });
    for (const secret of [CLIENT_SECRET, SALT, ...world.provider.issuedTokens()]) {
      expect(stdout.includes(secret)).toBe(false);
    }
  });

  it("installs the lambda-shared-token command: its help runs through npm's bin link, status reads the table", async () => {
    const bin = join(app, 'node_modules', '.bin', 'lambda-shared-token');

    const help = run(bin, ['--help'], app, { PATH: process.env.PATH ?? '' });
    const status = await nodeInApp([bin, 'status', '--json'], {
      DYNAMODB_TABLE_ACCESS_TOKENS: world.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: world.proxy.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    scanText(status, 'installed command stdout');

    expect(help).toContain('Usage: lambda-shared-token <command> [options]');
    // The handler above committed one token; status names it and its key, never the ciphertext.
    expect(JSON.parse(status)).toEqual([
      expect.objectContaining({
        tokenType: 'salesforce',
        version: 1,
        key: expect.objectContaining({ cipher: 'salt' }),
      }),
    ]);
  });

  it('types a handler with skipLibCheck false, strict and NodeNext', () => {
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'src', 'typed-handler.ts'), TYPED_HANDLER);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TYPED_HANDLER_CONFIG));

    const tsc = spawnSync(
      process.execPath,
      [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
      {
        cwd: app,
        encoding: 'utf8',
        timeout: STEP_TIMEOUT_MS,
      },
    );

    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

/** A function as a user writes it against the installed package (the Salesforce example, plain ESM). */
const USER_HANDLER = `
import { SalesforceApiError, salesforce } from 'lambda-shared-token';
import { withSharedToken } from 'lambda-shared-token/middleware';

const instanceUrl = process.env.SALESFORCE_INSTANCE_URL;

async function queryAccounts(event, context) {
  const url = instanceUrl + '/services/data/v60.0/query?q=' + encodeURIComponent('SELECT Name FROM Account');
  const response = await fetch(url, { headers: { authorization: 'Bearer ' + context.sharedToken.value } });
  if (!response.ok) throw await SalesforceApiError.from(response);
  return response.json();
}

export const handler = withSharedToken(queryAccounts, {
  tokenType: 'salesforce',
  secretName: process.env.SALESFORCE_SECRET_NAME,
  provider: salesforce({ instanceUrl }),
});
`;

/**
 * Two invocations as Lambda would make them, then what a user's test does after its cases:
 * clear the caches, after which nothing of the library keeps the process alive (no process.exit).
 */
const INVOKE = `
import { clearSharedTokenCaches } from 'lambda-shared-token/testing';
import { handler } from './handler.mjs';

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'package-install',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:package-install',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/package-install',
  logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30000,
};
for (let i = 0; i < 2; i++) console.log(JSON.stringify({ answer: await handler({}, context) }));
clearSharedTokenCaches(handler);
`;

const TYPED_HANDLER = `
import { type AccessToken, salesforce } from 'lambda-shared-token';
import { type SharedTokenContext, type SharedTokenMiddlewareOptions, withSharedToken } from 'lambda-shared-token/middleware';
import { TokenStore } from 'lambda-shared-token/advanced';
import { clearSharedTokenCaches } from 'lambda-shared-token/testing';

interface QueryEvent { soql: string }

const options: SharedTokenMiddlewareOptions = {
  tokenType: 'salesforce',
  secretName: '/prod/orders/oauth/salesforce',
  provider: salesforce(),
};

export const handler = withSharedToken(async (event: QueryEvent, context: SharedTokenContext) => {
  const token: AccessToken = context.sharedToken;
  return { soql: event.soql, length: token.value.length, functionName: context.functionName };
}, options);

export const clear = (): void => clearSharedTokenCaches(handler);
export const storeClass: typeof TokenStore = TokenStore;

// Each line below compiles only because it is an error: a declaration that did not resolve would
// be \`any\`, the line would compile, and tsc would report the unused directive.
// @ts-expect-error withSharedToken returns Middy's handler, not a number
export const notANumber: number = handler;
// @ts-expect-error .use() is Middy's, typed
export const useIsTyped: number = handler.use;
// @ts-expect-error tokenType is a string
export const wrong: SharedTokenMiddlewareOptions = { ...options, tokenType: 42 };
`;

const TYPED_HANDLER_CONFIG = strictUserTsconfig();

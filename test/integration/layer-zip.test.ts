/**
 * The layer zip as `make layer` builds it, unpacked into a directory shaped like /opt, and a
 * handler that imports `lambda-shared-token` and `lambda-shared-token/middleware` by package name
 * (and a probe that imports `lambda-shared-token/advanced`), run in a child process set up as a Lambda
 * container is (scripts/layer/lambda-sandbox.ts): NODE_PATH as the runtime's bootstrap sets it,
 * ES module imports searching it as Lambda's Node.js runtime does, the SDK from a stand-in for
 * /var/runtime/node_modules, and nothing of this checkout's node_modules within reach. Against
 * dynalite, the local Secrets Manager and the local Salesforce, all on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  buildLayer,
  LAYER_SIZE_BUDGET_BYTES,
  type LayerZip,
  PACKAGE_DIR,
} from '../../scripts/layer/build-layer.js';
import {
  createLambdaSandbox,
  type LambdaContainer,
  type LambdaSandbox,
  sandboxFile,
  startLambdaContainer,
} from '../../scripts/layer/lambda-sandbox.js';
import { linkPackages, packageClosure } from '../../scripts/layer/package-closure.js';
import { findProjectRoot } from '../../scripts/layer/project-root.js';
import { readZip, type ZipEntry } from '../../scripts/layer/zip.js';
import { CLIENT_SECRET, SALT, secretJson, useLocalWorld } from '../support/entry-points.js';
import { scanText } from '../support/secret-scan.js';
import { strictUserTsconfig } from '../support/typescript-user.js';

const world = useLocalWorld('layer-zip-access-tokens');
/** The package's entry points, as its package.json `exports` names them. */
const SUBPATHS = ['.', './middleware', './advanced', './testing'];
/** Middy's declarations, which types/middleware imports: the only nested package, types only. */
const TYPE_ONLY_FILES = ['node_modules/@middy/core/index.d.ts', 'node_modules/@middy/core/package.json'];
const SECRET_NAME = '/test/layer/oauth/salesforce';

let layer: LayerZip;
let entries: ZipEntry[];
let sandbox: LambdaSandbox;
let container: LambdaContainer;

beforeAll(async () => {
  layer = await buildLayer({ outFile: null });
  entries = readZip(layer.bytes);
  sandbox = createLambdaSandbox({ layerZip: layer.bytes, runtimePackages: layer.externalPackages });
  sandbox.addTaskFile(sandboxFile('salesforce-handler.mjs'), 'index.mjs');
  world.secrets.putSecret(SECRET_NAME, secretJson());
  container = await startLambdaContainer(sandbox, {
    environment: {
      DYNAMODB_TABLE_ACCESS_TOKENS: world.tableName,
      SALESFORCE_SECRET_NAME: SECRET_NAME,
      SALESFORCE_INSTANCE_URL: world.provider.instanceUrl,
      AWS_ENDPOINT_URL_DYNAMODB: world.proxy.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
}, 120_000);

afterAll(async () => {
  await container?.stop();
  sandbox?.remove();
});

const optPackageUrl = (): string =>
  pathToFileURL(join(sandbox.optDir, 'nodejs', 'node_modules', 'lambda-shared-token')).href;

describe('the layer zip', () => {
  it('holds nodejs/node_modules/lambda-shared-token and nothing else: no @aws-sdk, no source map, no test code', () => {
    const files = entries.filter((entry) => !entry.isDirectory).map((entry) => entry.path);

    expect(files.length).toBeGreaterThan(0);
    for (const path of files) {
      expect(path.startsWith(`${PACKAGE_DIR}/`)).toBe(true);
      const inPackage = path.slice(PACKAGE_DIR.length + 1);
      if (inPackage.startsWith('node_modules/')) {
        // Declarations only: everything but the SDK is bundled into dist/.
        expect(TYPE_ONLY_FILES).toContain(inPackage);
        continue;
      }
      // Inside the package: no tests, no sources, no source maps.
      expect(`/${inPackage}`).not.toMatch(/@aws-sdk|\.map$|\/(test|scripts|examples)\/|\.test\./);
      expect(path.endsWith('.ts') && !path.endsWith('.d.ts')).toBe(false);
    }
    const javascript = entries.filter((entry) => entry.path.endsWith('.js'));
    expect(javascript.length).toBeGreaterThan(0);
    for (const entry of javascript)
      expect(Buffer.from(entry.data).toString('utf8')).not.toContain('sourceMappingURL');
  });

  it(`stays under ${LAYER_SIZE_BUDGET_BYTES / 1024} KB`, () => {
    expect(layer.bytes.length).toBeLessThan(LAYER_SIZE_BUDGET_BYTES);
  });

  it('declares the four entry points with types and import conditions, and ships every file they name', () => {
    const manifestEntry = entries.find((entry) => entry.path === `${PACKAGE_DIR}/package.json`);
    const manifest = JSON.parse(Buffer.from(manifestEntry!.data).toString('utf8'));
    const paths = new Set(entries.map((entry) => entry.path));

    expect(manifest).toMatchObject({ name: 'lambda-shared-token', type: 'module' });
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(SUBPATHS));
    for (const subpath of SUBPATHS) {
      const conditions = manifest.exports[subpath];
      expect(Object.keys(conditions)).toEqual(['types', 'import']);
      for (const file of Object.values(conditions) as string[]) {
        expect(paths.has(`${PACKAGE_DIR}/${file.replace(/^\.\//, '')}`)).toBe(true);
      }
    }
    expect(manifest.dependencies).toBeUndefined();
  });

  it('leaves only the SDK to the runtime, and keeps Middy out of what the core and advanced entry points load', () => {
    expect(layer.externalPackages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager']),
    );
    for (const name of layer.externalPackages) expect(name).toMatch(/^@aws-sdk\//);
    expect(layer.packagesByEntry.middleware).toEqual(
      expect.arrayContaining(['@middy/core', 'lambda-shared-token']),
    );
    expect(layer.packagesByEntry.index).toContain('lambda-shared-token');
    expect(layer.packagesByEntry.index.filter((name) => name.startsWith('@middy/'))).toEqual([]);
    expect(layer.packagesByEntry.advanced).toContain('lambda-shared-token');
    expect(layer.packagesByEntry.advanced.filter((name) => name.startsWith('@middy/'))).toEqual([]);
  });

  it('is the same bytes when built again from the same sources', async () => {
    const again = await buildLayer({ outFile: null });

    expect(Buffer.compare(Buffer.from(again.bytes), Buffer.from(layer.bytes))).toBe(0);
  });
});

describe('module resolution in the container, as Lambda does it', () => {
  it('finds the four entry points in /opt/nodejs/node_modules and the SDK in the runtime', async () => {
    const core = await container.resolve('lambda-shared-token');
    const middleware = await container.resolve('lambda-shared-token/middleware');
    const advanced = await container.resolve('lambda-shared-token/advanced');
    const testing = await container.resolve('lambda-shared-token/testing');
    const sdk = await container.resolve('@aws-sdk/client-dynamodb');

    expect(core).toEqual({ url: `${optPackageUrl()}/dist/index.js` });
    expect(middleware).toEqual({ url: `${optPackageUrl()}/dist/middleware.js` });
    expect(advanced).toEqual({ url: `${optPackageUrl()}/dist/advanced.js` });
    expect(testing).toEqual({ url: `${optPackageUrl()}/dist/testing.js` });
    expect(sdk).toEqual({
      url: expect.stringMatching(
        new RegExp(
          `^${pathToFileURL(join(sandbox.runtimeDir, 'node_modules', '@aws-sdk', 'client-dynamodb')).href}/`,
        ),
      ),
    });
  });

  it('cannot resolve @middy/core or any package of the repository: the layer runs from the zip alone', async () => {
    for (const specifier of ['@middy/core', '@aws-lambda-powertools/logger', 'esbuild', 'jest']) {
      expect(await container.resolve(specifier)).toEqual({
        error: expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }),
      });
    }
  });

  it('gives one copy of the core to both entry points: the same classes from either import', async () => {
    const names = ['SalesforceApiError', 'SharedToken', 'AccessToken', 'TokenRefreshError'];

    expect(
      await container.sameExports(['lambda-shared-token', 'lambda-shared-token/middleware'], names),
    ).toEqual(Object.fromEntries(names.map((name) => [name, true])));
  });

  it('imports the building blocks from lambda-shared-token/advanced, and none of them from the root', async () => {
    const names = ['TokenManager', 'TokenStore', 'SaltCipher', 'KmsCipher', 'parseProviderSecret'];

    const advanced = await container.exportTypes('lambda-shared-token/advanced');
    const root = await container.exportTypes('lambda-shared-token');

    expect(advanced).toMatchObject(Object.fromEntries(names.map((name) => [name, 'function'])));
    expect(advanced.MIN_SALT_LENGTH).toBe('number');
    for (const name of names) expect(root[name]).toBeUndefined();
  });

  it('cannot import the layer in plain Node, whose ES module resolver ignores NODE_PATH', async () => {
    const plain = await startLambdaContainer(sandbox, { esmNodePath: false, environment: {} });
    try {
      expect(await plain.resolve('lambda-shared-token')).toEqual({
        error: expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }),
      });
      const invocation = await plain.invoke({});
      expect(invocation).toMatchObject({ ok: false, error: { code: 'ERR_MODULE_NOT_FOUND' } });
    } finally {
      await plain.stop();
    }
  });
});

describe('the Salesforce handler on the layer, end to end', () => {
  beforeEach(() => {
    world.provider.resetStats();
  });

  it('gets a token once, serves the next invocation warm, and after a revocation refreshes once and retries', async () => {
    const first = await container.invoke({});
    expect(first).toEqual({ ok: true, value: expect.objectContaining({ totalSize: 1 }) });
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 1, apiOk: 1, apiRejected: 0 });

    const warm = await container.invoke({ soql: 'SELECT Id FROM Account' });
    expect(warm).toEqual(first);
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 1, apiOk: 2 });

    world.provider.revokeAll();
    const afterRevocation = await container.invoke({});
    expect(afterRevocation).toEqual(first);
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 2, apiRejected: 1, apiOk: 3 });
    expect(world.secrets.stats().getSecretValueByName[SECRET_NAME]).toBe(1);
  });

  it('surfaces REQUEST_LIMIT_EXCEEDED as the SalesforceApiError it is, without a refresh', async () => {
    world.provider.failApiNext(1, {
      status: 403,
      body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }],
    });

    const invocation = await container.invoke({});

    expect(invocation).toMatchObject({
      ok: false,
      error: { errorType: 'SalesforceApiError', statusCode: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    });
    expect(world.provider.stats()).toMatchObject({ tokenCalls: 0, apiCalls: 1 });
  });

  it('keeps only ciphertext in the table and no secret in anything the container printed', async () => {
    const { Items = [] } = await world.dynamoClient.send(new ScanCommand({ TableName: world.tableName }));
    const { stdout, stderr } = container.output();
    scanText(stdout, 'layer container stdout');
    scanText(stderr, 'layer container stderr');
    const issued = world.provider.issuedTokens();

    expect(Items.map((item) => item.tokenType?.S)).toEqual(['salesforce']);
    expect(issued.length).toBeGreaterThan(0);
    const stored = JSON.stringify(Items);
    // The revocation of the first test made the Powertools logger warn: there is output to search.
    expect(stderr + stdout).toContain('salesforce');
    for (const secret of [CLIENT_SECRET, SALT, ...issued]) {
      expect(stored.includes(secret)).toBe(false);
      expect((stdout + stderr).includes(secret)).toBe(false);
    }
  });
});

describe('the declarations', () => {
  it('import no package but the SDK, aws-lambda, node: builtins and the Middy declarations the layer ships', () => {
    expect(layer.unresolvedTypeImports).toEqual([]);
  });

  it('type a TypeScript function that imports the three entry points, checked with skipLibCheck false', () => {
    const projectRoot = findProjectRoot();
    const app = join(sandbox.root, 'typescript-user');
    // As `npm install` would put the package, beside what every TypeScript Lambda project has:
    // the types of aws-lambda and Node, and the runtime's SDK (installed for its types). No Middy,
    // no Powertools: the layer's declarations must resolve without them.
    cpSync(
      join(sandbox.optDir, 'nodejs', 'node_modules', 'lambda-shared-token'),
      join(app, 'node_modules', 'lambda-shared-token'),
      { recursive: true },
    );
    const typePackages = ['@types/aws-lambda', '@types/node', ...layer.externalPackages];
    linkPackages(projectRoot, packageClosure(projectRoot, typePackages), join(app, 'node_modules'));
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'handler.ts'), TYPESCRIPT_USER);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TYPESCRIPT_USER_CONFIG));

    const tsc = spawnSync(
      process.execPath,
      [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
      { encoding: 'utf8' },
    );

    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

const TYPESCRIPT_USER = `
import { type AccessToken, SalesforceApiError, salesforce } from 'lambda-shared-token';
import { type SharedTokenMiddlewareOptions, withSharedToken } from 'lambda-shared-token/middleware';
import { MIN_SALT_LENGTH, SaltCipher, type TokenRecord } from 'lambda-shared-token/advanced';

const options: SharedTokenMiddlewareOptions = {
  tokenType: 'salesforce',
  secretName: '/prod/orders/oauth/salesforce',
  provider: salesforce({ instanceUrl: 'https://example.my.salesforce.com' }),
};

export const handler = withSharedToken(async (event: { soql?: string }, context) => {
  const token = (context as typeof context & { sharedToken: AccessToken }).sharedToken;
  if (event.soql === '') throw new SalesforceApiError(400, 'MALFORMED_QUERY');
  // @ts-expect-error context is aws-lambda's Context, whose functionName is a string
  const functionName: number = context.functionName;
  return { length: token.value.length, functionName };
}, options);

// Each line below compiles only because it is an error. Had a declaration not resolved, its type
// would be \`any\`, the line would compile without error, and tsc would report the unused directive.
// @ts-expect-error withSharedToken returns Middy's handler, not a number
export const notANumber: number = handler;
// @ts-expect-error .use() is Middy's, typed
export const useIsTyped: number = handler.use;
// @ts-expect-error tokenType is a string
export const wrong: SharedTokenMiddlewareOptions = { ...options, tokenType: 42 };
// @ts-expect-error SaltCipher is a class, not a number
export const cipherIsTyped: number = SaltCipher;
// @ts-expect-error MIN_SALT_LENGTH is a number
export const saltLength: string = MIN_SALT_LENGTH;
// @ts-expect-error a TokenRecord's version is a number
export const record: TokenRecord = { tokenType: 'salesforce', updating: false, version: 'one' };
`;

const TYPESCRIPT_USER_CONFIG = strictUserTsconfig({
  // The type packages are symlinks into this checkout: keep their paths, so that their own
  // imports resolve in the user's node_modules, as they would in a real install.
  preserveSymlinks: true,
});

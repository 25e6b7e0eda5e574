import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LAYER_ENTRY_POINTS, type LayerCode } from '../../scripts/layer/layer-code.js';
import {
  type LayerRuntimeFiles,
  layerRuntimeFiles,
  PACKAGE_DIR,
  writeLayerFiles,
} from '../../scripts/layer/layer-package.js';
import { OWN_PACKAGE, packageOfInput, packageOfSpecifier } from '../../scripts/layer/package-names.js';
import { findProjectRoot } from '../../scripts/layer/project-root.js';

const ENTRIES = Object.keys(LAYER_ENTRY_POINTS) as Array<keyof typeof LAYER_ENTRY_POINTS>;

let runtime: LayerRuntimeFiles;
let code: LayerCode;
/** Every JavaScript file of the layer, as text. */
let javascript: Map<string, string>;

beforeAll(async () => {
  runtime = await layerRuntimeFiles(findProjectRoot());
  code = runtime.code;
  javascript = new Map([...code.files].map(([path, data]) => [path, Buffer.from(data).toString('utf8')]));
});

/**
 * Matches of a global pattern in the layer's code (or in `paths` only); a failed assertion then
 * prints a count, not 100 KB.
 */
function count(pattern: RegExp, paths: Iterable<string> = javascript.keys()): number {
  return [...paths].reduce((sum, path) => sum + (javascript.get(path)?.match(pattern)?.length ?? 0), 0);
}

describe("the layer's code (bundleLayerCode)", () => {
  it('has one file per entry point and the chunks they share, all under dist/', () => {
    const paths = [...code.files.keys()];

    for (const entry of ENTRIES) expect(paths).toContain(`dist/${entry}.js`);
    expect(paths.filter((path) => path.startsWith('dist/chunks/chunk-')).length).toBeGreaterThan(0);
    for (const path of paths) expect(path).toMatch(/^dist\/.*\.js$/);
  });

  it('lists for each entry point the files it loads: itself and chunks the others load too', () => {
    for (const entry of ENTRIES) {
      const files = code.filesByEntry[entry];
      expect(files).toContain(`dist/${entry}.js`);
      for (const file of files) expect(code.files.has(file)).toBe(true);
    }
    const shared = code.filesByEntry.index.filter(
      (file) => code.filesByEntry.middleware.includes(file) && code.filesByEntry.advanced.includes(file),
    );
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.every((file) => file.startsWith('dist/chunks/'))).toBe(true);
  });

  it('leaves the SDK clients as imports and imports no other package', () => {
    expect(code.externalPackages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager']),
    );
    for (const name of code.externalPackages) expect(name).toMatch(/^@aws-sdk\//);
    expect(count(/from\s*"@aws-sdk\/client-dynamodb"/g)).toBeGreaterThan(0);
  });

  it('contains no code from any @aws-sdk or @smithy package', () => {
    expect(Object.keys(code.bytesByPackage).filter((name) => /^@(aws-sdk|smithy)\//.test(name))).toEqual([]);
    // The SDK clients' own class bodies would carry their service identifiers. Not searched in
    // what only the testing entry point loads: its in-memory Secrets Manager answers that target.
    const production = new Set(
      (['index', 'middleware', 'advanced'] as const).flatMap((entry) => code.filesByEntry[entry]),
    );
    expect(count(/DynamoDB_20120810|secretsmanager\.GetSecretValue/g, production)).toBe(0);
  });

  it('bundles Middy, both Powertools packages and the project code, and counts each byte once', () => {
    for (const name of [
      OWN_PACKAGE,
      '@middy/core',
      '@middy/secrets-manager',
      '@aws-lambda-powertools/logger',
      '@aws-lambda-powertools/metrics',
    ]) {
      expect(code.bytesByPackage[name] ?? 0).toBeGreaterThan(0);
    }
    const fromInputs = Object.values(code.bytesByPackage).reduce((sum, bytes) => sum + bytes, 0);
    const total = [...code.files.values()].reduce((sum, data) => sum + data.byteLength, 0);
    expect(fromInputs).toBeLessThanOrEqual(total);
  });

  it('keeps Middy out of what the core and advanced entry points load', () => {
    expect(code.packagesByEntry.middleware).toContain('@middy/core');
    for (const entry of ['index', 'advanced'] as const) {
      expect(code.packagesByEntry[entry]).toContain(OWN_PACKAGE);
      expect(code.packagesByEntry[entry].filter((name) => name.startsWith('@middy/'))).toEqual([]);
    }
  });

  it('is minified ESM, with no CommonJS require() shim', () => {
    expect(count(/\bexport\s*\{/g)).toBeGreaterThanOrEqual(ENTRIES.length);
    // esbuild's shim for a CommonJS require() inside ESM, which throws at run time.
    expect(count(/Dynamic require of/g)).toBe(0);
    for (const text of javascript.values()) expect(text.split('\n').length).toBeLessThan(100);
  });
});

describe('layerRuntimeFiles and writeLayerFiles', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'layer-files-test-'));
    writeLayerFiles(runtime.files, dir);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the package.json, the notice and the code under the package directory, and no declarations', () => {
    const paths = runtime.files.map((file) => file.path.slice(PACKAGE_DIR.length + 1)).sort();

    expect(paths).toEqual(['THIRD-PARTY-LICENSES.txt', 'package.json', ...code.files.keys()].sort());
  });

  it('names in package.json exports a file it gives, for each entry point', () => {
    const manifest = JSON.parse(readFileSync(join(dir, PACKAGE_DIR, 'package.json'), 'utf8'));

    for (const entry of ENTRIES) {
      const subpath = entry === 'index' ? '.' : `./${entry}`;
      expect(manifest.exports[subpath].import).toBe(`./dist/${entry}.js`);
    }
  });

  it('writes every file at its zip path with its exact bytes', () => {
    for (const file of runtime.files) {
      expect(Buffer.compare(readFileSync(join(dir, file.path)), Buffer.from(file.data))).toBe(0);
    }
  });
});

describe('packageOfInput', () => {
  it('names the package a metafile input belongs to, scoped or not', () => {
    expect(packageOfInput('node_modules/@middy/core/index.js')).toBe('@middy/core');
    expect(packageOfInput('node_modules/esbuild/lib/main.js')).toBe('esbuild');
  });

  it('takes the innermost node_modules for a nested copy', () => {
    expect(packageOfInput('node_modules/@middy/util/node_modules/@scope/dep/x.js')).toBe('@scope/dep');
  });

  it('counts the project files as the project package', () => {
    expect(packageOfInput('layer/store/token-store.ts')).toBe(OWN_PACKAGE);
  });
});

describe('packageOfSpecifier', () => {
  it('keeps the scope and name and drops a deep path', () => {
    expect(packageOfSpecifier('@aws-sdk/client-dynamodb/dist-es/index.js')).toBe('@aws-sdk/client-dynamodb');
    expect(packageOfSpecifier('tslib/modules/index.js')).toBe('tslib');
  });
});

describe('findProjectRoot', () => {
  it('finds the checkout from a directory below it', () => {
    const root = findProjectRoot();
    expect(findProjectRoot(join(root, 'scripts', 'layer'))).toBe(root);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('lambda-shared-token');
  });

  it('fails naming the package when there is no checkout above', () => {
    expect(() => findProjectRoot(tmpdir())).toThrow('lambda-shared-token');
  });
});

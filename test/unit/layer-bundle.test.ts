import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bundleLayer, type LayerBundle } from '../../scripts/bench/layer-bundle.js';
import { OWN_PACKAGE, packageOfInput, packageOfSpecifier } from '../../scripts/layer/package-names.js';
import { findProjectRoot } from '../../scripts/layer/project-root.js';

describe('bundleLayer', () => {
  let outDir: string;
  let bundle: LayerBundle;
  let text: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'layer-bundle-test-'));
    bundle = await bundleLayer({ outDir });
    text = Buffer.from(bundle.bytes).toString('utf8');
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('writes exactly the returned bytes to the returned path inside outDir', () => {
    expect(bundle.path).toBe(join(outDir, 'index.mjs'));
    expect(Buffer.compare(readFileSync(bundle.path), Buffer.from(bundle.bytes))).toBe(0);
  });

  it('leaves the two SDK clients the layer uses as imports', () => {
    expect(bundle.externalPackages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager']),
    );
    expect(count(text, /from\s*"@aws-sdk\/client-dynamodb"/g)).toBeGreaterThan(0);
    expect(count(text, /from\s*"@aws-sdk\/client-secrets-manager"/g)).toBeGreaterThan(0);
  });

  it('imports no package but @aws-sdk ones: everything else is inside the bundle', () => {
    expect(bundle.externalPackages.length).toBeGreaterThan(0);
    for (const name of bundle.externalPackages) expect(name).toMatch(/^@aws-sdk\//);
  });

  it('contains no code from any @aws-sdk or @smithy package', () => {
    const sdkInputs = Object.keys(bundle.bytesByPackage).filter((name) => /^@(aws-sdk|smithy)\//.test(name));
    expect(sdkInputs).toEqual([]);
    // The SDK clients' own class bodies would carry their service identifiers.
    expect(count(text, /DynamoDB_20120810|secretsmanager\.GetSecretValue/g)).toBe(0);
  });

  it('bundles Middy, both Powertools packages and the project code', () => {
    for (const name of [
      OWN_PACKAGE,
      '@middy/core',
      '@middy/secrets-manager',
      '@aws-lambda-powertools/logger',
      '@aws-lambda-powertools/metrics',
    ]) {
      expect(bundle.bytesByPackage[name] ?? 0).toBeGreaterThan(0);
    }
  });

  it('counts every output byte that came from an input exactly once', () => {
    const fromInputs = Object.values(bundle.bytesByPackage).reduce((sum, bytes) => sum + bytes, 0);
    expect(fromInputs).toBeGreaterThan(0);
    expect(fromInputs).toBeLessThanOrEqual(bundle.bytes.byteLength);
  });

  it('exports withSharedToken, sharedToken and the core API', () => {
    expect(bundle.exports).toEqual(
      expect.arrayContaining([
        'withSharedToken',
        'sharedToken',
        'SharedToken',
        'TenantTokens',
        'scheduledRefreshHandler',
      ]),
    );
    expect(count(text, /export\s*\{[^}]*\bwithSharedToken\b/g)).toBe(1);
  });

  it('is minified ESM', () => {
    expect(count(text, /\bexport\s*\{/g)).toBe(1);
    // esbuild's shim for a CommonJS require() inside ESM, which throws at run time.
    expect(count(text, /Dynamic require of/g)).toBe(0);
    // Minified: few lines for ~100 KB of code.
    expect(text.split('\n').length).toBeLessThan(100);
  });

  it('runs with nothing but the SDK beside it, as in a Lambda runtime', async () => {
    const sdk = join(outDir, 'node_modules', '@aws-sdk');
    mkdirSync(dirname(sdk), { recursive: true });
    symlinkSync(join(findProjectRoot(), 'node_modules', '@aws-sdk'), sdk, 'dir');
    const layer = (await import(pathToFileURL(bundle.path).href)) as Record<string, unknown>;
    expect(typeof layer.withSharedToken).toBe('function');
    expect(Object.keys(layer).sort()).toEqual(bundle.exports);
  });

  it('rejects an unknown option, naming it', async () => {
    await expect(bundleLayer({ outdir: outDir } as never)).rejects.toThrow('"outdir"');
  });
});

/** Matches of a global pattern; a failed assertion then prints a count, not the 100 KB bundle. */
function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

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
    expect(findProjectRoot(join(root, 'scripts', 'bench'))).toBe(root);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('lambda-shared-token');
  });

  it('fails naming the package when there is no checkout above', () => {
    expect(() => findProjectRoot(tmpdir())).toThrow('lambda-shared-token');
  });
});

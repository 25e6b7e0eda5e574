/**
 * The layer's code as the Lambda layer ships it: one minified ESM file bundled by esbuild from
 * `middleware/index.ts` (which re-exports the core, `layer/index.ts`), with Middy and Powertools
 * inside and `@aws-sdk/*` left as imports. The Lambda runtime provides the SDK; a partial copy
 * under /opt would shadow the runtime's and break it (DESIGN.md, Build and ship).
 *
 * The cold-start benchmark measures this file; the layer zip (issue 5) packs it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';

/** The entry point: the Middy adapter, which re-exports the whole core. */
export const LAYER_ENTRY = 'middleware/index.ts';

/** Left as imports: the Lambda runtime provides the SDK. */
const LAYER_EXTERNALS: readonly string[] = ['@aws-sdk/*'];

/** This project's own files, in {@link LayerBundle.bytesByPackage}. */
export const OWN_PACKAGE = 'lambda-shared-token';

const PACKAGE_NAME = 'lambda-shared-token';

export interface LayerBundleOptions {
  /**
   * Directory the bundle is written to (created if missing).
   * @default a fresh directory under the OS temp dir (`lambda-shared-token-layer-*`)
   */
  outDir?: string;
  /**
   * File name of the bundle inside `outDir`. `.mjs` keeps it ESM whatever `package.json` is beside it.
   * @default 'index.mjs'
   */
  fileName?: string;
  /**
   * The checkout whose `middleware/index.ts` is bundled.
   * @default the nearest directory above this file whose package.json is named lambda-shared-token
   */
  projectRoot?: string;
}

const KNOWN_OPTIONS = new Set(['outDir', 'fileName', 'projectRoot']);

export interface LayerBundle {
  /** Absolute path of the written bundle. */
  path: string;
  /** The bundle's bytes, exactly as written to `path`. */
  bytes: Uint8Array;
  /** Packages the bundle still imports (sorted, `node:` builtins left out): only `@aws-sdk/*` ones. */
  externalPackages: string[];
  /** Names the bundle exports. */
  exports: string[];
  /** Bytes of the output that came from each package; this project's files count as {@link OWN_PACKAGE}. */
  bytesByPackage: Record<string, number>;
}

/**
 * The esbuild options of the layer bundle, for a caller that writes it elsewhere or varies one
 * setting to compare (the benchmark's unbundled variant sets `packages: 'external'`).
 */
export function layerBuildOptions(projectRoot: string, outFile: string): BuildOptions {
  return { ...layerEsbuildBase(projectRoot), entryPoints: [LAYER_ENTRY], outfile: outFile };
}

/**
 * What every layer build shares, the shipped one (scripts/layer/layer-code.ts) and this
 * benchmark's: minified ESM for Node 20 with `@aws-sdk/*` left to the runtime. One place, so
 * the benchmark cannot drift from what `make layer` ships.
 */
export function layerEsbuildBase(projectRoot: string): BuildOptions {
  return {
    absWorkingDir: projectRoot,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    external: [...LAYER_EXTERNALS],
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  };
}

/** Bundles the layer entry and writes it; see {@link LayerBundle}. */
export async function bundleLayer(options: LayerBundleOptions = {}): Promise<LayerBundle> {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`bundleLayer: unknown option "${key}"`);
  }
  const projectRoot = resolve(options.projectRoot ?? findProjectRoot());
  const outDir = resolve(options.outDir ?? mkdtempSync(join(tmpdir(), 'lambda-shared-token-layer-')));
  const path = join(outDir, options.fileName ?? 'index.mjs');
  const result = await build({ ...layerBuildOptions(projectRoot, path), write: false });
  const output = result.outputFiles?.[0];
  if (output === undefined) throw new Error('bundleLayer: esbuild produced no output');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path, output.contents);
  const described = describeOutput(result.metafile);
  return { path, bytes: output.contents, ...described };
}

/** What the metafile says about the one output: its imports, exports, and where its bytes came from. */
function describeOutput(metafile: Metafile | undefined): Omit<LayerBundle, 'path' | 'bytes'> {
  const output = metafile === undefined ? undefined : Object.values(metafile.outputs)[0];
  if (output === undefined) throw new Error('bundleLayer: esbuild produced no metafile');
  const externalPackages = [
    ...new Set(
      output.imports
        .filter((entry) => entry.external && !entry.path.startsWith('node:'))
        .map((entry) => packageOfSpecifier(entry.path)),
    ),
  ].sort();
  const bytesByPackage: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOfInput(input);
    bytesByPackage[name] = (bytesByPackage[name] ?? 0) + bytesInOutput;
  }
  return { externalPackages, exports: [...output.exports].sort(), bytesByPackage };
}

/** `@aws-sdk/client-dynamodb/dist/x` -> `@aws-sdk/client-dynamodb`; `esbuild` -> `esbuild`. */
export function packageOfSpecifier(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** A metafile input path -> the package it belongs to (the last `node_modules/` wins: nested copies). */
export function packageOfInput(input: string): string {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  return at === -1 ? OWN_PACKAGE : packageOfSpecifier(input.slice(at + marker.length));
}

/**
 * The checkout: from source (Jest, tsc) this file is in scripts/bench/, bundled into the bench it
 * is in .build/scripts/bench/, so look upwards rather than a fixed number of levels.
 */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
  }
}

function readPackageName(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

/**
 * The layer's code in one file: one minified ESM file bundled by esbuild from
 * `middleware/index.ts` (which re-exports the core, `layer/index.ts`), with Middy and Powertools
 * inside and `@aws-sdk/*` left as imports, for the Lambda runtime provides the SDK.
 *
 * The cold-start benchmark measures this file. Its esbuild settings are the layer build's
 * (scripts/layer/layer-code.ts): this file imports them, never the other way round.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { layerEsbuildOptions } from '../layer/layer-code.js';
import { OWN_PACKAGE, packageOfInput, packageOfSpecifier } from '../layer/package-names.js';
import { findProjectRoot } from '../layer/project-root.js';

export { findProjectRoot, OWN_PACKAGE };

/** The entry point: the Middy adapter, which re-exports the whole core. */
export const LAYER_ENTRY = 'middleware/index.ts';

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
  return { ...layerEsbuildOptions(projectRoot), entryPoints: [LAYER_ENTRY], outfile: outFile };
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

/**
 * The files of the layer package that run, at their paths in the zip: its package.json, the
 * third-party notice and the JavaScript. `make layer` (build-layer.ts) adds the declarations and
 * zips them; the cold-start benchmark writes these same files to a folder shaped like /opt and
 * imports them there, so it measures what the layer ships. Declarations are left to
 * build-layer.ts: tsc takes seconds, and nothing loads them at run time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleLayerCode, type LayerCode } from './layer-code.js';
import { layerPackageJson, THIRD_PARTY_NOTICE, thirdPartyNotice } from './layer-manifest.js';
import type { ZipFileInput } from './zip.js';

/** Where the package sits inside the zip: Lambda puts `/opt/nodejs/node_modules` on NODE_PATH. */
export const PACKAGE_DIR = 'nodejs/node_modules/lambda-shared-token';

export interface LayerRuntimeFiles {
  /** Each file's path in the zip (under {@link PACKAGE_DIR}) and its contents. */
  files: ZipFileInput[];
  /** What the esbuild run says about the code: what each entry point loads, what is bundled in. */
  code: LayerCode;
}

/** Builds the package's code (esbuild, in memory) and its package.json and notice. */
export async function layerRuntimeFiles(projectRoot: string): Promise<LayerRuntimeFiles> {
  const code = await bundleLayerCode(projectRoot);
  const manifest: Array<[string, string]> = [
    ['package.json', layerPackageJson(projectRoot)],
    [THIRD_PARTY_NOTICE, thirdPartyNotice(code.bundledPackages)],
  ];
  return { files: inPackage([...manifest, ...code.files]), code };
}

/** Package-relative paths to zip paths. */
export function inPackage(files: Iterable<[string, Uint8Array | string]>): ZipFileInput[] {
  return [...files].map(([path, data]) => ({ path: `${PACKAGE_DIR}/${path}`, data }));
}

/** Writes `files` under `dir` at their zip paths, as Lambda extracts a layer into /opt. */
export function writeLayerFiles(files: readonly ZipFileInput[], dir: string): void {
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data);
  }
}

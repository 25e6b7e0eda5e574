/**
 * The layer package's JavaScript: one esbuild run over the four entry points with code
 * splitting, so `lambda-shared-token`, `lambda-shared-token/middleware`,
 * `lambda-shared-token/advanced` and `lambda-shared-token/testing` share one copy of the core
 * (one `SharedToken` class, one per-container cache) and importing the core alone never loads Middy. Middy and Powertools are
 * bundled in; `@aws-sdk/*` stays an import, for the runtime provides it, and a partial copy under
 * /opt would shadow the runtime's (examples/DEPLOY.md, "Publish the layer").
 */
import { join, relative, sep } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { OWN_PACKAGE, packageOfInput, packageOfSpecifier } from './package-names.js';

/** The package's entry points: output name (under `dist/`) to source file. */
export const LAYER_ENTRY_POINTS = {
  index: 'layer/index.ts',
  middleware: 'middleware/index.ts',
  advanced: 'layer/advanced.ts',
  testing: 'testing/index.ts',
} as const;

export type LayerEntryName = keyof typeof LAYER_ENTRY_POINTS;

/** Left as imports: the Lambda runtime provides the SDK. */
const LAYER_EXTERNALS: readonly string[] = ['@aws-sdk/*'];

/**
 * The esbuild settings of the layer's code: minified ESM for Node 20, everything bundled but
 * `@aws-sdk/*`, no source maps. Exported for the benchmark, which varies one setting to compare
 * (its unbundled variant sets `packages: 'external'`); the layer build is their only owner.
 */
export function layerEsbuildOptions(projectRoot: string): BuildOptions {
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

/** A third-party package bundled into the code, for the license notice. */
export interface BundledPackage {
  name: string;
  /** Its directory, absolute (the copy esbuild read, nested copies included). */
  dir: string;
}

export interface LayerCode {
  /** Package-relative path (`dist/index.js`, `dist/chunks/chunk-*.js`...) to the file's bytes. */
  files: Map<string, Uint8Array>;
  /**
   * Packages whose code each entry point loads when imported, its shared chunks included
   * (sorted; this project's own files count as `lambda-shared-token`).
   */
  packagesByEntry: Record<LayerEntryName, string[]>;
  /** The files each entry point loads when imported: itself and its chunks (package-relative, sorted). */
  filesByEntry: Record<LayerEntryName, string[]>;
  /** Bytes of all the code that came from each package (its own files as `lambda-shared-token`). */
  bytesByPackage: Record<string, number>;
  /** Packages the code still imports, `node:` builtins left out: only `@aws-sdk/*` ones (sorted). */
  externalPackages: string[];
  /** Third-party packages bundled in (sorted by name). */
  bundledPackages: BundledPackage[];
}

/** Bundles the entry points in memory (nothing is written). */
export async function bundleLayerCode(projectRoot: string): Promise<LayerCode> {
  // A nominal output directory: esbuild names the outputs after it; write: false keeps them in memory.
  const outdir = join(projectRoot, '.build', 'layer', 'package', 'dist');
  const result = await build({
    ...layerEsbuildOptions(projectRoot),
    entryPoints: { ...LAYER_ENTRY_POINTS },
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    write: false,
  });
  const files = new Map<string, Uint8Array>();
  for (const output of result.outputFiles) {
    files.set(`dist/${relative(outdir, output.path).split(sep).join('/')}`, output.contents);
  }
  const metafile = result.metafile;
  // The metafile names outputs, and the chunks they import, relative to the working directory.
  const outName = (path: string): string => relative(outdir, join(projectRoot, path)).split(sep).join('/');
  const outputs: Record<string, Output> = Object.fromEntries(
    Object.entries(metafile.outputs).map(([path, output]) => [outName(path), output]),
  );
  const byEntry = <T>(value: (loaded: string[]) => T): Record<LayerEntryName, T> =>
    Object.fromEntries(
      Object.keys(LAYER_ENTRY_POINTS).map((entry) => [
        entry,
        value(outputsLoadedBy(`${entry}.js`, outputs, outName)),
      ]),
    ) as Record<LayerEntryName, T>;
  return {
    files,
    packagesByEntry: byEntry((loaded) => packagesOf(loaded.map((name) => outputs[name]!))),
    filesByEntry: byEntry((loaded) => loaded.map((name) => `dist/${name}`)),
    bytesByPackage: bytesByPackageOf(Object.values(outputs)),
    externalPackages: externalPackagesOf(metafile),
    bundledPackages: bundledPackagesOf(projectRoot, metafile),
  };
}

type Output = Metafile['outputs'][string];

/** `entry` and every chunk it imports statically, transitively: output names, sorted. */
function outputsLoadedBy(
  entry: string,
  outputs: Record<string, Output>,
  outName: (path: string) => string,
): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const output = outputs[name];
    if (output === undefined || seen.has(name)) return;
    seen.add(name);
    for (const imported of output.imports) {
      if (imported.external || imported.kind !== 'import-statement') continue;
      visit(outName(imported.path));
    }
  };
  visit(entry);
  return [...seen].sort();
}

function packagesOf(outputs: Output[]): string[] {
  return [...new Set(outputs.flatMap((output) => Object.keys(output.inputs).map(packageOfInput)))].sort();
}

function bytesByPackageOf(outputs: Output[]): Record<string, number> {
  const bytes: Record<string, number> = {};
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOfInput(input);
      bytes[name] = (bytes[name] ?? 0) + bytesInOutput;
    }
  }
  return bytes;
}

function externalPackagesOf(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external && !imported.path.startsWith('node:'))
        names.add(packageOfSpecifier(imported.path));
    }
  }
  return [...names].sort();
}

function bundledPackagesOf(projectRoot: string, metafile: Metafile): BundledPackage[] {
  const byName = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const name = packageOfInput(input);
    if (name === OWN_PACKAGE || byName.has(name)) continue;
    const marker = `node_modules/${name}/`;
    byName.set(name, join(projectRoot, input.slice(0, input.lastIndexOf(marker) + marker.length)));
  }
  return [...byName].map(([name, dir]) => ({ name, dir })).sort((a, b) => a.name.localeCompare(b.name));
}

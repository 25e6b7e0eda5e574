/**
 * `make layer`: the Lambda layer zip, ready for `aws lambda publish-layer-version`.
 *
 * ```
 * nodejs/node_modules/lambda-shared-token/
 *   package.json              exports `.`, `./middleware`, `./advanced`, `./testing` (types + import)
 *   dist/index.js             the core; importing it never loads Middy
 *   dist/middleware.js        the Middy adapter, re-exporting the core
 *   dist/advanced.js          the building blocks (manager, store, ciphers, parsers, constants)
 *   dist/testing.js           test doubles for a user's unit tests
 *   dist/chunks/chunk-*.js    the code they share: one copy of every class
 *   types/{layer,middleware,testing}/  declarations, as tsc emits them
 *   node_modules/@middy/core/ Middy's declarations only, which types/middleware imports (layer-types.ts)
 *   THIRD-PARTY-LICENSES.txt  what is bundled in, under which licence
 * ```
 *
 * Middy and Powertools are bundled in; `@aws-sdk/*` never is: the runtime provides the SDK, and a
 * partial copy under /opt would shadow the runtime's (examples/DEPLOY.md, "Publish the layer").
 * The zip is deterministic: the same sources give the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LayerEntryName } from './layer-code.js';
import { inPackage, layerRuntimeFiles, PACKAGE_DIR } from './layer-package.js';
import {
  emitLayerDeclarations,
  isProvidedToUsers,
  packagesImportedBy,
  TYPE_ONLY_PACKAGES,
  typeOnlyPackageFiles,
} from './layer-types.js';
import { findProjectRoot } from './project-root.js';
import { writeZip } from './zip.js';

export const LAYER_NAME = 'lambda-shared-token';
export { PACKAGE_DIR };
/** The zip, relative to the project root. */
export const LAYER_ZIP = '.build/layer/lambda-shared-token-layer.zip';
/** ES2022 modules for Node 20 and later, no native code; the runtime's AWS SDK v3 is the only import. */
export const COMPATIBLE_RUNTIMES: readonly string[] = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'];
/** Pure JavaScript: runs on either architecture. */
export const COMPATIBLE_ARCHITECTURES: readonly string[] = ['x86_64', 'arm64'];
/** The size the zip should stay under: every cold start reads the layer, so it stays small. */
export const LAYER_SIZE_BUDGET_BYTES = 300 * 1024;

export interface BuildLayerOptions {
  /**
   * Where to write the zip; `null` builds it in memory only.
   * @default `<projectRoot>/.build/layer/lambda-shared-token-layer.zip`
   */
  outFile?: string | null;
  /**
   * The checkout to build.
   * @default the nearest directory above this file whose package.json is named lambda-shared-token
   */
  projectRoot?: string;
}

const OPTION_NAMES = new Set(['outFile', 'projectRoot']);

export interface LayerZip {
  /** Absolute path of the written zip; undefined when built in memory only. */
  path: string | undefined;
  /** The zip's bytes, exactly as written. */
  bytes: Uint8Array;
  /** Every file in the zip (directories left out), sorted by path, with its uncompressed size. */
  files: Array<{ path: string; size: number }>;
  /** Packages whose code each entry point loads (its chunks included); own code as `lambda-shared-token`. */
  packagesByEntry: Record<LayerEntryName, string[]>;
  /** Packages the code imports from outside the layer: only `@aws-sdk/*` ones. */
  externalPackages: string[];
  /** Third-party packages bundled into the code. */
  bundledPackages: string[];
  /**
   * Packages the declarations import that neither the layer ships (types only) nor a TypeScript
   * Lambda project has (@aws-sdk/*, aws-lambda, node:*): each is an error under `skipLibCheck: false`.
   */
  unresolvedTypeImports: string[];
}

/** Builds the layer zip: code (esbuild), declarations (tsc), manifest and notice, zipped. */
export async function buildLayer(options: BuildLayerOptions = {}): Promise<LayerZip> {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`buildLayer: unknown option "${key}"`);
  }
  const projectRoot = resolve(options.projectRoot ?? findProjectRoot());
  const { files, code } = await layerRuntimeFiles(projectRoot);
  const declarations = emitLayerDeclarations(projectRoot);
  const inputs = [...files, ...inPackage(declarations), ...inPackage(typeOnlyPackageFiles(projectRoot))];
  checkLayerContents(
    inputs.map((input) => input.path),
    code.externalPackages,
  );
  const bytes = writeZip(inputs);

  const outFile = options.outFile === undefined ? join(projectRoot, LAYER_ZIP) : options.outFile;
  const path = outFile === null ? undefined : resolve(outFile);
  if (path !== undefined) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  return {
    path,
    bytes,
    files: inputs
      .map((input) => ({ path: input.path, size: Buffer.byteLength(input.data) }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
    packagesByEntry: code.packagesByEntry,
    externalPackages: code.externalPackages,
    bundledPackages: code.bundledPackages.map((pkg) => pkg.name),
    unresolvedTypeImports: packagesImportedBy(declarations.values()).filter(
      (name) => !isProvidedToUsers(name) && !TYPE_ONLY_PACKAGES.includes(name),
    ),
  };
}

/** What the layer must never hold, checked at build time too: no SDK, no source maps, no import but the SDK. */
function checkLayerContents(paths: string[], externalPackages: string[]): void {
  const offending = paths.filter((path) => path.includes('@aws-sdk') || path.endsWith('.map'));
  if (offending.length > 0) throw new Error(`the layer must not contain ${offending.join(', ')}`);
  const nonSdk = externalPackages.filter((name) => !name.startsWith('@aws-sdk/'));
  if (nonSdk.length > 0) {
    throw new Error(`the layer's code imports packages it does not contain: ${nonSdk.join(', ')}`);
  }
}

/** The command that publishes the zip at `zipPath` (shown relative to the current directory when inside it). */
export function publishCommand(zipPath: string): string {
  const shown = relative(process.cwd(), zipPath);
  const file = shown.startsWith('..') || isAbsolute(shown) ? zipPath : shown;
  return [
    'aws lambda publish-layer-version',
    `--layer-name ${LAYER_NAME}`,
    `--zip-file fileb://${file}`,
    `--compatible-runtimes ${COMPATIBLE_RUNTIMES.join(' ')}`,
    `--compatible-architectures ${COMPATIBLE_ARCHITECTURES.join(' ')}`,
  ].join(' ');
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** What `make layer` prints: size, the top-level entries, the package's files, the publish command. */
export function describeLayer(layer: LayerZip): string[] {
  const shownPath =
    layer.path === undefined ? '(in memory)' : relative(process.cwd(), layer.path) || layer.path;
  const size = layer.bytes.length;
  const topLevel = [...new Set(layer.files.map((file) => `${file.path.split('/')[0]}/`))];
  const lines = [
    `Layer zip: ${shownPath}`,
    `  size: ${size.toLocaleString('en-US')} bytes (${kib(size)}; budget ${kib(LAYER_SIZE_BUDGET_BYTES)})` +
      `, ${layer.files.length} files`,
    `  top level: ${topLevel.join(' ')}`,
    `  nodejs/node_modules/: ${LAYER_NAME}/ (nothing else: no @aws-sdk, no other package)`,
    `  declarations only, for types/: ${TYPE_ONLY_PACKAGES.join(', ')}`,
    `  files under ${PACKAGE_DIR}/ (uncompressed):`,
    ...layer.files.map(
      (file) =>
        `    ${file.size.toLocaleString('en-US').padStart(9)}  ${file.path.slice(PACKAGE_DIR.length + 1)}`,
    ),
    `  bundled in: ${layer.bundledPackages.join(', ')}`,
    `  left to the Lambda runtime: ${layer.externalPackages.join(', ')}`,
  ];
  if (layer.unresolvedTypeImports.length > 0) {
    lines.push(
      `  WARNING: the declarations import ${layer.unresolvedTypeImports.join(', ')}, which a user's project may lack` +
        ' (an error under skipLibCheck: false)',
    );
  }
  if (size > LAYER_SIZE_BUDGET_BYTES)
    lines.push(`  WARNING: over the ${kib(LAYER_SIZE_BUDGET_BYTES)} budget`);
  if (layer.path !== undefined) lines.push('Publish it with:', `  ${publishCommand(layer.path)}`);
  return lines;
}

async function main(): Promise<void> {
  const layer = await buildLayer();
  for (const line of describeLayer(layer)) console.log(line);
}

// Run by `make layer` (bundled to .build/scripts/layer/build-layer.js); imported, it only exports.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

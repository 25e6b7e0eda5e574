/**
 * The layer package's TypeScript declarations: tsc's declaration emit of layer/, middleware/ and
 * testing/ (tsconfig.build.json), kept in memory. The tree keeps the source layout under `types/`,
 * so `types/middleware/index.d.ts` re-exports `../layer/index.js` exactly as the source does.
 *
 * With `skipLibCheck: false` a user's tsc checks these files, so every package they import must
 * resolve from what a TypeScript Lambda project has: the runtime's SDK (`@aws-sdk/*`, installed
 * as dev dependencies for its types), `@types/aws-lambda`, `@types/node`. The one more they
 * import, `@middy/core` (withSharedToken returns Middy's handler type), ships inside the package
 * as declarations only: `node_modules/@middy/core/` under the package directory, which TypeScript
 * finds walking up from `types/middleware/`, and which Node never loads: the layer's JavaScript
 * has Middy bundled in, and a function's own `import '@middy/core'` searches /var/task and
 * NODE_PATH (/opt/nodejs/node_modules), never inside another package.
 */
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { packageOfSpecifier } from './package-names.js';

/** The directory the declarations live in, inside the package. */
export const TYPES_DIR = 'types';

/**
 * Type-checks layer/ and middleware/ and returns their declarations, package-relative path
 * (`types/layer/index.d.ts`...) to text. Throws with tsc's messages on any type error: broken
 * types are not shipped.
 */
export function emitLayerDeclarations(projectRoot: string): Map<string, string> {
  // Nominal: emit goes to the callback below, never to disk.
  const outDir = join(projectRoot, '.build', 'layer', 'package', TYPES_DIR);
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(projectRoot, 'tsconfig.build.json'),
    {
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      declarationMap: false,
      sourceMap: false,
      rootDir: projectRoot,
      outDir,
    },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(
          `tsconfig.build.json: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
        );
      },
    },
  );
  if (parsed === undefined) throw new Error('tsconfig.build.json could not be read');
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const declarations = new Map<string, string>();
  const emitted = program.emit(
    undefined,
    (fileName, text) => {
      declarations.set(`${TYPES_DIR}/${relative(outDir, fileName).split(sep).join('/')}`, text);
    },
    undefined,
    true,
  );
  const errors = [...parsed.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].filter(
    (diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error,
  );
  if (errors.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (fileName) => fileName,
      getCurrentDirectory: () => projectRoot,
      getNewLine: () => '\n',
    };
    throw new Error(`the layer's declarations have type errors:\n${ts.formatDiagnostics(errors, host)}`);
  }
  return declarations;
}

/** Packages whose declarations the layer ships (types only), at `node_modules/<name>/` in the package. */
export const TYPE_ONLY_PACKAGES: readonly string[] = ['@middy/core'];

/**
 * Packages a declaration may import without the layer shipping them: the runtime's SDK, Node's
 * builtins and `@types/aws-lambda`, which every TypeScript Lambda project installs.
 */
export function isProvidedToUsers(name: string): boolean {
  return name.startsWith('@aws-sdk/') || name.startsWith('node:') || name === 'aws-lambda';
}

/**
 * The packages `declarations` import (imports, exports, `import()` types, `/// <reference types>`),
 * sorted. TypeScript's own pre-processor reads them, so an import inside a doc comment's example
 * does not count.
 */
export function packagesImportedBy(declarations: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const text of declarations) {
    const { importedFiles, typeReferenceDirectives } = ts.preProcessFile(text, true, true);
    for (const { fileName } of [...importedFiles, ...typeReferenceDirectives]) {
      if (!fileName.startsWith('.')) names.add(packageOfSpecifier(fileName));
    }
  }
  return [...names].sort();
}

/**
 * The declarations of {@link TYPE_ONLY_PACKAGES}, package-relative path to text: the package's
 * own `types` file, and a package.json whose only condition is `types`, so nothing can import
 * it as JavaScript. Throws when that file imports a package the user may not have.
 */
export function typeOnlyPackageFiles(projectRoot: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of TYPE_ONLY_PACKAGES) {
    const dir = join(projectRoot, 'node_modules', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version: string;
      license?: string;
      types?: string;
    };
    const typesFile = (manifest.types ?? 'index.d.ts').replace(/^\.\//, '');
    const text = readFileSync(join(dir, typesFile), 'utf8');
    const foreign = packagesImportedBy([text]).filter((imported) => !isProvidedToUsers(imported));
    if (foreign.length > 0) {
      throw new Error(`the declarations of ${name} import ${foreign.join(', ')}: the layer cannot ship them`);
    }
    const typesOnly = {
      name,
      version: manifest.version,
      license: manifest.license,
      description: `Declarations only: the types of ${name}@${manifest.version}, whose code lambda-shared-token bundles.`,
      type: 'module',
      types: './index.d.ts',
      exports: { '.': { types: './index.d.ts' } },
    };
    files.set(`node_modules/${name}/package.json`, `${JSON.stringify(typesOnly, null, 2)}\n`);
    files.set(`node_modules/${name}/index.d.ts`, text);
  }
  return files;
}

/**
 * The layer package's TypeScript declarations: tsc's declaration emit of layer/ and middleware/
 * (tsconfig.build.json), kept in memory. The tree keeps the source layout under `types/`, so
 * `types/middleware/index.d.ts` re-exports `../layer/index.js` exactly as the source does.
 */
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

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

/**
 * The two text files of the layer package besides code and types: its package.json, which maps
 * the four entry points to their JavaScript and declarations, and the notice of the third-party code
 * bundled in (Middy and Powertools are MIT / MIT-0; @aws/lambda-invoke-store is Apache-2.0).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundledPackage } from './layer-code.js';
import { TYPES_DIR } from './layer-types.js';

/** The fields of the project's package.json that the layer package repeats. */
interface ProjectManifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  engines?: Record<string, string>;
}

/** The file name of the third-party notice inside the package. */
export const THIRD_PARTY_NOTICE = 'THIRD-PARTY-LICENSES.txt';

/**
 * package.json of `nodejs/node_modules/lambda-shared-token/`. `types` conditions come first, as
 * TypeScript requires; `typesVersions` serves TypeScript users still on `moduleResolution: node`,
 * which ignores `exports`. No dependencies: everything but the runtime's SDK is bundled.
 */
export function layerPackageJson(projectRoot: string): string {
  const project = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as ProjectManifest;
  const manifest = {
    name: project.name,
    version: project.version,
    description: project.description,
    license: project.license,
    type: 'module',
    engines: project.engines ?? { node: '>=20' },
    exports: {
      '.': { types: `./${TYPES_DIR}/layer/index.d.ts`, import: './dist/index.js' },
      './middleware': { types: `./${TYPES_DIR}/middleware/index.d.ts`, import: './dist/middleware.js' },
      './advanced': { types: `./${TYPES_DIR}/layer/advanced.d.ts`, import: './dist/advanced.js' },
      './testing': { types: `./${TYPES_DIR}/testing/index.d.ts`, import: './dist/testing.js' },
      './package.json': './package.json',
    },
    types: `./${TYPES_DIR}/layer/index.d.ts`,
    typesVersions: {
      '*': {
        middleware: [`./${TYPES_DIR}/middleware/index.d.ts`],
        advanced: [`./${TYPES_DIR}/layer/advanced.d.ts`],
        testing: [`./${TYPES_DIR}/testing/index.d.ts`],
      },
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Name, version, licence and source of every bundled package, with the licence files it ships. */
export function thirdPartyNotice(packages: readonly BundledPackage[]): string {
  const sections = packages.map((pkg) => {
    const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as {
      version?: string;
      license?: string;
      homepage?: string;
      repository?: string | { url?: string };
    };
    const source =
      typeof manifest.repository === 'string'
        ? manifest.repository
        : (manifest.repository?.url ?? manifest.homepage);
    const lines = [`${pkg.name}@${manifest.version ?? '?'} (${manifest.license ?? 'see its package'})`];
    if (source !== undefined) lines.push(source);
    const licenceFiles = readdirSync(pkg.dir)
      .filter((file) => /^(licen[cs]e|notice)/i.test(file))
      .sort();
    for (const file of licenceFiles) lines.push('', readFileSync(join(pkg.dir, file), 'utf8').trimEnd());
    return lines.join('\n');
  });
  const header = 'Third-party code bundled into lambda-shared-token (dist/), with its licences.';
  return `${[header, ...sections].join(`\n\n${'-'.repeat(78)}\n\n`)}\n`;
}

/**
 * Some packages of this checkout's node_modules and everything they depend on, as a directory of
 * symlinks: the stand-in for what the Lambda runtime provides (/var/runtime/node_modules holds
 * the SDK), without putting the checkout's whole node_modules within reach of the code under test.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * The top-level packages of `<projectRoot>/node_modules` that `roots` need, themselves included,
 * following `dependencies`, and `optionalDependencies` / `peerDependencies` where installed.
 * Copies nested inside a package (`a/node_modules/b`) come with that package, so are not listed.
 */
export function packageClosure(projectRoot: string, roots: readonly string[]): string[] {
  const nodeModules = join(projectRoot, 'node_modules');
  const topLevel = new Set<string>();
  const visited = new Set<string>();
  const visit = (name: string, fromDir: string, required: boolean): void => {
    const dir = findPackageDir(name, fromDir, projectRoot);
    if (dir === undefined) {
      if (required) throw new Error(`package ${name} (needed from ${fromDir}) is not installed`);
      return;
    }
    if (visited.has(dir)) return;
    visited.add(dir);
    if (dir === join(nodeModules, name)) topLevel.add(name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, true);
    for (const dependency of Object.keys({
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    })) {
      visit(dependency, dir, false);
    }
  };
  for (const root of roots) visit(root, projectRoot, true);
  return [...topLevel].sort();
}

/** Node's lookup: `<dir>/node_modules/<name>` from `fromDir` upwards, no higher than `stopAt`. */
function findPackageDir(name: string, fromDir: string, stopAt: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === stopAt || dirname(dir) === dir) return undefined;
  }
}

/** Creates `<targetNodeModules>/<name>` as a symlink to this checkout's copy, for every name. */
export function linkPackages(projectRoot: string, names: readonly string[], targetNodeModules: string): void {
  for (const name of names) {
    const link = join(targetNodeModules, name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(projectRoot, 'node_modules', name), link, 'dir');
  }
}

/**
 * The checkout the layer is built from. From source (Jest, tsc) the layer build's files are in
 * scripts/layer/; bundled (`make layer`, the bench) they are in .build/scripts/...: so look
 * upwards for the package.json named lambda-shared-token rather than a fixed number of levels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'lambda-shared-token';

/** The nearest directory at or above `from` whose package.json is named lambda-shared-token. */
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

/**
 * Module resolve hook: what the Lambda Node.js runtimes (18.x and later) add to Node's ES module
 * resolver. Plain Node ignores NODE_PATH for `import` (https://nodejs.org/api/esm.html#no-node_path);
 * Lambda's runtime "searches the folders listed in NODE_PATH when loading ES modules" (AWS Compute
 * Blog, "Node.js 18.x runtime now available in AWS Lambda"), which is how an ESM handler in
 * /var/task imports a package from a layer in /opt/nodejs/node_modules, and how that package's
 * own `import '@aws-sdk/...'` reaches the SDK in /var/runtime/node_modules.
 *
 * The order is CommonJS's: the usual node_modules walk upwards from the importing file first, and
 * only when it finds nothing, each NODE_PATH directory in turn. Only directories named
 * node_modules are searched here (Lambda's NODE_PATH also lists /var/runtime and /var/task, for
 * `require` of bare file names, which no ES module import of a package needs).
 */
import { existsSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SEARCH_DIRS = (process.env.NODE_PATH ?? '')
  .split(delimiter)
  .filter((dir) => isAbsolute(dir) && basename(dir) === 'node_modules');

/** `pkg`, `@scope/pkg/sub`: not relative, not absolute, not a URL, not a `#` import. */
function isBareSpecifier(specifier) {
  return !/^(\.{0,2}\/|#|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBareSpecifier(specifier)) throw error;
    const name = packageName(specifier);
    for (const dir of SEARCH_DIRS) {
      if (!existsSync(join(dir, name, 'package.json'))) continue;
      // Resolve as if imported from a file beside `dir`: the first node_modules Node looks in is
      // `dir` itself, where the package is, so its `exports` and conditions apply as usual.
      const parentURL = pathToFileURL(join(dirname(dir), 'node-path-search.mjs')).href;
      return nextResolve(specifier, { ...context, parentURL });
    }
    throw error;
  }
}

// `npm pack` / `npm publish` run this as `prepack`: the dist/ that package.json `exports` names.
//
// Why tsc and not esbuild: the npm package is a library, not a deployment. tsc writes one .js and
// one .d.ts per source file of layer/, middleware/ and testing/ (tsconfig.build.json), at the
// paths of the source tree, with every package import left as an import. So npm resolves Middy,
// Powertools and the SDK from the user's node_modules (one copy of each, shared with the user's
// own code), the user's bundler tree-shakes per file, and the declarations are tsc's own, checked
// by the same compiler that built the JavaScript. The layer is the other build
// (scripts/layer/layer-code.ts): esbuild, everything but @aws-sdk/* bundled, for there is no
// node_modules in /opt but the layer's own.
//
// Which packages are dependencies, which peers, and why: scripts/package/README.md.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(projectRoot, 'dist');

// A clean dist/: `files` ships all of it, so a file left by an earlier build would be shipped too.
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(projectRoot, 'tsconfig.build.json')], {
  cwd: projectRoot,
  stdio: 'inherit',
});
if (compiled.status !== 0) {
  console.error('build-dist: tsc -p tsconfig.build.json failed; nothing to pack');
  process.exit(compiled.status ?? 1);
}

// Every file `exports` names must exist: a missing one is the ERR_MODULE_NOT_FOUND a user would get.
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
const named = Object.values(manifest.exports).flatMap((target) =>
  typeof target === 'string' ? [target] : Object.values(target),
);
const binaries = Object.values(manifest.bin ?? {});
const missing = [...named, ...binaries].filter((file) => !existsSync(join(projectRoot, file)));
if (missing.length > 0) {
  console.error(`build-dist: package.json exports files the build did not write: ${missing.join(', ')}`);
  process.exit(1);
}

// The `bin` (cli/main.ts keeps its `#!/usr/bin/env node` through tsc): executable, as a file run
// from a checkout or a tarball unpacked by hand expects; npm sets the mode on install too.
for (const file of binaries) chmodSync(join(projectRoot, file), 0o755);

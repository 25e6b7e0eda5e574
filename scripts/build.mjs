// Bundles the simulator's entry points into .build/ so that every simulated Lambda
// container is a plain `node` process (no TypeScript loader in 200 children).
import { build } from 'esbuild';

await build({
  entryPoints: [
    'scripts/simulator/demo.ts',
    'scripts/simulator/container.ts',
    'scripts/chaos/chaos.ts',
    'scripts/soak/soak.ts',
    'scripts/bench/bench.ts',
    'scripts/bench/warm-path-worker.ts',
  ],
  outdir: '.build/scripts',
  outbase: 'scripts',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // The examples import the package by name, as a user's function does; here it is this checkout.
  alias: {
    'lambda-shared-token/middleware': './middleware/index.ts',
    'lambda-shared-token/advanced': './layer/advanced.ts',
    'lambda-shared-token/testing': './testing/index.ts',
    'lambda-shared-token': './layer/index.ts',
  },
  sourcemap: false,
  logLevel: 'warning',
});

// The operator command (cli/main.ts, package.json `bin`), as a user runs it: one file whose imports
// of the SDK resolve from node_modules; the tests run it as a child process.
await build({
  entryPoints: ['cli/main.ts'],
  outdir: '.build/cli',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: false,
  logLevel: 'warning',
});

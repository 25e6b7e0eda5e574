/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Native ESM (Middy 6 is ESM-only): run with `node --experimental-vm-modules`.
// @swc/jest strips the types; `tsc --noEmit` does the typechecking.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  },
] as const;

const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc as unknown as [string, Record<string, unknown>] },
  transformIgnorePatterns: ['/node_modules/(?!@middy)'],
  // Sources import with `.js` suffixes (NodeNext); map them back to the `.ts` files.
  // Examples import the package by name, as a user's function would.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^lambda-shared-token$': '<rootDir>/layer/index.ts',
    '^lambda-shared-token/middleware$': '<rootDir>/middleware/index.ts',
    '^lambda-shared-token/advanced$': '<rootDir>/layer/advanced.ts',
    '^lambda-shared-token/testing$': '<rootDir>/testing/index.ts',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Every line a test prints is scanned for the registered secrets; one hit fails the test.
  setupFilesAfterEnv: ['<rootDir>/test/support/secret-scan-setup.ts'],
  // Integration tests start Java and many child processes: keep 2 cores for them.
  maxWorkers: 2,
  testTimeout: 60_000,
};

export default config;

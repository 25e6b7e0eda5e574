/**
 * The dependencies go one way (docs/development.md, Layout): the core knows nothing of Middy, the tools or the
 * operator command (which uses the core alone), and
 * among the tools bench, chaos and soak use the simulator, which uses the alternatives and the
 * local stack, never the other way. The testing entry point builds on the core and the adapter, and
 * nothing a function loads imports it. Read from the import statements of the checkout's files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every .ts file below `folder`, as a path relative to the checkout. */
function sources(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(folder, file));
}

/** What `file` imports: package names as written, relative imports as paths from the checkout. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? path.join(path.dirname(file), specifier) : specifier,
  );
}

/** `file -> import` for every import of a file below `from` that starts with one of `forbidden`. */
function violations(from: string, forbidden: string[]): string[] {
  return sources(from).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((prefix) => target === prefix || target.startsWith(`${prefix}/`)))
      .map((target) => `${file} -> ${target}`),
  );
}

describe('imports go one way', () => {
  it('the core imports neither Middy, the adapter, the tools nor the tests', () => {
    expect(violations('layer', ['@middy', 'middleware', 'scripts', 'test', 'cli'])).toEqual([]);
  });

  it('the operator command builds on the core only: no Middy, adapter, tools, tests or examples', () => {
    expect(violations('cli', ['@middy', 'middleware', 'scripts', 'test', 'testing', 'examples'])).toEqual([]);
  });

  it('the local stack imports none of the tools that use it', () => {
    const users = ['simulator', 'alternatives', 'bench', 'chaos', 'soak'].map((tool) => `scripts/${tool}`);
    expect(violations('scripts/local-stack', users)).toEqual([]);
  });

  it('the simulator and the alternatives import none of bench, chaos and soak', () => {
    const users = ['bench', 'chaos', 'soak'].map((tool) => `scripts/${tool}`);
    expect([...violations('scripts/simulator', users), ...violations('scripts/alternatives', users)]).toEqual(
      [],
    );
  });

  it('the alternatives do not import the simulator that runs them', () => {
    expect(violations('scripts/alternatives', ['scripts/simulator'])).toEqual([]);
  });

  it('the layer build imports nothing of the benchmark', () => {
    expect(violations('scripts/layer', ['scripts/bench'])).toEqual([]);
  });

  it('the testing entry point imports the core and the adapter, never the tests, tools or examples', () => {
    expect(violations('testing', ['test', 'scripts', 'examples'])).toEqual([]);
  });

  it('neither the core, the adapter nor the tools import the testing entry point', () => {
    const testing = ['testing', 'lambda-shared-token/testing'];
    expect(['layer', 'middleware', 'scripts'].flatMap((folder) => violations(folder, testing))).toEqual([]);
  });

  it('finds the imports it checks (a scan that read nothing would pass every rule)', () => {
    expect(importsOf('layer/shared-token.ts')).toContain('layer/lease/token-manager.js');
    expect(importsOf('middleware/middy-secret-source.ts')).toContain('@middy/secrets-manager');
    expect(importsOf('testing/clear-shared-token-caches.ts')).toContain('@middy/util');
    expect(importsOf('testing/index.ts')).toContain('testing/in-memory-token-store.js');
    expect(importsOf('cli/main.ts')).toContain('cli/run-cli.js');
  });
});

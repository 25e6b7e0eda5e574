/**
 * The README's first screen shows a handler; `make typecheck` compiles examples/quick-start/handler.ts.
 * Kept the same text, the README's code is code that compiles against the current API.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe("the README's handler", () => {
  it('is examples/quick-start/handler.ts, word for word', () => {
    const firstTypeScript = /```ts\n([\s\S]*?)```/.exec(read('README.md'));

    expect(firstTypeScript?.[1]).toBe(read('examples/quick-start/handler.ts'));
  });
});

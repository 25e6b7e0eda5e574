/**
 * The tsconfig of a TypeScript Lambda project as the packaging tests build one: strict, NodeNext,
 * and `skipLibCheck: false`, so every .d.ts a user's compile reaches is checked (an import that
 * does not resolve is an error). `extra` adds compiler options of one test.
 */
export function strictUserTsconfig(extra: Record<string, unknown> = {}) {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      ...extra,
    },
    include: ['src'],
  };
}

/**
 * Which package a file or an import belongs to, as the layer build reports it: what each entry
 * point loads, what is bundled in (for the licence notice), what is left to the runtime.
 */

/** This project's own files, in every per-package figure of the layer build. */
export const OWN_PACKAGE = 'lambda-shared-token';

/** `@aws-sdk/client-dynamodb/dist/x` -> `@aws-sdk/client-dynamodb`; `esbuild` -> `esbuild`. */
export function packageOfSpecifier(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** An esbuild metafile input path -> the package it belongs to (the last `node_modules/` wins: nested copies). */
export function packageOfInput(input: string): string {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  return at === -1 ? OWN_PACKAGE : packageOfSpecifier(input.slice(at + marker.length));
}

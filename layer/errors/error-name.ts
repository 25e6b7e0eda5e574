/**
 * What a log line says about a caught error: its class name (`TokenStoreError`), or the type
 * of a thrown non-Error. Never the message, which may hold what a provider or the SDK echoed.
 */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The class of an AWS SDK failure, for our error messages: the AWS error name
 * (`ProvisionedThroughputExceededException`, `AccessDeniedException`), or for a network failure
 * the Node code (`ECONNREFUSED`, `ECONNRESET`). Never the SDK's message: it stays in `cause`.
 */
export function awsErrorName(error: unknown): string {
  // Duck-typed: an error from another realm (a test VM, a bundled SDK copy) fails instanceof.
  if (typeof error !== 'object' || error === null) return typeof error;
  const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
  const generic = name === undefined || name === 'Error';
  // Network failures surface as plain Errors with a Node code (ECONNREFUSED, ETIMEDOUT).
  if (generic && typeof code === 'string') return code;
  // The SDK's retry middleware rewraps a failure that is not `instanceof Error` (one from another
  // realm) as `new Error("AWS SDK error wrapper for <original>")`: the code survives in the text.
  if (generic && typeof message === 'string') {
    const wrapped = NODE_CODE_IN_WRAPPER.exec(message);
    if (wrapped) return wrapped[1]!;
  }
  return typeof name === 'string' ? name : 'Error';
}

const NODE_CODE_IN_WRAPPER = /^AWS SDK error wrapper for .*?\b(E[A-Z]{3,})\b/;

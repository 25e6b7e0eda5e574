/**
 * The class of an AWS SDK failure, for our error messages: the AWS error name
 * (`ProvisionedThroughputExceededException`, `AccessDeniedException`), or for a network failure
 * the Node code (`ECONNREFUSED`, `ECONNRESET`). Never the SDK's message, and never a name that is
 * not an identifier (`'Error'` instead): what it returns is printed in our messages.
 */
export function awsErrorName(error: unknown): string {
  // Duck-typed: an error from another realm (a test VM, a bundled SDK copy) fails instanceof.
  if (typeof error !== 'object' || error === null) return typeof error;
  try {
    const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
    const generic = name === undefined || name === 'Error';
    // Network failures surface as plain Errors with a Node code (ECONNREFUSED, ETIMEDOUT).
    if (generic && typeof code === 'string' && isIdentifier(code)) return code;
    // The SDK's retry middleware rewraps a failure that is not `instanceof Error` (one from another
    // realm) as `new Error("AWS SDK error wrapper for <original>")`: the code survives in the text.
    if (generic && typeof message === 'string') {
      const wrapped = NODE_CODE_IN_WRAPPER.exec(message);
      if (wrapped) return wrapped[1]!;
    }
    return typeof name === 'string' && isIdentifier(name) ? name : 'Error';
  } catch {
    // A throwing getter or a revoked proxy: this runs in catch blocks, it must answer.
    return 'Error';
  }
}

/**
 * True for what an error name or code looks like (`ThrottlingException`, `ECONNREFUSED`,
 * `ERR_INVALID_URL`, `UND_ERR_SOCKET`): a name or code that is not one (JSON, spaces, quotes) may
 * be input put in the wrong place, and is not repeated.
 */
export function isIdentifier(value: string): boolean {
  return IDENTIFIER.test(value);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$.]{0,99}$/;
const NODE_CODE_IN_WRAPPER = /^AWS SDK error wrapper for .*?\b(E[A-Z]{3,})\b/;

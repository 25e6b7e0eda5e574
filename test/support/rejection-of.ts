import { inspect } from 'node:util';

/**
 * The rejection of `promise`; fails the test when it resolves. Typed as an Error by default,
 * for the common case; pass `unknown` to inspect something that may not be one.
 */
export async function rejectionOf<T = Error>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/**
 * What `action` threw or rejected with; fails the test when it returns or resolves. A synchronous
 * throw counts the same as a rejection, for code that may fail before its first await.
 */
export const caught = (action: () => unknown): Promise<unknown> =>
  rejectionOf<unknown>((async () => action())());

/** Every way an error may reach a log line: what a secret must never appear in. */
export const renderings = (error: Error): string[] => [
  error.message,
  String(error),
  inspect(error, { depth: 5 }),
  JSON.stringify(error),
];

/** What `action` threw, synchronously; fails the test when it returns. Typed as an Error by default. */
export function thrownBy<T = Error>(action: () => unknown): T {
  try {
    action();
  } catch (error) {
    return error as T;
  }
  throw new Error('expected a throw, but the call returned');
}

/**
 * Every way an error may reach a log line, deep: message, `String`, JSON, `inspect` with hidden
 * properties, stack, and the cause alone. Joined, for one `not.toContain(secret)`.
 */
export function everyRendering(error: unknown): string {
  const asError = error as Error;
  return [
    asError.message,
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 10, showHidden: true }),
    String(asError.stack),
    String(asError.cause),
    inspect(asError.cause, { depth: 10, showHidden: true }),
  ].join('\n');
}

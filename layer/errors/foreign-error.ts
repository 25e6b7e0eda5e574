/**
 * What an error of ours keeps of an error that is not ours, its `cause`: the class of the failure,
 * never its text.
 *
 * A foreign error's message, stack and properties may quote what it was given: Node's fetch quotes
 * a URL with its credentials, `new URL` keeps the input, V8's JSON SyntaxError quotes the text (a
 * secret), an AWS SDK error keeps the answer's body in `$response`, an HTTP client keeps the
 * request. `util.inspect`, `JSON.stringify` and Powertools' `logger.error` print all of it, cause
 * chain included. So the SharedTokenError constructor replaces such a cause with a
 * {@link ForeignErrorCopy}: the name, the code, the HTTP status, the fault, and the causes (and
 * AggregateError `errors`) copied the same way. Readers that classify by `cause.name`,
 * `awsErrorName(cause)`, `cause.code` or `cause.$metadata.httpStatusCode` get what they read before.
 *
 * Names and codes are kept only when they are identifiers (`ThrottlingException`, `ECONNREFUSED`):
 * a value that someone put in an error's NAME is not recognised, but one in its message is dropped.
 */
import { awsErrorName, isIdentifier } from '../aws/aws-error-name.js';

/** A cause chain this deep is cut: real ones are 2 or 3 long, and a cycle would be endless. */
export const MAX_CAUSE_DEPTH = 8;
/** AggregateError `errors` copied, at most: Node's happy eyeballs gives one per address tried. */
const MAX_AGGREGATED = 10;
const CODE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const NOT_KEPT = 'original message not kept: it may quote input';

/** The AWS SDK's `$metadata`, numbers only (the request id is the service's, but not needed here). */
export interface ForeignMetadata {
  httpStatusCode?: number;
  attempts?: number;
  totalRetryDelay?: number;
}

/**
 * A foreign error reduced to what cannot quote input. Its `name` is the original's (so
 * `cause.name === 'TimeoutError'` still holds), its message only repeats the code and the status,
 * and its stack has no frames: the copy was made in our constructor, the frames would mislead.
 */
export class ForeignErrorCopy extends Error {
  // `declare`: set only when known, so a copy shows no `code: undefined`.
  /** The Node code (`ECONNREFUSED`, `ERR_INVALID_URL`) or AWS error code, when one is an identifier. */
  declare readonly code?: string;
  /** HTTP status, attempts and retry delay of an AWS SDK error. */
  declare readonly $metadata?: ForeignMetadata;
  /** `client` or `server`, for an AWS SDK error. */
  declare readonly $fault?: 'client' | 'server';
  /** An AggregateError's errors, copied the same way. */
  declare readonly errors?: readonly unknown[];

  constructor(
    name: string,
    fields: {
      code?: string;
      $metadata?: ForeignMetadata;
      $fault?: 'client' | 'server';
      errors?: readonly unknown[];
      cause?: unknown;
      kind?: string;
    },
  ) {
    const status = fields.$metadata?.httpStatusCode;
    const facts = [fields.code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean);
    const what = fields.kind === undefined ? NOT_KEPT : `${fields.kind} was thrown, not kept`;
    super(
      facts.length === 0 ? `(${what})` : `${facts.join(', ')} (${what})`,
      'cause' in fields ? { cause: fields.cause } : undefined,
    );
    // Own and enumerable, as an Error's `name` is not: Powertools and JSON.stringify show it too.
    this.name = name;
    const { code, $metadata, $fault, errors } = fields;
    Object.assign(this, {
      ...(code !== undefined && { code }),
      ...($metadata !== undefined && { $metadata }),
      ...($fault !== undefined && { $fault }),
      ...(errors !== undefined && { errors }),
    });
    this.stack = `${name}: ${this.message}`;
  }
}

/**
 * `cause` as an error of ours may hold it: itself when `isOurs(cause)` (already made safe when it
 * was built) or `undefined`, else a {@link ForeignErrorCopy}. Never throws: it runs in our errors'
 * constructors, inside catch blocks, on whatever was thrown (a revoked proxy, a throwing getter).
 */
export function foreignCause(cause: unknown, isOurs: (value: unknown) => boolean): unknown {
  return copy(cause, isOurs, 0);
}

function copy(value: unknown, isOurs: (value: unknown) => boolean, depth: number): unknown {
  if (value === undefined) return undefined;
  if (safely(() => isOurs(value), false)) return value;
  if (typeof value !== 'object' && typeof value !== 'function') {
    return new ForeignErrorCopy('Error', { kind: value === null ? 'null' : `a ${typeof value}` });
  }
  if (value === null) return new ForeignErrorCopy('Error', { kind: 'null' });
  const name = safely(() => nameOf(value), 'Error');
  const code = safely(() => codeOf(value, name), undefined);
  const $metadata = safely(() => metadataOf(value), undefined);
  const $fault = safely(() => faultOf(value), undefined);
  const deeper = depth + 1 < MAX_CAUSE_DEPTH;
  const errors = deeper ? safely(() => errorsOf(value, isOurs, depth), undefined) : undefined;
  const inner = deeper ? safely(() => read(value, 'cause'), undefined) : undefined;
  return new ForeignErrorCopy(name, {
    ...(code !== undefined && { code }),
    ...($metadata !== undefined && { $metadata }),
    ...($fault !== undefined && { $fault }),
    ...(errors !== undefined && { errors }),
    ...(inner !== undefined && { cause: copy(inner, isOurs, depth + 1) }),
  });
}

function nameOf(value: object): string {
  const name = read(value, 'name');
  return typeof name === 'string' && isIdentifier(name) ? name : 'Error';
}

/** The code `awsErrorName` would read (an own `code`, or one in an SDK wrapper's text) when it is not the name. */
function codeOf(value: object, name: string): string | undefined {
  const own = read(value, 'code');
  if (typeof own === 'string' && CODE.test(own)) return own;
  const classified = awsErrorName(value);
  return classified !== name && CODE.test(classified) ? classified : undefined;
}

function metadataOf(value: object): ForeignMetadata | undefined {
  const metadata = read(value, '$metadata');
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const kept: ForeignMetadata = {};
  for (const key of ['httpStatusCode', 'attempts', 'totalRetryDelay'] as const) {
    const number = read(metadata, key);
    if (typeof number === 'number' && Number.isSafeInteger(number) && number >= 0) kept[key] = number;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function faultOf(value: object): 'client' | 'server' | undefined {
  const fault = read(value, '$fault');
  return fault === 'client' || fault === 'server' ? fault : undefined;
}

function errorsOf(value: object, isOurs: (value: unknown) => boolean, depth: number): unknown[] | undefined {
  const errors = read(value, 'errors');
  if (!Array.isArray(errors)) return undefined;
  return errors.slice(0, MAX_AGGREGATED).map((item: unknown) => copy(item, isOurs, depth + 1));
}

function read(value: object, key: string): unknown {
  return (value as Record<string, unknown>)[key];
}

/** `read()`'s answer, or `fallback` when a getter or a proxy trap throws. */
function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

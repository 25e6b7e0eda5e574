/**
 * What the fuzz files share: the run parameters (seed and runs from the environment), the property
 * runner with its hang detector and input bounds, the "typed error" and "leaks a secret" checks, the
 * inputs no caller should send (pathological sizes and values, hostile objects) and the envelope
 * mutations. See README.md in this folder.
 *
 * No bound here is a time: a run is judged by what it does (does it settle, how large is its input),
 * never by how long a loaded machine took to do it.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { SharedTokenError } from 'lambda-shared-token';

/** A whole number from the environment, or `fallback` when the variable is unset. */
function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be a whole number (got "${raw}")`);
  return value;
}

/** Fixed by default so CI is deterministic; `FUZZ_SEED=... ` replays or explores another sequence. */
export const FUZZ_SEED = intFromEnv('FUZZ_SEED', 20_250_314);

/**
 * Turns of the event loop a run may take to settle before it counts as a hang: a count of work,
 * not a time. Every target here is in-process (no socket, no timer it waits on, no thread-pool
 * call), so a run settles within its first turn (README.md: all 8,721 of the default runs) however
 * busy the machine is; a run still pending after this many will never settle.
 */
export const HANG_TURNS = intFromEnv('FUZZ_HANG_TURNS', 100_000);

/**
 * The longest string the shared generators make (a huge input, or its JSON text with quotes
 * escaped): past the largest input any source hands the library (a Secrets Manager secret: 64 KiB;
 * a DynamoDB item: 400 KB), small enough that the slowest run does tens of milliseconds of work.
 * fuzz-support.test.ts holds the generators to it.
 */
export const MAX_INPUT_CHARS = 600_000;

/** The deepest nesting of JSON the generators make: far past the ~10,000 frames that overflow recursive code. */
export const MAX_JSON_DEPTH = 50_000;

/** Runs of one property: `FUZZ_RUNS` when set, else the property's own default. */
export function runsOf(defaultRuns: number): number {
  return intFromEnv('FUZZ_RUNS', defaultRuns);
}

/** The parameters of every fuzz run: no time limit, a hang is caught by `fuzzProperty`'s turn count. */
export function fuzzParameters(defaultRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: runsOf(defaultRuns) };
}

/**
 * A fuzz property: `check` returns (or resolves) when the input was handled well, and throws a
 * description of the defect otherwise. A run that has not settled after `hangTurns` turns of the
 * event loop fails as a hang.
 *
 * A synchronous hang cannot be caught from the same thread (no timer or turn comes while it
 * runs): the bounded input sizes are what keep a synchronous run short.
 */
export function fuzzProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => unknown,
  hangTurns = HANG_TURNS,
): fc.IAsyncPropertyWithHooks<[T]> {
  return fc.asyncProperty(arbitrary, async (input) => {
    await settlesWithin(() => check(input), hangTurns);
  });
}

/**
 * What `run` resolves to, or its rejection; rejects with "a hang" when it has not settled after
 * `turns` turns of the event loop. Each turn is one `setImmediate`: a run that awaits only
 * promises settles before the first one, and one that yields to the loop is counted per yield.
 */
export async function settlesWithin<T>(run: () => T | Promise<T>, turns: number): Promise<Awaited<T>> {
  let settled = false;
  const outcome = (async () => await run())().finally(() => {
    settled = true;
  });
  const watchdog = (async () => {
    for (let turn = 0; turn < turns; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return outcome;
    }
    throw new Error(`the run had not settled after ${turns} turns of the event loop: a hang`);
  })();
  return Promise.race([outcome, watchdog]);
}

/** The longest string and the deepest nesting in a generated value (plain data), walked without recursion. */
export function sizeOf(value: unknown): { longestString: number; depth: number } {
  let longestString = 0;
  let deepest = 0;
  const seen = new Set<object>();
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (depth > deepest) deepest = depth;
    if (typeof current === 'string' || current instanceof String) {
      longestString = Math.max(longestString, current.length);
      continue;
    }
    if (typeof current !== 'object' || current === null || ArrayBuffer.isView(current)) continue;
    if (seen.has(current)) continue;
    seen.add(current);
    const children =
      current instanceof Map
        ? [...current.keys(), ...current.values()]
        : current instanceof Set
          ? [...current]
          : Object.values(current);
    for (const child of children) {
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return { longestString, depth: deepest };
}

/** Runs a property with the fuzz parameters; throws fast-check's report (seed, path, counterexample). */
export async function assertFuzz<T>(
  property: fc.IAsyncPropertyWithHooks<[T]>,
  defaultRuns: number,
): Promise<void> {
  await fc.assert(property, fuzzParameters(defaultRuns) as fc.Parameters<[T]>);
}

/**
 * Runs a property that MUST fail (a planted bug) and returns the failure. Stops at the first
 * counterexample without shrinking it: only the detection is under test.
 */
export async function plantedFailure<T>(
  property: fc.IAsyncPropertyWithHooks<[T]>,
  defaultRuns: number,
): Promise<string> {
  const details = await fc.check(property, {
    ...(fuzzParameters(defaultRuns) as fc.Parameters<[T]>),
    endOnFailure: true,
  });
  if (!details.failed) {
    throw new Error(`the planted bug went unnoticed in ${details.numRuns} runs: the property cannot fail`);
  }
  const { errorInstance } = details;
  return errorInstance instanceof Error ? errorInstance.message : String(errorInstance);
}

/** What a call did: returned a value, or threw. */
export type Outcome<T> = { returned: true; value: T } | { returned: false; error: unknown };

export async function outcomeOf<T>(action: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { returned: true, value: await action() };
  } catch (error) {
    return { returned: false, error };
  }
}

/** `outcomeOf` for a synchronous call: what it returned or threw, without awaiting. */
export function outcomeOfSync<T>(action: () => T): Outcome<T> {
  try {
    return { returned: true, value: action() };
  } catch (error) {
    return { returned: false, error };
  }
}

/** A class of the library's typed errors (or a documented built-in one, see `documentedTypeError`). */
// biome-ignore lint/suspicious/noExplicitAny: any constructor of an Error subclass.
export type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * Throws a description unless `error` is a SharedTokenError of one of `allowed`. Any other throw
 * (TypeError, RangeError, SyntaxError, a string) escaping the function under test is a defect.
 */
export function expectTypedError(
  error: unknown,
  allowed: readonly ErrorClass[],
  documented: (error: unknown) => boolean = () => false,
): void {
  if (documented(error)) return;
  if (error instanceof SharedTokenError && allowed.some((type) => error instanceof type)) return;
  throw new Error(
    `untyped throw: expected ${allowed.map((type) => type.name).join(' or ')}, got ${describeThrown(error)}`,
  );
}

/** The kind of a thrown value and its message, for a failure report. */
export function describeThrown(error: unknown): string {
  // Duck-typed: Node's built-ins throw errors of the outer realm, which fail `instanceof Error`
  // inside Jest's VM context.
  const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  if (typeof name === 'string' && typeof message === 'string') return `${name} "${message.slice(0, 200)}"`;
  return `a thrown ${error === null ? 'null' : typeof error}`;
}

/**
 * A TypeError the function documents for an argument of the wrong type (encrypt/decrypt's
 * `tokenType`): allowed only with the message the code itself writes, so V8's own TypeErrors
 * ("Cannot read properties of undefined") still count as defects.
 */
export const documentedTypeError =
  (message: RegExp) =>
  (error: unknown): boolean =>
    error instanceof TypeError && message.test(error.message);

/**
 * Every way an error may reach a log line: message, stack, inspect (causes, fields), JSON, and
 * every string or byte array reachable from it (a logger may serialize any field, at any depth).
 */
export function renderingsOf(error: unknown): string[] {
  const asError = error as Error | null | undefined;
  let json: string;
  try {
    json = JSON.stringify(error) ?? '';
  } catch {
    json = '';
  }
  const texts = [
    String(asError?.message),
    String(asError?.stack),
    inspect(error, { depth: 8, showHidden: true }),
    json,
  ];
  collectTexts(error, texts, new Set(), 0);
  return texts;
}

function collectTexts(value: unknown, into: string[], seen: Set<object>, depth: number): void {
  if (typeof value === 'string') {
    into.push(value);
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return;
  seen.add(value);
  if (value instanceof Uint8Array || ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    into.push(
      bytes.toString('hex'),
      bytes.toString('base64'),
      bytes.toString('latin1'),
      [...bytes].join(','),
    );
    return;
  }
  for (const key of Reflect.ownKeys(value)) {
    collectTexts((value as Record<PropertyKey, unknown>)[key], into, seen, depth + 1);
  }
}

/**
 * The labels of the `secrets` some rendering of `error` contains. A byte secret is looked for as
 * hex, base64, raw text and the decimal list JSON gives a Buffer.
 */
export function leakedSecrets(error: unknown, secrets: Record<string, string | Uint8Array>): string[] {
  const text = renderingsOf(error).join('\n');
  return Object.entries(secrets)
    .filter(([, secret]) => {
      const forms =
        typeof secret === 'string'
          ? [secret]
          : [
              Buffer.from(secret).toString('hex'),
              Buffer.from(secret).toString('base64'),
              Buffer.from(secret).toString('latin1'),
              [...secret].join(','),
            ];
      return forms.some((form) => form.length >= 8 && text.includes(form));
    })
    .map(([label]) => label);
}

/** Throws naming what leaked; the secret itself is not repeated. */
export function expectNoLeak(error: unknown, secrets: Record<string, string | Uint8Array>): void {
  const leaked = leakedSecrets(error, secrets);
  if (leaked.length > 0) throw new Error(`the error shows the ${leaked.join(' and the ')}`);
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Numbers that break naive arithmetic and comparisons. */
export const specialNumber: fc.Arbitrary<number> = fc.constantFrom(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 32,
  -1,
);

/**
 * Sizes past the largest secret (Secrets Manager: 64 KiB) and the largest envelope (a DynamoDB
 * item: 400 KB), and far past any token answer; no larger, so that the slowest run (JSON.parse of
 * 410,000 unclosed brackets) stays at tens of milliseconds. Few distinct sizes, since each run
 * allocates one.
 */
export const hugeLength: fc.Arbitrary<number> = fc.constantFrom(70_000, 410_000);

/** Strings a caller should never send: huge, lone surrogates, NULs, control characters, unicode. */
export const pathologicalString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('\uD800', '\uDC00x', '\u0000', '\uFEFF', '\r\n', ' ', '=') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(hugeLength, fc.constantFrom('A', '=', '[', '{"a":', '\uD83D\uDD11', ' ', '0'))
      .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length))),
  },
);

const deepJson = fc.tuple(fc.integer({ min: 1_000, max: MAX_JSON_DEPTH }), fc.boolean());

function nestedJson(depth: number, asArray: boolean): string {
  return asArray
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** JSON text nested 1,000 to 50,000 levels deep: JSON.parse handles it, recursive code overflows the stack. */
export const deepJsonText: fc.Arbitrary<string> = deepJson.map(([depth, asArray]) =>
  nestedJson(depth, asArray),
);

/**
 * The value of a deep JSON text. It prints as its depth: fast-check's own printer recurses and
 * would overflow the stack on the counterexample it reports.
 */
export const deepJsonValue: fc.Arbitrary<unknown> = deepJson.map(([depth, asArray]) => {
  const value = JSON.parse(nestedJson(depth, asArray)) as object;
  Object.defineProperty(value, fc.toStringMethod, { value: () => `<JSON nested ${depth} deep>` });
  return value;
});

/** JSON objects holding keys that pollute prototypes when merged naively. */
export const prototypeKeysJsonText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'toJSON',
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([key, value]) => `{"${key}":${JSON.stringify(value)}}`);

/** Any value at all, the pathological ones weighted in; plain data only (see `hostileRecipe`). */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      withBigInt: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withSparseArray: true,
      withDate: true,
    }),
  },
  { weight: 2, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: specialNumber },
  { weight: 2, arbitrary: pathologicalString },
  { weight: 1, arbitrary: deepJsonValue },
  { weight: 1, arbitrary: prototypeKeysJsonText.map((text) => JSON.parse(text) as unknown) },
);

/** Any text, JSON or not, the pathological kinds weighted in. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.json() },
  { weight: 3, arbitrary: pathologicalString },
  { weight: 1, arbitrary: deepJsonText },
  { weight: 1, arbitrary: prototypeKeysJsonText },
  { weight: 1, arbitrary: anyValue.map(safeStringify) },
);

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return String(typeof value);
  }
}

/** Kinds of object that fight back when read. */
export type HostileKind =
  | 'throwing-getter'
  | 'throwing-proxy'
  | 'revoked-proxy'
  | 'cycle'
  | 'throwing-to-primitive'
  | 'null-prototype';

/**
 * A recipe for a hostile value: plain data that fast-check can generate, print and shrink. The
 * value itself is built inside the property (`buildHostile`), since fast-check's own inspection
 * of a generated value would trip a throwing proxy before the code under test sees it.
 */
export interface HostileRecipe {
  kind: HostileKind;
  /** Fields the hostile object answers with, under its traps. */
  fields: Record<string, unknown>;
}

export const hostileRecipe: fc.Arbitrary<HostileRecipe> = fc.record({
  kind: fc.constantFrom<HostileKind>(
    'throwing-getter',
    'throwing-proxy',
    'revoked-proxy',
    'cycle',
    'throwing-to-primitive',
    'null-prototype',
  ),
  fields: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
});

export function buildHostile({ kind, fields }: HostileRecipe): object {
  const boom = (): never => {
    throw new Error('hostile object');
  };
  switch (kind) {
    case 'throwing-getter': {
      const value = { ...fields };
      Object.defineProperty(value, 'trap', { enumerable: true, get: boom });
      return value;
    }
    case 'throwing-proxy':
      return new Proxy(
        { ...fields },
        { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom },
      );
    case 'revoked-proxy': {
      const { proxy, revoke } = Proxy.revocable({ ...fields }, {});
      revoke();
      return proxy;
    }
    case 'cycle': {
      const value: Record<string, unknown> = { ...fields };
      value.self = value;
      value.list = [value, [value]];
      return value;
    }
    case 'throwing-to-primitive':
      return { ...fields, toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom };
    case 'null-prototype':
      return Object.assign(Object.create(null) as object, fields);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope mutations

/** One alteration of an envelope's bytes; positions are taken modulo the length. */
export type ByteMutation =
  | { kind: 'flip-bit'; at: number; bit: number }
  | { kind: 'xor-byte'; at: number; mask: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'extend'; extra: Uint8Array }
  | { kind: 'swap'; i: number; j: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const position = fc.nat({ max: 1 << 20 });

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip-bit' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('xor-byte' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: position }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('swap' as const), i: position, j: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 32 }) }),
);

/** The bytes with the mutation applied (a new buffer; may equal the original, e.g. a swap of equal bytes). */
export function mutateBytes(original: Buffer, mutation: ByteMutation): Buffer {
  const bytes = Buffer.from(original);
  const at = (index: number) => index % Math.max(bytes.length, 1);
  switch (mutation.kind) {
    case 'flip-bit':
      if (bytes.length > 0) bytes[at(mutation.at)]! ^= 1 << mutation.bit;
      return bytes;
    case 'xor-byte':
      if (bytes.length > 0) bytes[at(mutation.at)]! ^= mutation.mask;
      return bytes;
    case 'truncate':
      return bytes.subarray(0, mutation.keep % Math.max(bytes.length, 1));
    case 'extend':
      return Buffer.concat([bytes, mutation.extra]);
    case 'swap': {
      const i = at(mutation.i);
      const j = at(mutation.j);
      [bytes[i], bytes[j]] = [bytes[j]!, bytes[i]!];
      return bytes;
    }
    case 'insert': {
      const i = mutation.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, i), mutation.bytes, bytes.subarray(i)]);
    }
    case 'delete': {
      const i = at(mutation.at);
      return Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + mutation.count)]);
    }
  }
}

/** One alteration of an envelope's base64 text. */
export type TextMutation =
  | { kind: 'bytes'; mutation: ByteMutation }
  | { kind: 'insert-text'; at: number; text: string }
  | { kind: 'url-safe-alphabet' }
  | { kind: 'strip-padding' }
  | { kind: 'add-padding'; padding: string }
  | { kind: 'non-canonical-tail'; bits: number }
  | { kind: 'flip-case'; at: number }
  | { kind: 'double-encode' }
  | { kind: 'replace'; text: string };

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('bytes' as const), mutation: byteMutation }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert-text' as const),
      at: position,
      text: fc.oneof(
        fc.constantFrom(' ', '\n', '\r\n', '\t', '=', '==', '.', '-', '_', '\u0000', 'é', '\uFF21', '\uD800'),
        fc.string({ minLength: 1, maxLength: 4 }),
      ),
    }),
  },
  fc.constant({ kind: 'url-safe-alphabet' as const }),
  fc.constant({ kind: 'strip-padding' as const }),
  fc.record({
    kind: fc.constant('add-padding' as const),
    padding: fc.constantFrom('=', '==', '===', '===='),
  }),
  fc.record({ kind: fc.constant('non-canonical-tail' as const), bits: fc.integer({ min: 1, max: 15 }) }),
  fc.record({ kind: fc.constant('flip-case' as const), at: position }),
  fc.constant({ kind: 'double-encode' as const }),
  fc.record({ kind: fc.constant('replace' as const), text: anyText }),
);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The text with the mutation applied; may equal the original (the property then skips it). */
export function mutateText(original: string, mutation: TextMutation): string {
  switch (mutation.kind) {
    case 'bytes':
      return mutateBytes(Buffer.from(original, 'base64'), mutation.mutation).toString('base64');
    case 'insert-text': {
      const i = mutation.at % (original.length + 1);
      return original.slice(0, i) + mutation.text + original.slice(i);
    }
    case 'url-safe-alphabet':
      return original.replaceAll('+', '-').replaceAll('/', '_');
    case 'strip-padding':
      return original.replace(/=+$/, '');
    case 'add-padding':
      return original + mutation.padding;
    case 'non-canonical-tail': {
      // The last character before the padding carries 2 (==) or 4 (=) unused bits; setting one
      // keeps Buffer.from decoding the same bytes, which only a canonical check notices.
      const padding = original.length - original.replace(/=+$/, '').length;
      if (padding === 0) return original;
      const unused = padding === 2 ? 0b1111 : 0b11;
      const i = original.length - padding - 1;
      const value = ALPHABET.indexOf(original[i]!) ^ (mutation.bits & unused || 1);
      return original.slice(0, i) + ALPHABET[value] + original.slice(i + 1);
    }
    case 'flip-case': {
      const i = mutation.at % Math.max(original.length, 1);
      const char = original[i] ?? '';
      const flipped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
      return original.slice(0, i) + flipped + original.slice(i + 1);
    }
    case 'double-encode':
      return Buffer.from(original).toString('base64');
    case 'replace':
      return mutation.text;
  }
}

/** Tokens and salts: long enough that finding one in a message cannot be a coincidence. */
export const secretText = (minLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', minLength, maxLength: 64 });

/** tokenTypes as the library writes them: a provider, or `provider#tenant`. */
export const tokenType: fc.Arbitrary<string> = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9._:/@+-]{1,24}$/),
    fc.option(fc.stringMatching(/^[A-Za-z0-9._:/@+-]{1,24}$/), { nil: undefined }),
  )
  .map(([provider, tenant]) => (tenant === undefined ? provider : `${provider}#${tenant}`));

/**
 * Fuzzing the error classifiers: how an error from the caller's API call is read (httpStatusOf,
 * isRateLimitError, isTokenRejection, SalesforceApiError.from), how our own errors are told
 * apart (isSharedTokenError), and how a KMS failure becomes DecryptError ("not ours": the token
 * counts as missing) or KmsError (an outage: never "missing"). The classifiers run in a catch
 * block, on anything a handler threw: they answer for every value, hostile objects included,
 * and never throw.
 */
import { DecryptCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  DecryptError,
  httpStatusOf,
  isRateLimitError,
  isSharedTokenError,
  isTokenRejection,
  KmsError,
  SalesforceApiError,
  TokenRefreshError,
} from 'lambda-shared-token';
import { KmsCipher } from 'lambda-shared-token/advanced';
import {
  anyText,
  anyValue,
  assertFuzz,
  buildHostile,
  describeThrown,
  expectTypedError,
  fuzzProperty,
  type HostileRecipe,
  hostileRecipe,
  outcomeOf,
  pathologicalString,
  plantedFailure,
  specialNumber,
} from './fuzz-support.js';

/** One field of a generated error: plain data, a hostile object, or a nested shape. */
type Slot =
  | { tag: 'value'; value: unknown }
  | { tag: 'hostile'; recipe: HostileRecipe }
  | { tag: 'shape'; shape: Shape };
type Shape = Record<string, Slot>;

/** The places HTTP clients put a status, an error code or a body. */
const ERROR_KEYS = [
  'statusCode',
  'status',
  '$metadata',
  'httpStatusCode',
  'response',
  'errorCode',
  'code',
  'body',
  'data',
  'message',
  'name',
  'error',
  '__proto__',
] as const;

const statusLike = fc.oneof(
  fc.constantFrom(401, 403, 429, 200, 500, '401', '403', '429', ' 401', '4O1', 401.5),
  fc.integer({ min: -1000, max: 1000 }),
  specialNumber,
);

const rateLimitText = fc.constantFrom(
  'REQUEST_LIMIT_EXCEEDED',
  'x REQUEST_LIMIT_EXCEEDED y',
  'request_limit_exceeded',
);

const slot: fc.Memo<Slot> = fc.memo((depth) => {
  const leaves: fc.Arbitrary<Slot>[] = [
    fc.record({
      tag: fc.constant('value' as const),
      value: fc.oneof(statusLike, rateLimitText, anyValue, pathologicalString),
    }),
    fc.record({ tag: fc.constant('hostile' as const), recipe: hostileRecipe }),
  ];
  if (depth <= 1) return fc.oneof(...leaves);
  return fc.oneof(...leaves, fc.record({ tag: fc.constant('shape' as const), shape: shape(depth - 1) }));
});

const shape = (depth: number): fc.Arbitrary<Shape> =>
  fc.dictionary(fc.constantFrom(...ERROR_KEYS), slot(depth), { maxKeys: 5 });

function buildSlot(value: Slot): unknown {
  if (value.tag === 'value') return value.value;
  if (value.tag === 'hostile') return buildHostile(value.recipe);
  return buildShape(value.shape, false);
}

function buildShape(fields: Shape, asError: boolean): object {
  const target: object = asError ? new Error('api call failed') : {};
  for (const [key, value] of Object.entries(fields)) {
    Object.defineProperty(target, key, {
      value: buildSlot(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return target;
}

/** Anything a handler can throw: a shaped object or Error, a hostile object, or any value. */
type Thrown =
  | { tag: 'shape'; shape: Shape; asError: boolean }
  | { tag: 'hostile'; recipe: HostileRecipe }
  | { tag: 'value'; value: unknown };

const thrown: fc.Arbitrary<Thrown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ tag: fc.constant('shape' as const), shape: shape(3), asError: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ tag: fc.constant('hostile' as const), recipe: hostileRecipe }) },
  {
    weight: 2,
    arbitrary: fc.record({ tag: fc.constant('value' as const), value: fc.oneof(anyValue, anyText) }),
  },
);

function buildThrown(value: Thrown): unknown {
  if (value.tag === 'shape') return buildShape(value.shape, value.asError);
  if (value.tag === 'hostile') return buildHostile(value.recipe);
  return value.value;
}

/** The three classifiers of rejection.ts, replaceable by planted bugs. */
interface Classifiers {
  httpStatusOf: (error: unknown) => unknown;
  isRateLimitError: (error: unknown) => unknown;
  isTokenRejection: (error: unknown) => unknown;
}

const real: Classifiers = { httpStatusOf, isRateLimitError, isTokenRejection };

/** For anything thrown: a status in 100..599 or none, booleans, and a rejection only for 401/403 not rate-limited. */
function classifiersAnswerForAnything(classify: Classifiers) {
  return fuzzProperty(thrown, (recipe) => {
    const error = buildThrown(recipe);
    const answer = <T>(name: keyof Classifiers): T => {
      try {
        return classify[name](error) as T;
      } catch (cause) {
        throw new Error(`${name} threw ${describeThrown(cause)}`);
      }
    };
    const status = answer<unknown>('httpStatusOf');
    if (
      status !== undefined &&
      !(Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599)
    ) {
      throw new Error(`httpStatusOf answered ${String(status)}, not an HTTP status`);
    }
    const rateLimited = answer<unknown>('isRateLimitError');
    const rejected = answer<unknown>('isTokenRejection');
    if (typeof rateLimited !== 'boolean' || typeof rejected !== 'boolean')
      throw new Error('a predicate answered a non-boolean');
    if (rejected && (rateLimited || (status !== 401 && status !== 403))) {
      throw new Error(
        `isTokenRejection said yes to status ${String(status)}${rateLimited ? ', rate-limited' : ''}`,
      );
    }
    if (status === 429 && !rateLimited) throw new Error('HTTP 429 is not seen as a rate limit');
  });
}

/** Where the docs say a quota code may sit, and the shapes APIs wrap it in (Salesforce: an array of objects). */
const PLACES = [
  ['errorCode'],
  ['code'],
  ['body'],
  ['data'],
  ['response', 'data'],
  ['response', 'body'],
  ['message'],
] as const;

/** An error carrying REQUEST_LIMIT_EXCEEDED at one documented place, 0 to 2 levels into its value. */
const rateLimitedError = fc.record({
  place: fc.constantFrom(...PLACES),
  wrapping: fc.constantFrom('text', 'salesforce-array', 'error-object', 'in-sentence'),
  status: fc.constantFrom(403, 429, undefined),
  noise: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), recipe: hostileRecipe }), { maxLength: 3 }),
});

function buildRateLimited({
  place,
  wrapping,
  status,
  noise,
}: typeof rateLimitedError extends fc.Arbitrary<infer T> ? T : never): object {
  const code = 'REQUEST_LIMIT_EXCEEDED';
  const wrapped =
    wrapping === 'text'
      ? code
      : wrapping === 'in-sentence'
        ? `Salesforce says ${code}: try later`
        : wrapping === 'salesforce-array'
          ? [{ message: 'TotalRequests Limit exceeded.', errorCode: code }]
          : { error: { errorCode: code } };
  const leaf: Record<string, unknown> = {};
  // Hostile siblings: reading them must not hide the code, nor throw.
  for (const { key, recipe } of noise)
    if (!PLACES.some(([first]) => first === key)) leaf[key] = buildHostile(recipe);
  const error: Record<string, unknown> = { ...leaf, ...(status !== undefined && { statusCode: status }) };
  if (place.length === 1)
    error[place[0]] = typeof wrapped === 'string' || place[0] !== 'message' ? wrapped : code;
  else error[place[0]] = { [place[1]]: wrapped };
  return error;
}

function rateLimitCodesAreSeen(classify: Classifiers) {
  return fuzzProperty(rateLimitedError, (recipe) => {
    const error = buildRateLimited(recipe);
    if (classify.isRateLimitError(error) !== true) {
      throw new Error(`a quota code at ${recipe.place.join('.')} (${recipe.wrapping}) is not seen`);
    }
    if (classify.isTokenRejection(error) !== false)
      throw new Error('a rate-limited 403 counts as a token rejection');
  });
}

describe('the error classifiers under fuzzing', () => {
  it('httpStatusOf, isRateLimitError and isTokenRejection answer for anything thrown, hostile objects included', async () => {
    await assertFuzz(classifiersAnswerForAnything(real), 1000);
  });

  it('sees REQUEST_LIMIT_EXCEEDED wherever the docs say it may be, next to hostile fields', async () => {
    await assertFuzz(rateLimitCodesAreSeen(real), 300);
  });

  it('isSharedTokenError answers a boolean for any value and any name, and knows our own errors', async () => {
    const ours = fc.constantFrom(
      () => new DecryptError('x'),
      () => new KmsError('x', 'Decrypt'),
      () => new TokenRefreshError('x', 'salesforce'),
    );
    const input = fc.record({
      value: thrown,
      name: fc.option(fc.oneof(fc.string(), fc.constantFrom('DecryptError', 'KmsError')), { nil: undefined }),
      ours,
    });
    const property = fuzzProperty(input, ({ value, name, ours: make }) => {
      const error = buildThrown(value);
      const answer = isSharedTokenError(error, name);
      if (typeof answer !== 'boolean') throw new Error('isSharedTokenError answered a non-boolean');
      if (answer && !(error instanceof Error)) throw new Error('isSharedTokenError said yes to a non-Error');
      const own = make();
      if (isSharedTokenError(own, name) !== (name === undefined || name === own.name)) {
        throw new Error(`isSharedTokenError misjudged a ${own.name} asked for ${String(name)}`);
      }
    });
    await assertFuzz(property, 400);
  });

  it('SalesforceApiError.from reads any error body into a status and a safe errorCode, and the rejection follows', async () => {
    const body = fc.oneof(
      fc
        .constantFrom('INVALID_SESSION_ID', 'REQUEST_LIMIT_EXCEEDED', 'invalid session', 'A'.repeat(65))
        .map((errorCode) => JSON.stringify([{ message: 'secret-token-in-message', errorCode }])),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      anyText,
    );
    // 204, 205 and 304 carry no body: the Response constructor refuses one.
    const status = fc.integer({ min: 200, max: 599 }).filter((code) => ![204, 205, 304].includes(code));
    const input = fc.record({ status, body });
    const property = fuzzProperty(input, async ({ status, body: text }) => {
      const error = await SalesforceApiError.from(new Response(text, { status }));
      if (!(error instanceof SalesforceApiError) || error.statusCode !== status)
        throw new Error('wrong status');
      if (error.errorCode !== undefined && !/^[A-Z_]{1,64}$/.test(error.errorCode))
        throw new Error('errorCode not safe');
      if (error.message.includes('secret-token-in-message')) throw new Error('the message quotes the body');
      const expected = (status === 401 || status === 403) && error.errorCode !== 'REQUEST_LIMIT_EXCEEDED';
      if (isTokenRejection(error) !== expected)
        throw new Error(`isTokenRejection misjudged ${status} ${error.errorCode}`);
    });
    await assertFuzz(property, 300);
  });

  it('a KMS failure is DecryptError only when KMS says "not ours", else KmsError, whatever it throws', async () => {
    const failure = fc.oneof(
      fc.record({
        name: fc.oneof(
          fc.constantFrom(
            'InvalidCiphertextException',
            'IncorrectKeyException',
            'ThrottlingException',
            'AccessDeniedException',
            'Error',
          ),
          fc.string(),
          anyValue,
        ),
        code: fc.option(fc.oneof(fc.constantFrom('ECONNREFUSED', 'ETIMEDOUT'), anyValue), { nil: undefined }),
        asError: fc.boolean(),
      }),
      anyValue.map((value) => ({ value })),
    );
    const property = fuzzProperty(failure, async (fault) => {
      const rejection =
        'value' in fault
          ? fault.value
          : Object.assign(fault.asError ? new Error('kms failed') : {}, {
              name: fault.name,
              ...(fault.code !== undefined && { code: fault.code }),
            });
      let decrypting = false;
      const client = {
        send: async (command: unknown) => {
          decrypting = command instanceof DecryptCommand;
          throw rejection;
        },
      };
      const cipher = new KmsCipher({ keyId: 'alias/fuzz', client: client as never });
      const encrypted = await outcomeOf(() => cipher.encrypt('token', 'salesforce'));
      if (encrypted.returned) throw new Error('encrypt returned without a data key');
      expectTypedError(encrypted.error, [KmsError]);
      // A syntactically valid version 2 envelope, so decrypt reaches KMS.
      const envelope = Buffer.concat([Buffer.from([2, 0, 4]), Buffer.alloc(4 + 12 + 16, 7)]).toString(
        'base64',
      );
      const decrypted = await outcomeOf(() => cipher.decrypt(envelope, 'salesforce'));
      if (decrypted.returned || !decrypting) throw new Error('decrypt did not ask KMS, or returned');
      const name = (rejection as { name?: unknown } | null)?.name;
      const notOurs = name === 'InvalidCiphertextException' || name === 'IncorrectKeyException';
      expectTypedError(decrypted.error, [notOurs ? DecryptError : KmsError]);
      if (!notOurs && decrypted.error instanceof DecryptError)
        throw new Error('a KMS outage was read as "not ours"');
    });
    await assertFuzz(property, 300);
  });
});

describe('the classifier properties catch planted bugs', () => {
  it('catches a classifier that reads nested fields without guarding', async () => {
    const naive: Classifiers = {
      ...real,
      isTokenRejection: (error) => (error as { response: { status: number } }).response.status === 401,
    };
    expect(await plantedFailure(classifiersAnswerForAnything(naive), 300)).toMatch(
      /isTokenRejection threw TypeError/,
    );
  });

  it('catches a classifier that calls a 403 about quotas a token rejection', async () => {
    const quotaBlind: Classifiers = {
      ...real,
      isTokenRejection: (error) => [401, 403].includes(httpStatusOf(error) ?? 0),
    };
    expect(await plantedFailure(classifiersAnswerForAnything(quotaBlind), 1000)).toMatch(
      /isTokenRejection said yes .* rate-limited/,
    );
  });

  it('catches a rate-limit check that looks at the status alone', async () => {
    const statusOnly: Classifiers = { ...real, isRateLimitError: (error) => httpStatusOf(error) === 429 };
    expect(await plantedFailure(rateLimitCodesAreSeen(statusOnly), 300)).toMatch(
      /quota code at .* is not seen/,
    );
  });

  it('catches a status reader that believes any number', async () => {
    const credulous: Classifiers = {
      ...real,
      httpStatusOf: (error) => (error as { status?: unknown } | null)?.status,
    };
    expect(await plantedFailure(classifiersAnswerForAnything(credulous), 300)).toMatch(
      /httpStatusOf (answered|threw)/,
    );
  });
});

/**
 * No secret in anything thrown or logged. Every error class the layer exports
 * (every subclass of SharedTokenError, found in the module's exports, so a class added later is
 * covered) is built with realistic arguments and a foreign cause whose message, stack and extra
 * properties hold registered secrets, then rendered the ways errors reach a log: util.inspect,
 * JSON.stringify, String and stack, and a Powertools Logger's `logger.error`. None may show a secret.
 *
 * Failures name the class, the cause, the rendering and the secret's label, never the text:
 * printing it would leak the secret into the test output (the secret scan would fail it too).
 */
import { inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as layer from 'lambda-shared-token';
import { testSecret } from '../support/test-secrets.js';

const { SharedTokenError } = layer;

const SECRETS = {
  urlPassword: testSecret('urlPassword'),
  clientSecret: testSecret('clientSecret'),
  salt: testSecret('salt'),
  accessToken: testSecret('accessToken'),
  refreshToken: testSecret('refreshToken'),
  stackSecret: testSecret('stackSecret'),
  thrownString: testSecret('thrownString'),
};
type Label = keyof typeof SECRETS;

const TOKEN_TYPE = 'salesforce';
const TABLE = 'acme-prod-access-tokens';
const SECRET_NAME = '/prod/orders/oauth/salesforce';

/** What Node's fetch throws for a token URL that carries credentials (found by this test). */
async function fetchCredentialsError(): Promise<unknown> {
  const url = `https://client:${SECRETS.urlPassword}@login.example.test/services/oauth2/token`;
  try {
    // Refused while the Request is built: no connection is attempted.
    await fetch(url, { method: 'POST' });
  } catch (error) {
    return error;
  }
  throw new Error('fetch accepted a URL with credentials');
}

function invalidUrlError(): unknown {
  try {
    new URL(`https://client:${SECRETS.urlPassword}@[token-endpoint`);
  } catch (error) {
    return error; // A TypeError with code ERR_INVALID_URL and the URL in `input`.
  }
  throw new Error('the URL parsed');
}

function jsonSyntaxError(): unknown {
  try {
    JSON.parse(`${SECRETS.clientSecret}}`);
  } catch (error) {
    return error; // V8 quotes the text: `Unexpected token ... "<the text>" is not valid JSON`.
  }
  throw new Error('the text parsed');
}

/** The foreign failures a layer error may wrap, each carrying secrets in its text or properties. */
async function foreignCauses(): Promise<Record<string, unknown>> {
  const sdk = new ProvisionedThroughputExceededException({
    message: `Rate exceeded for item {"accessToken":"${SECRETS.accessToken}"}`,
    $metadata: { httpStatusCode: 400, requestId: 'REQ1', attempts: 3, totalRetryDelay: 250 },
  });
  Object.assign(sdk, {
    $response: {
      statusCode: 400,
      headers: { 'x-amzn-requestid': 'REQ1' },
      body: `{"__type":"ProvisionedThroughputExceededException","item":"${SECRETS.accessToken}"}`,
    },
  });
  // A 2xx answer that failed to deserialize: the SDK keeps the body, which is the secret.
  const deserialization = Object.assign(jsonSyntaxError() as Error, {
    $metadata: { httpStatusCode: 200 },
    $response: { statusCode: 200, body: `{"SecretString":"{\\"salt\\":\\"${SECRETS.salt}\\"}"}` },
    $responseBodyText: `{"SecretString":"{\\"salt\\":\\"${SECRETS.salt}\\"}"}`,
  });
  const axiosLike = Object.assign(new Error(`Request failed with status code 400`), {
    code: 'ERR_BAD_REQUEST',
    config: { data: `grant_type=refresh_token&refresh_token=${SECRETS.refreshToken}` },
    response: { status: 400, data: { echoed: SECRETS.clientSecret } },
  });
  const withStack = new Error('boom');
  withStack.stack = `Error: boom\n    at token (${SECRETS.stackSecret})`;
  const refused = Object.assign(
    new AggregateError(
      [Object.assign(new Error(`connect ECONNREFUSED ${SECRETS.urlPassword}`), { code: 'ECONNREFUSED' })],
      `connect to ${SECRETS.urlPassword}`,
    ),
    { code: 'ECONNREFUSED' },
  );
  const nested = new Error('outer', {
    cause: new Error(`middle ${SECRETS.clientSecret}`, {
      cause: { message: `inner ${SECRETS.refreshToken}`, token: SECRETS.accessToken },
    }),
  });
  const oddName = Object.assign(new Error('x'), {
    name: `{"client_secret":"${SECRETS.clientSecret}"}`,
    code: `token=${SECRETS.accessToken}`,
  });
  const cyclic = new Error(`cyclic ${SECRETS.salt}`) as Error & { cause?: unknown };
  cyclic.cause = cyclic;
  return {
    'fetch TypeError quoting https://user:SECRET@host': await fetchCredentialsError(),
    'TypeError ERR_INVALID_URL with the URL in input': invalidUrlError(),
    'AWS SDK error with $response body': sdk,
    'SyntaxError of a 2xx body with $responseBodyText': deserialization,
    'axios-like error with config and response': axiosLike,
    'error whose stack holds a secret': withStack,
    'AggregateError ECONNREFUSED': refused,
    'nested cause chain': nested,
    'error with a name and code that are not identifiers': oddName,
    'error that is its own cause': cyclic,
    'a thrown string': SECRETS.thrownString,
    'a thrown object': { message: SECRETS.clientSecret, code: 'ECONNRESET' },
  };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Realistic arguments for each class; `cause` goes where the class takes one. */
const FACTORIES: Record<string, (cause: unknown) => Error> = {
  SharedTokenError: (cause) => new layer.SharedTokenError('something failed', { cause }),
  ConfigurationError: (cause) =>
    new layer.ConfigurationError('option "tokenUrl" must be an https URL', { cause }),
  SecretError: (cause) =>
    new layer.SecretError(`could not read secret "${SECRET_NAME}" (Error)`, SECRET_NAME, {
      cause,
      field: 'client_secret',
    }),
  TableNotFoundError: (cause) => new layer.TableNotFoundError(TABLE, { cause }),
  TokenStoreError: (cause) =>
    new layer.TokenStoreError(`DynamoDB GetItem (read) of "${TOKEN_TYPE}" failed: Error`, TOKEN_TYPE, {
      cause,
      code: 'ProvisionedThroughputExceededException',
      throttled: true,
    }),
  TokenRefreshError: (cause) =>
    new layer.TokenRefreshError(`The provider of "${TOKEN_TYPE}" failed to issue a token`, TOKEN_TYPE, {
      cause,
      status: 400,
      oauthError: 'invalid_client',
      retryAfter: 1_767_225_600_000,
    }),
  RefreshTokenExpiredError: (cause) =>
    new layer.RefreshTokenExpiredError(`The refresh token of "${TOKEN_TYPE}" was refused`, TOKEN_TYPE, {
      cause,
      status: 400,
      oauthError: 'invalid_grant',
    }),
  InvalidProviderResponseError: (cause) =>
    new layer.InvalidProviderResponseError(
      `The token endpoint of "${TOKEN_TYPE}" answered no access_token`,
      TOKEN_TYPE,
      {
        cause,
        status: 200,
      },
    ),
  LockWaitTimeoutError: (cause) =>
    new layer.LockWaitTimeoutError(TOKEN_TYPE, 2_500, {
      // Ours around ours around the foreign failure: the chain an abandoned DynamoDB call makes.
      cause: new layer.TokenStoreError(
        `DynamoDB GetItem (read) of "${TOKEN_TYPE}" was abandoned`,
        TOKEN_TYPE,
        {
          cause,
          abandoned: true,
        },
      ),
      reason: 'store-call-abandoned',
    }),
  RejectionRefreshLimitedError: () =>
    new layer.RejectionRefreshLimitedError(TOKEN_TYPE, 7, 1_767_225_600_000),
  DecryptError: (cause) => new layer.DecryptError(`The token of "${TOKEN_TYPE}" does not decrypt`, { cause }),
  KmsError: (cause) =>
    new layer.KmsError('KMS Decrypt failed: ThrottlingException', 'Decrypt', {
      cause,
      code: 'ThrottlingException',
    }),
  ScheduledRefreshError: () =>
    new layer.ScheduledRefreshError({
      refreshed: [],
      fresh: [],
      deferred: [],
      failed: [
        { tokenType: TOKEN_TYPE, error: 'TokenRefreshError', oauthError: 'invalid_client', status: 401 },
      ],
      counts: { refreshed: 0, fresh: 0, deferred: 0, failed: 1 },
    }),
};

/** Every export of layer/index.ts that is SharedTokenError or a subclass of it. */
function exportedErrorClasses(): Map<string, ErrorClass> {
  const classes = new Map<string, ErrorClass>();
  for (const [name, value] of Object.entries(layer)) {
    if (typeof value !== 'function') continue;
    if (value === SharedTokenError || value.prototype instanceof SharedTokenError) {
      classes.set(name, value as unknown as ErrorClass);
    }
  }
  return classes;
}

/** One rendering per way an error reaches a log line. */
type Renderer = (error: Error) => string;

let captured: string[] = [];
const restores: (() => void)[] = [];
let logger: Logger;

function powertools(call: (error: Error) => void): Renderer {
  return (error) => {
    captured = [];
    call(error);
    const text = captured.join('');
    // A renderer that printed nothing would prove nothing.
    if (!text.includes('"level":"ERROR"')) throw new Error('the Powertools logger printed no error line');
    return text;
  };
}

const RENDERERS: Record<string, Renderer> = {
  'util.inspect depth Infinity': (error) => inspect(error, { depth: Number.POSITIVE_INFINITY }),
  'util.inspect showHidden': (error) => inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
  'JSON.stringify': (error) => JSON.stringify(error),
  'JSON.stringify of { error }': (error) => JSON.stringify({ error }),
  'String and stack': (error) => `${String(error)}\n${error.stack}`,
  "Powertools logger.error('x', error)": powertools((error) => logger.error('x', error)),
  "Powertools logger.error('x', { error })": powertools((error) => logger.error('x', { error })),
};

/** The labels of the secrets found in `text`. */
function secretsIn(text: string): Label[] {
  return (Object.keys(SECRETS) as Label[]).filter((label) => text.includes(SECRETS[label]));
}

/** The labels of the secrets a rendering shows, or that it threw (a logger that crashes loses the line). */
function problems(render: Renderer, error: Error): string[] {
  try {
    return secretsIn(render(error));
  } catch (thrown) {
    return [`threw ${(thrown as Error).name}`];
  }
}

let causes: Record<string, unknown>;
const devMode = process.env.POWERTOOLS_DEV;

beforeAll(async () => {
  causes = await foreignCauses();
  // The Logger writes through its own Console on process.stdout/stderr, unless POWERTOOLS_DEV
  // makes it use the global console: capture the streams, keep the real ones clean.
  delete process.env.POWERTOOLS_DEV;
  for (const stream of [process.stdout, process.stderr]) {
    const spy = jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    }) as typeof stream.write);
    restores.push(() => spy.mockRestore());
  }
  logger = new Logger({ serviceName: 'error-secrecy', logLevel: 'DEBUG' });
});

afterAll(() => {
  for (const restore of restores) restore();
  if (devMode !== undefined) process.env.POWERTOOLS_DEV = devMode;
});

describe('the error classes the layer exports', () => {
  it('are all built by this test: a class added to layer/index.ts needs a factory here', () => {
    const exported = [...exportedErrorClasses().keys()].sort();
    expect(exported).toContain('SharedTokenError');
    expect(exported).toContain('TokenRefreshError');
    expect(Object.keys(FACTORIES).sort()).toEqual(exported);
  });

  it('are each built by their factory as an instance of the class', () => {
    for (const [name, Class] of exportedErrorClasses()) {
      const error = FACTORIES[name]!(undefined);
      expect(error).toBeInstanceOf(Class);
      expect(error.name).toBe(name);
    }
  });
});

describe('the foreign causes of this test', () => {
  it('do hold their secrets where util.inspect finds them', () => {
    // Proves the fixtures: each raw cause, rendered as it is, shows a secret. (Not through the
    // Powertools logger: it overflows the stack on an error that is its own cause.)
    const clean = Object.entries(causes)
      .filter(([, cause]) => secretsIn(inspect(cause, { depth: Number.POSITIVE_INFINITY })).length === 0)
      .map(([name]) => name);
    expect(clean).toEqual([]);
  });
});

describe('no secret in a layer error, whatever its cause', () => {
  it('shows none through util.inspect, JSON.stringify, String, stack and Powertools logger.error', () => {
    const leaks: string[] = [];
    for (const [className] of exportedErrorClasses()) {
      for (const [causeName, cause] of Object.entries(causes)) {
        const error = FACTORIES[className]!(cause);
        for (const [rendererName, render] of Object.entries(RENDERERS)) {
          leaks.push(
            ...problems(render, error).map(
              (what) => `${className} with ${causeName}, ${rendererName}: ${what}`,
            ),
          );
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('shows none when the cause is itself a layer error wrapping a foreign one', () => {
    const leaks: string[] = [];
    for (const [causeName, cause] of Object.entries(causes)) {
      const inner = FACTORIES.TokenRefreshError!(cause);
      for (const [className] of exportedErrorClasses()) {
        const error = FACTORIES[className]!(inner);
        for (const [rendererName, render] of Object.entries(RENDERERS)) {
          leaks.push(
            ...problems(render, error).map(
              (what) => `${className} around TokenRefreshError with ${causeName}, ${rendererName}: ${what}`,
            ),
          );
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';

/** A field of the secret, as Secrets Manager keeps it in the JSON of its `SecretString`. */
export type SecretFields = Record<string, unknown>;

export interface InMemorySecretsManagerOptions {
  /**
   * What GetSecretValue answers, whatever secret name or ARN it is asked for: the fields of the
   * provider secret (serialised to JSON as the `SecretString`), or the `SecretString` itself.
   * @default `{ key: <32 random bytes, base64> }`: the key of the token's encryption, and no
   *   provider credentials (a test that uses `staticTokenProvider` needs none)
   */
  secret?: SecretFields | string;
}

/** The `awsClientOptions` of the middleware (or `clientConfig` of a SecretsManagerSource) for an in-memory Secrets Manager. */
export type InMemorySecretsManager = {
  /** A fixed region: the SDK asks for one, and must not find it in the test's environment. */
  readonly region: string;
  /** Placeholder credentials: the SDK signs its requests, and must not look for real ones. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Answers the SDK's requests in this process: no socket is ever opened. */
  readonly requestHandler: InMemorySecretsHandler;
};

/** The SDK's request handler of {@link inMemorySecretsManager}, counting what it was asked. */
export interface InMemorySecretsHandler {
  /** GetSecretValue requests answered so far: one per fetch of the secret. */
  readonly getSecretValueCalls: number;
  handle(request: { headers: Record<string, string>; body?: unknown }): Promise<{ response: HttpAnswer }>;
}

interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

const GET_SECRET_VALUE = 'secretsmanager.GetSecretValue';

/**
 * A Secrets Manager that lives in the test's process, as the SDK client configuration that uses
 * it: pass it as the middleware's `awsClientOptions` and `@middy/secrets-manager` fetches the
 * secret through its own `SecretsManagerClient`, unchanged, from memory. Nothing is asked of AWS,
 * no region or credentials are read from the environment, and no socket is left open.
 *
 * Only GetSecretValue is known (all the middleware asks); any other operation fails as an
 * unknown operation would.
 */
export function inMemorySecretsManager(options: InMemorySecretsManagerOptions = {}): InMemorySecretsManager {
  const secretString = secretStringOf(options.secret ?? { key: randomBytes(32).toString('base64') });
  let getSecretValueCalls = 0;
  const requestHandler: InMemorySecretsHandler = {
    get getSecretValueCalls() {
      return getSecretValueCalls;
    },
    async handle(request) {
      const target = headerOf(request.headers, 'x-amz-target');
      if (target !== GET_SECRET_VALUE) {
        return { response: jsonAnswer(400, { __type: 'UnknownOperationException', message: `${target}` }) };
      }
      getSecretValueCalls++;
      const { SecretId } = JSON.parse(await bodyText(request.body)) as { SecretId: string };
      return {
        response: jsonAnswer(200, {
          ARN: SecretId,
          Name: SecretId,
          SecretString: secretString,
          VersionId: 'in-memory',
          VersionStages: ['AWSCURRENT'],
        }),
      };
    },
  };
  return {
    region: 'us-east-1',
    credentials: { accessKeyId: 'in-memory', secretAccessKey: 'in-memory' },
    requestHandler,
  };
}

function secretStringOf(secret: SecretFields | string): string {
  if (typeof secret === 'string') return secret;
  if (typeof secret !== 'object' || secret === null || Array.isArray(secret)) {
    throw new TypeError(
      'inMemorySecretsManager option "secret" must be an object of fields or a JSON string',
    );
  }
  return JSON.stringify(secret);
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((header) => header.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** The SDK hands a JSON request its body as a string; a Uint8Array is read all the same. */
async function bodyText(body: unknown): Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return '{}';
}

function jsonAnswer(statusCode: number, value: unknown): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: new TextEncoder().encode(JSON.stringify(value)),
  };
}

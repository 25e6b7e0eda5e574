import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigurationError, isSharedTokenError, SecretError } from 'lambda-shared-token';
import {
  DEFAULT_SECRET_CACHE_EXPIRY_MS,
  SecretsManagerSource,
  type SecretsManagerSourceOptions,
} from 'lambda-shared-token/advanced';
import { everyRendering, rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NAME = '/prod/orders/oauth/salesforce';
const CLIENT_SECRET = testSecret('clientSecret', 'cs-');
const SECRET_V1 = JSON.stringify({
  client_id: 'id-1',
  client_secret: CLIENT_SECRET,
  salt: 'salt-0123456789-abcdef',
});
const SECRET_V2 = JSON.stringify({
  client_id: 'id-2',
  client_secret: 'rotated',
  salt: 'salt-0123456789-abcdef',
});
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, epoch ms

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

type Answer =
  | { SecretString?: string; SecretBinary?: Uint8Array }
  | Error
  | Deferred<{ SecretString: string }>;

/** An in-process stand-in for SecretsManagerClient: answers GetSecretValue from a queue, counts calls. */
function fakeClient(...answers: Answer[]) {
  const commands: GetSecretValueCommand[] = [];
  const client = {
    async send(command: GetSecretValueCommand) {
      commands.push(command);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('fake client: no answer left');
      if (answer instanceof Error) throw answer;
      if ('promise' in answer) return answer.promise;
      return answer;
    },
  };
  return { client: client as unknown as SecretsManagerClient, commands };
}

function clockAt(start: number) {
  const clock = { time: start, now: () => clock.time };
  return clock;
}

describe('SecretsManagerSource: loading', () => {
  it('reads the SecretString with GetSecretValue for the secret name', async () => {
    const { client, commands } = fakeClient({ SecretString: SECRET_V1 });
    const source = new SecretsManagerSource({ secretName: NAME, client });
    expect(await source.load()).toBe(SECRET_V1);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toBeInstanceOf(GetSecretValueCommand);
    expect(commands[0]!.input).toEqual({ SecretId: NAME });
  });

  it('accepts an ARN as the secret name', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-sf-AbCdEf';
    const { client, commands } = fakeClient({ SecretString: SECRET_V1 });
    await new SecretsManagerSource({ secretName: arn, client }).load();
    expect(commands[0]!.input.SecretId).toBe(arn);
  });

  it('refuses a secret holding binary data, naming the secret', async () => {
    const { client } = fakeClient({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const error = await rejectionOf<unknown>(new SecretsManagerSource({ secretName: NAME, client }).load());
    expect(error).toBeInstanceOf(SecretError);
    expect((error as Error).message).toContain('SecretBinary');
    expect((error as SecretError).secretName).toBe(NAME);
  });

  it('says "empty or missing" when the answer has no value', async () => {
    const { client } = fakeClient({});
    const error = await rejectionOf<unknown>(new SecretsManagerSource({ secretName: NAME, client }).load());
    expect((error as Error).message).toBe(`secret "${NAME}" is empty or missing`);
  });
});

describe('SecretsManagerSource: the promise cache', () => {
  it('reuses the value for the default 5 minutes, then fetches again', async () => {
    const clock = clockAt(T0);
    const { client, commands } = fakeClient({ SecretString: SECRET_V1 }, { SecretString: SECRET_V2 });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock });
    expect(await source.load()).toBe(SECRET_V1);
    clock.time = T0 + DEFAULT_SECRET_CACHE_EXPIRY_MS - 1;
    expect(await source.load()).toBe(SECRET_V1);
    expect(commands).toHaveLength(1);
    clock.time = T0 + DEFAULT_SECRET_CACHE_EXPIRY_MS;
    expect(await source.load()).toBe(SECRET_V2);
    expect(commands).toHaveLength(2);
    expect(DEFAULT_SECRET_CACHE_EXPIRY_MS).toBe(300_000);
  });

  it('honours cacheExpiryMs in milliseconds', async () => {
    const clock = clockAt(T0);
    const { client, commands } = fakeClient({ SecretString: SECRET_V1 }, { SecretString: SECRET_V2 });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock, cacheExpiryMs: 60_000 });
    await source.load();
    clock.time = T0 + 59_999;
    await source.load();
    expect(commands).toHaveLength(1);
    clock.time = T0 + 60_000;
    expect(await source.load()).toBe(SECRET_V2);
  });

  it('shares one GetSecretValue among concurrent loads', async () => {
    const answer = deferred<{ SecretString: string }>();
    const { client, commands } = fakeClient(answer);
    const source = new SecretsManagerSource({ secretName: NAME, client, clock: clockAt(T0) });
    const loads = [source.load(), source.load(), source.load()];
    answer.resolve({ SecretString: SECRET_V1 });
    expect(await Promise.all(loads)).toEqual([SECRET_V1, SECRET_V1, SECRET_V1]);
    expect(commands).toHaveLength(1);
  });

  it('shares a fetch in flight even with cacheExpiryMs 0, and fetches anew once it settled', async () => {
    const answer = deferred<{ SecretString: string }>();
    const { client, commands } = fakeClient(answer, { SecretString: SECRET_V2 });
    const source = new SecretsManagerSource({
      secretName: NAME,
      client,
      clock: clockAt(T0),
      cacheExpiryMs: 0,
    });
    const first = source.load();
    const second = source.load();
    answer.resolve({ SecretString: SECRET_V1 });
    expect([await first, await second]).toEqual([SECRET_V1, SECRET_V1]);
    expect(await source.load()).toBe(SECRET_V2);
    expect(commands).toHaveLength(2);
  });

  it('evicts a rejection: concurrent loads share it, the next load tries again', async () => {
    const answer = deferred<{ SecretString: string }>();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { client, commands } = fakeClient(answer, { SecretString: SECRET_V1 });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock: clockAt(T0) });
    const loads = [source.load(), source.load()];
    answer.reject(throttled);
    const errors = await Promise.all(loads.map((load) => rejectionOf<unknown>(load)));
    expect(errors[0]).toBeInstanceOf(SecretError);
    expect(errors[1]).toBe(errors[0]);
    expect(await source.load()).toBe(SECRET_V1);
    expect(commands).toHaveLength(2);
  });

  it('forceRefresh fetches at once and its value replaces the cached one', async () => {
    const clock = clockAt(T0);
    const { client, commands } = fakeClient({ SecretString: SECRET_V1 }, { SecretString: SECRET_V2 });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock });
    await source.load();
    clock.time = T0 + 1_000;
    expect(await source.load({ forceRefresh: true })).toBe(SECRET_V2);
    expect(await source.load()).toBe(SECRET_V2);
    expect(commands).toHaveLength(2);
  });

  it('forceRefresh that fails leaves no entry: the next load fetches again', async () => {
    const { client, commands } = fakeClient(
      { SecretString: SECRET_V1 },
      new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 400 } }),
      { SecretString: SECRET_V2 },
    );
    const source = new SecretsManagerSource({ secretName: NAME, client, clock: clockAt(T0) });
    await source.load();
    expect(await rejectionOf<unknown>(source.load({ forceRefresh: true }))).toBeInstanceOf(SecretError);
    expect(await source.load()).toBe(SECRET_V2);
    expect(commands).toHaveLength(3);
  });

  it('a rejection of a replaced fetch does not evict its replacement', async () => {
    const slow = deferred<{ SecretString: string }>();
    const { client, commands } = fakeClient(slow, { SecretString: SECRET_V2 });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock: clockAt(T0) });
    const first = source.load();
    expect(await source.load({ forceRefresh: true })).toBe(SECRET_V2);
    slow.reject(new Error('late failure'));
    await rejectionOf<unknown>(first);
    expect(await source.load()).toBe(SECRET_V2);
    expect(commands).toHaveLength(2);
  });
});

describe('SecretsManagerSource: errors', () => {
  const serviceError = (name: string, message: string, status: number) =>
    new SecretsManagerServiceException({
      name,
      $fault: 'client',
      message,
      $metadata: { httpStatusCode: status },
    });

  it('says the secret does not exist on ResourceNotFoundException, with the SDK error as cause', async () => {
    const sdkError = new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
    const { client } = fakeClient(sdkError);
    const error = (await rejectionOf<unknown>(
      new SecretsManagerSource({ secretName: NAME, client }).load(),
    )) as SecretError;
    expect(isSharedTokenError(error, 'SecretError')).toBe(true);
    expect(error.message).toContain(`secret "${NAME}" does not exist`);
    expect(error.secretName).toBe(NAME);
    // A copy of the SDK error: its name and status, never its message (layer/errors/foreign-error.ts).
    expect(error.cause).toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('says reading is not allowed on AccessDeniedException', async () => {
    const sdkError = serviceError('AccessDeniedException', 'User is not authorized', 400);
    const { client } = fakeClient(sdkError);
    const error = (await rejectionOf<unknown>(
      new SecretsManagerSource({ secretName: NAME, client }).load(),
    )) as SecretError;
    expect(error.message).toContain(`not allowed to read secret "${NAME}"`);
    expect(error.message).toContain('secretsmanager:GetSecretValue');
    expect(error.cause).toMatchObject({ name: 'AccessDeniedException' });
  });

  it('names any other failure and its status, keeping the error answer as cause', async () => {
    const sdkError = serviceError('InternalServiceError', 'oops', 500);
    const { client } = fakeClient(sdkError);
    const error = (await rejectionOf<unknown>(
      new SecretsManagerSource({ secretName: NAME, client }).load(),
    )) as SecretError;
    expect(error.message).toBe(`could not read secret "${NAME}" (InternalServiceError, HTTP 500)`);
    expect(error.cause).toMatchObject({ name: 'InternalServiceError', $metadata: { httpStatusCode: 500 } });
  });

  it('names a transport failure (no answer at all) by its code, and keeps it as cause', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const { client } = fakeClient(refused);
    const error = (await rejectionOf<unknown>(
      new SecretsManagerSource({ secretName: NAME, client }).load(),
    )) as SecretError;
    expect(error.message).toBe(`could not read secret "${NAME}" (ECONNREFUSED)`);
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(String((error.cause as Error).message)).not.toContain('127.0.0.1');
  });

  it('says the region is missing when the SDK could not pick one', async () => {
    // What the SDK throws before any request when neither AWS_REGION nor the client names one.
    const { client } = fakeClient(new Error('Region is missing'));
    const error = (await rejectionOf<unknown>(
      new SecretsManagerSource({ secretName: NAME, client }).load(),
    )) as SecretError;
    expect(error.message).toBe(
      `could not read secret "${NAME}": no AWS region (set AWS_REGION, or the client's region)`,
    );
  });

  it('does not repeat an error name that is not an identifier', async () => {
    const odd = Object.assign(new Error('x'), { name: `{"client_secret":"${CLIENT_SECRET}"}` });
    const { client } = fakeClient(odd);
    const error = await rejectionOf<unknown>(new SecretsManagerSource({ secretName: NAME, client }).load());
    expect((error as Error).message).toBe(`could not read secret "${NAME}" (Error)`);
  });

  describe('with the real SDK client against an in-process server', () => {
    let server: Server;
    let endpoint: string;

    beforeAll(async () => {
      // A 200 answer whose body is not JSON, broken right at the secret: V8's SyntaxError quotes
      // the characters around the error, so the SDK's deserialization error holds part of the secret.
      server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(`{"Name":"${NAME}","SecretString":${CLIENT_SECRET}}`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('withholds the cause when a 2xx answer fails to deserialize, since it holds the secret', async () => {
      const source = new SecretsManagerSource({
        secretName: NAME,
        clientConfig: {
          endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-key' },
          maxAttempts: 1,
        },
      });
      const error = (await rejectionOf<unknown>(source.load())) as SecretError;
      expect(error).toBeInstanceOf(SecretError);
      expect(error.message).toContain(NAME);
      expect(error.message).toContain('HTTP 200');
      expect(error.cause).toBeInstanceOf(Error);
      expect(everyRendering(error)).not.toContain(CLIENT_SECRET.slice(0, 8));
    });
  });
});

describe('SecretsManagerSource: options', () => {
  const { client } = fakeClient();

  it('refuses client together with clientConfig', () => {
    const options = { secretName: NAME, client, clientConfig: { region: 'us-east-1' } };
    expect(() => new SecretsManagerSource(options as unknown as SecretsManagerSourceOptions)).toThrow(
      /"client" and "clientConfig" exclude each other/,
    );
  });

  it('refuses an unknown option, naming it', () => {
    const options = { secretName: NAME, client, cacheExpiry: 60_000 };
    expect(() => new SecretsManagerSource(options as unknown as SecretsManagerSourceOptions)).toThrow(
      new ConfigurationError(
        'Unknown SecretsManagerSource option "cacheExpiry"; known options: secretName, client, clientConfig, cacheExpiryMs, clock',
      ),
    );
  });

  it('refuses a malformed secret name with a ConfigurationError', () => {
    expect(() => new SecretsManagerSource({ secretName: 'prod orders', client })).toThrow(ConfigurationError);
  });

  it.each([-2, Number.NaN, '300000'])('refuses cacheExpiryMs %p', (cacheExpiryMs) => {
    const options = { secretName: NAME, client, cacheExpiryMs };
    expect(() => new SecretsManagerSource(options as unknown as SecretsManagerSourceOptions)).toThrow(
      ConfigurationError,
    );
  });

  it('refuses a cacheExpiryMs that looks like seconds', () => {
    expect(() => new SecretsManagerSource({ secretName: NAME, client, cacheExpiryMs: 300 })).toThrow(
      /looks like seconds/,
    );
  });

  it.each([-1, Number.POSITIVE_INFINITY])('accepts %p as "never expires"', async (cacheExpiryMs) => {
    const clock = clockAt(T0);
    const fake = fakeClient({ SecretString: SECRET_V1 });
    const source = new SecretsManagerSource({ secretName: NAME, client: fake.client, clock, cacheExpiryMs });
    await source.load();
    clock.time = T0 + 365 * 24 * 3_600_000;
    expect(await source.load()).toBe(SECRET_V1);
    expect(fake.commands).toHaveLength(1);
  });
});

describe('SecretsManagerSource.peek: the cached value without a promise', () => {
  it('answers undefined before the first fetch has resolved, and the value after', async () => {
    const clock = clockAt(T0);
    const { client } = fakeClient({ SecretString: '{"salt":"peeked"}' });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock });

    expect(source.peek()).toBeUndefined();
    const loading = source.load();
    expect(source.peek()).toBeUndefined();
    await loading;

    expect(source.peek()).toBe('{"salt":"peeked"}');
  });

  it('answers undefined once the cached value has expired, so the caller loads again', async () => {
    const clock = clockAt(T0);
    const { client } = fakeClient({ SecretString: 'first' });
    const source = new SecretsManagerSource({ secretName: NAME, client, clock, cacheExpiryMs: 60_000 });
    await source.load();

    clock.time = T0 + 59_999;
    expect(source.peek()).toBe('first');
    clock.time = T0 + 60_000;
    expect(source.peek()).toBeUndefined();
  });
});

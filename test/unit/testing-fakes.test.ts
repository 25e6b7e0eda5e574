/**
 * The fakes of `lambda-shared-token/testing` each stand in for one thing a handler reaches
 * (Secrets Manager, the token endpoint, the options that name AWS resources): each must behave as
 * that thing does for the code that calls it, and refuse a mistake in its own options clearly.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { type AccessToken, ConfigurationError, kmsCipher } from 'lambda-shared-token';
import { SecretsManagerSource } from 'lambda-shared-token/advanced';
import { withSharedToken } from 'lambda-shared-token/middleware';
import {
  clearSharedTokenCaches,
  InMemoryTokenStore,
  inMemorySecretsManager,
  inMemorySharedTokenOptions,
  staticTokenProvider,
} from 'lambda-shared-token/testing';
import { thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const clock = { now: () => NOW };
const SECRET_NAME = '/test/orders/oauth/fakes';
const signal = new AbortController().signal;
const context = {} as Context;
const tokenOf = async (_event: unknown, ctx: Context) =>
  (ctx as Context & { sharedToken: AccessToken }).sharedToken;

describe('staticTokenProvider', () => {
  it('answers its token, valid for lifetimeMs from the clock, and counts the calls', async () => {
    const provider = staticTokenProvider({ accessToken: 'a-token', lifetimeMs: 60_000, clock });
    const tokens = provider({ secretName: SECRET_NAME, require: () => '', optional: () => undefined });

    const answer = await tokens.fetchToken({ tokenType: 'fakes', signal });
    await tokens.fetchToken({ tokenType: 'fakes', refreshToken: 'kept', signal });

    expect(answer).toEqual({ accessToken: 'a-token', expiresAt: NOW + 60_000 });
    expect(provider.calls).toBe(2);
    expect(provider.requests).toEqual([{ tokenType: 'fakes' }, { tokenType: 'fakes', refreshToken: 'kept' }]);
  });

  it('answers a token of the call number when given a function', async () => {
    const provider = staticTokenProvider({ accessToken: (call) => `token-${call}` });
    const tokens = provider({ secretName: SECRET_NAME, require: () => '', optional: () => undefined });

    await tokens.fetchToken({ tokenType: 'fakes', signal });

    expect((await tokens.fetchToken({ tokenType: 'fakes', signal })).accessToken).toBe('token-2');
  });

  it.each([
    [{ lifetimeMs: 60 }, 'staticTokenProvider option "lifetimeMs" is in milliseconds; 60 looks like seconds'],
    [
      { accessToken: '' },
      'staticTokenProvider option "accessToken" must be a non-empty string or a function',
    ],
    [{ lifetime: 60_000 }, 'Unknown staticTokenProvider option "lifetime"'],
  ])('refuses %j with a ConfigurationError naming the option', (options, message) => {
    const error = thrownBy(() => staticTokenProvider(options as never));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(message);
  });
});

describe('inMemorySecretsManager', () => {
  it('answers GetSecretValue through the SDK client, for any secret name, and counts the calls', async () => {
    const key = testSecret('key');
    const secretsManager = inMemorySecretsManager({ secret: { key } });
    const client = new SecretsManagerClient(secretsManager);

    const answer = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

    expect(JSON.parse(answer.SecretString ?? '')).toEqual({ key });
    expect(answer.Name).toBe(SECRET_NAME);
    expect(secretsManager.requestHandler.getSecretValueCalls).toBe(1);
  });

  it('is the client configuration of a SecretsManagerSource too', async () => {
    const source = new SecretsManagerSource({
      secretName: SECRET_NAME,
      clientConfig: inMemorySecretsManager(),
    });

    expect(await source.load()).toEqual(expect.stringContaining('"key"'));
  });

  it('refuses a secret that is neither fields nor a JSON string', () => {
    const error = thrownBy(() => inMemorySecretsManager({ secret: ['not', 'fields'] as never }));

    expect(error.message).toBe(
      'inMemorySecretsManager option "secret" must be an object of fields or a JSON string',
    );
  });
});

describe('inMemorySharedTokenOptions', () => {
  afterEach(() => clearSharedTokenCaches());

  it('replaces every option of a handler that would reach AWS: table, DynamoDB client, KMS', async () => {
    const production = {
      tokenType: 'fakes',
      secretName: SECRET_NAME,
      provider: staticTokenProvider(),
      tableName: 'tokens',
      dynamoDBClient: { send: () => Promise.reject(new Error('DynamoDB was asked')) } as never,
      cipher: kmsCipher({ keyId: 'alias/tokens' }),
    };
    const fakes = inMemorySharedTokenOptions({ accessToken: 'in-memory-token' });
    const handler = withSharedToken(tokenOf, { ...production, ...fakes });

    const token = await handler({}, context);

    expect(token.value).toBe('in-memory-token');
    expect(fakes.store.item('fakes')?.version).toBe(1);
    expect(fakes.awsClientOptions.requestHandler.getSecretValueCalls).toBe(1);
  });

  it('gives handlers that share a store one token: one provider call for two of them', async () => {
    const secret = { key: testSecret('sharedKey') };
    const first = inMemorySharedTokenOptions({ secret });
    const second = { ...inMemorySharedTokenOptions({ secret }), store: first.store };
    const options = { tokenType: 'fakes', secretName: SECRET_NAME, provider: staticTokenProvider() };
    const handlers = [first, second].map((fakes) => withSharedToken(tokenOf, { ...options, ...fakes }));

    const tokens = await Promise.all(handlers.map((handler) => handler({}, context)));

    expect(tokens.map((token) => token.version)).toEqual([1, 1]);
    expect(first.provider.calls + second.provider.calls).toBe(1);
  });

  it('refuses an unknown option, naming it', () => {
    const error = thrownBy(() => inMemorySharedTokenOptions({ tableName: 'tokens' } as never));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('Unknown inMemorySharedTokenOptions option "tableName"');
  });

  it('keeps its store apart from every other call: a new table each time', () => {
    expect(inMemorySharedTokenOptions().store).not.toBe(inMemorySharedTokenOptions().store);
    expect(inMemorySharedTokenOptions().store).toBeInstanceOf(InMemoryTokenStore);
  });
});

import type { GetSecretValueCommandInput, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import { clearCache, getInternal } from '@middy/util';
import type { LocalSecretsManager } from '../../scripts/local-stack/index.js';
import { startSecretsManager } from '../../scripts/local-stack/index.js';
import { testSecret } from '../support/test-secrets.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
// A real epoch in milliseconds, with a fractional second: CreatedDate must come back as this exact instant.
const NOW_MS = 1_760_000_000_123;
const SECRET_NAME = '/test/svc/oauth/salesforce';
const SECRET_VALUE = JSON.stringify({
  clientId: 'sf-client',
  clientSecret: testSecret('clientSecret', 'sf-secret-'),
  salt: testSecret('salt'),
});
const ROTATED_VALUE = JSON.stringify({
  clientId: 'sf-client',
  clientSecret: testSecret('rotatedClientSecret', 'sf-secret-rotated-'),
  salt: testSecret('rotatedSalt'),
});

interface SdkError {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}

function clientFor(
  server: LocalSecretsManager,
  config: Partial<SecretsManagerClientConfig> = {},
): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: server.endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    ...config,
  });
}

/** Headers that pass the server's SigV4 shape check, for raw requests. */
function signedLikeHeaders(operation: string, service = 'secretsmanager'): Record<string, string> {
  return {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `secretsmanager.${operation}`,
    'x-amz-date': '20251009T120000Z',
    authorization:
      `AWS4-HMAC-SHA256 Credential=test/20251009/${REGION}/${service}/aws4_request, ` +
      `SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'a1'.repeat(32)}`,
  };
}

async function rawCall(server: LocalSecretsManager, headers: Record<string, string>, body: string) {
  const response = await fetch(server.endpoint, { method: 'POST', headers, body });
  return { response, text: await response.text() };
}

describe('local Secrets Manager through the real SDK client', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;

  beforeEach(async () => {
    server = await startSecretsManager({ secrets: { [SECRET_NAME]: SECRET_VALUE }, now: () => NOW_MS });
    client = clientFor(server, { maxAttempts: 1 });
  });

  afterEach(async () => {
    client.destroy();
    await server.stop();
  });

  it('answers GetSecretValue by name on the endpoint given in the client config', async () => {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(answer.SecretString).toBe(SECRET_VALUE);
    expect(answer.Name).toBe(SECRET_NAME);
    expect(answer.VersionStages).toEqual(['AWSCURRENT']);
    expect(answer.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:\/test\/svc\/oauth\/salesforce-[A-Za-z0-9]{6}$/,
    );
  });

  it('sends CreatedDate in epoch seconds, which the SDK turns into the exact instant', async () => {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

    expect(answer.CreatedDate).toBeInstanceOf(Date);
    expect(answer.CreatedDate?.getTime()).toBe(NOW_MS);
  });

  it('is reached through AWS_ENDPOINT_URL_SECRETS_MANAGER by a client configured without an endpoint', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = server.endpoint;
    const envClient = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      const answer = await envClient.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

      expect(answer.SecretString).toBe(SECRET_VALUE);
      expect(server.stats().getSecretValueByName).toEqual({ [SECRET_NAME]: 1 });
    } finally {
      envClient.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });

  it('answers GetSecretValue by the ARN it generated', async () => {
    const arn = server.arnOf(SECRET_NAME);

    const answer = await client.send(new GetSecretValueCommand({ SecretId: arn }));

    expect(answer.ARN).toBe(arn);
    expect(answer.SecretString).toBe(SECRET_VALUE);
  });

  it('answers GetSecretValue by the partial ARN without the random suffix, as AWS does', async () => {
    const partialArn = server.arnOf(SECRET_NAME).slice(0, -7);

    const answer = await client.send(new GetSecretValueCommand({ SecretId: partialArn }));

    expect(answer.Name).toBe(SECRET_NAME);
  });

  it("answers the SDK's ResourceNotFoundException with HTTP 400 for a missing secret", async () => {
    const error = await sdkError(
      client.send(new GetSecretValueCommand({ SecretId: '/test/svc/oauth/missing' })),
    );

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
  });

  it('serves a version added by putSecret as AWSCURRENT and the former one as AWSPREVIOUS', async () => {
    server.putSecret(SECRET_NAME, ROTATED_VALUE);

    const current = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: SECRET_NAME, VersionStage: 'AWSPREVIOUS' }),
    );

    expect(current.SecretString).toBe(ROTATED_VALUE);
    expect(current.VersionStages).toEqual(['AWSCURRENT']);
    expect(previous.SecretString).toBe(SECRET_VALUE);
    expect(previous.VersionStages).toEqual(['AWSPREVIOUS']);
    expect(previous.VersionId).not.toBe(current.VersionId);
  });

  it('serves an older version by its VersionId after it lost every staging label', async () => {
    const first = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
    server.putSecret(SECRET_NAME, ROTATED_VALUE);
    server.putSecret(SECRET_NAME, 'third');

    const old = await client.send(
      new GetSecretValueCommand({ SecretId: SECRET_NAME, VersionId: first.VersionId! }),
    );

    expect(old.SecretString).toBe(SECRET_VALUE);
    expect(old.VersionStages).toEqual([]);
  });

  it('makes the value of PutSecretValue current under the ClientRequestToken as VersionId', async () => {
    const token = '2b0f1a52-1d3e-4b6f-9a53-0c8e1f7d2a11';

    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: SECRET_NAME,
        SecretString: ROTATED_VALUE,
        ClientRequestToken: token,
      }),
    );
    const current = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

    expect(put.VersionId).toBe(token);
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(current.VersionId).toBe(token);
    expect(current.SecretString).toBe(ROTATED_VALUE);
  });

  it('creates a secret with CreateSecret and describes it with dates in seconds and its version stages', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: '/test/svc/oauth/webex', SecretString: '{}' }),
    );

    const described = await client.send(new DescribeSecretCommand({ SecretId: '/test/svc/oauth/webex' }));

    expect(described.ARN).toBe(created.ARN);
    expect(described.Name).toBe('/test/svc/oauth/webex');
    expect(described.LastChangedDate?.getTime()).toBe(NOW_MS);
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBeUndefined();
  });

  it('refuses CreateSecret for a name that exists with ResourceExistsException', async () => {
    const error = await sdkError(
      client.send(new CreateSecretCommand({ Name: SECRET_NAME, SecretString: '{}' })),
    );

    expect(error.name).toBe('ResourceExistsException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('forgets a secret deleted with ForceDeleteWithoutRecovery', async () => {
    await client.send(new DeleteSecretCommand({ SecretId: SECRET_NAME, ForceDeleteWithoutRecovery: true }));

    const error = await sdkError(client.send(new DescribeSecretCommand({ SecretId: SECRET_NAME })));

    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('refuses to read a secret scheduled for deletion with InvalidRequestException', async () => {
    const deleted = await client.send(
      new DeleteSecretCommand({ SecretId: SECRET_NAME, RecoveryWindowInDays: 7 }),
    );

    const error = await sdkError(client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME })));

    expect(deleted.DeletionDate?.getTime()).toBe(NOW_MS + 7 * 86_400_000);
    expect(error.name).toBe('InvalidRequestException');
  });

  it('forgets a secret removed by deleteSecret', async () => {
    server.deleteSecret(SECRET_NAME);

    const error = await sdkError(client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME })));

    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('answers UnknownOperationException for an operation it does not implement', async () => {
    const error = await sdkError(client.send(new CancelRotateSecretCommand({ SecretId: SECRET_NAME })));

    expect(error.name).toBe('UnknownOperationException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('answers ValidationException when SecretId is missing', async () => {
    const error = await sdkError(client.send(new GetSecretValueCommand({} as GetSecretValueCommandInput)));

    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('SecretId');
  });

  it('surfaces an injected ThrottlingException under its own name', async () => {
    server.failNext(1, { type: 'ThrottlingException', message: 'Rate exceeded' });

    const error = await sdkError(client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME })));

    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe('Rate exceeded');
  });

  it('answers an injected InternalServiceError with HTTP 500', async () => {
    server.failNext(1, { type: 'InternalServiceError' });

    const error = await sdkError(client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME })));

    expect(error.name).toBe('InternalServiceError');
    expect(error.$metadata.httpStatusCode).toBe(500);
  });

  it('is retried by the default SDK client after an injected ThrottlingException, each attempt counted', async () => {
    const retryingClient = clientFor(server);
    server.failNext(1, { type: 'ThrottlingException' });
    try {
      const answer = await retryingClient.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

      expect(answer.SecretString).toBe(SECRET_VALUE);
      expect(server.stats().getSecretValueByName).toEqual({ [SECRET_NAME]: 2 });
    } finally {
      retryingClient.destroy();
    }
  });

  it('counts calls per operation and GetSecretValue calls per secret name, an ARN under its name', async () => {
    await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
    await client.send(new GetSecretValueCommand({ SecretId: server.arnOf(SECRET_NAME) }));
    await sdkError(client.send(new GetSecretValueCommand({ SecretId: 'absent' })));
    await client.send(new DescribeSecretCommand({ SecretId: SECRET_NAME }));

    expect(server.stats()).toEqual({
      calls: 4,
      byOperation: { GetSecretValue: 3, DescribeSecret: 1 },
      getSecretValueByName: { [SECRET_NAME]: 2, absent: 1 },
    });
  });

  it('starts counting from zero after resetStats', async () => {
    await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));

    server.resetStats();

    expect(server.stats()).toEqual({ calls: 0, byOperation: {}, getSecretValueByName: {} });
  });

  it("leaves a request unanswered on an injected timeout until the SDK's own timeout", async () => {
    const impatientClient = clientFor(server, {
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    server.failNext(1, 'timeout');
    try {
      const error = await sdkError(
        impatientClient.send(new GetSecretValueCommand({ SecretId: SECRET_NAME })),
      );

      expect(error.name).toBe('TimeoutError');
    } finally {
      impatientClient.destroy();
    }
  });
});

describe('local Secrets Manager on the wire', () => {
  let server: LocalSecretsManager;

  beforeEach(async () => {
    server = await startSecretsManager({ secrets: { [SECRET_NAME]: SECRET_VALUE } });
  });

  afterEach(async () => {
    await server.stop();
  });

  it('refuses a request without an Authorization header with an AWS-shaped 400', async () => {
    const { authorization: _, ...unsigned } = signedLikeHeaders('GetSecretValue');

    const { response, text } = await rawCall(server, unsigned, JSON.stringify({ SecretId: SECRET_NAME }));

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(JSON.parse(text)).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: expect.any(String),
    });
    expect(text).not.toContain(SECRET_VALUE);
    expect(server.stats().calls).toBe(0);
  });

  it('refuses a signature scoped to another service with InvalidSignatureException', async () => {
    const { response, text } = await rawCall(
      server,
      signedLikeHeaders('GetSecretValue', 'kms'),
      JSON.stringify({ SecretId: SECRET_NAME }),
    );

    expect(response.status).toBe(403);
    expect(JSON.parse(text).__type).toBe('InvalidSignatureException');
  });

  it('answers SerializationException for a body that is not JSON', async () => {
    const { response, text } = await rawCall(server, signedLikeHeaders('CreateSecret'), '{"Name": "x", ');

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(JSON.parse(text).__type).toBe('SerializationException');
  });

  it('answers a well-formed call with the JSON 1.1 content type', async () => {
    const { response, text } = await rawCall(
      server,
      signedLikeHeaders('GetSecretValue'),
      JSON.stringify({ SecretId: SECRET_NAME }),
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(text).SecretString).toBe(SECRET_VALUE);
  });

  it('never echoes a SecretString in its error bodies', async () => {
    const secret = testSecret('notEchoed', 'do-not-echo-');
    const failing: Array<[operation: string, body: string]> = [
      ['CreateSecret', JSON.stringify({ Name: SECRET_NAME, SecretString: secret })],
      ['CreateSecret', JSON.stringify({ Name: 'bad name!', SecretString: secret })],
      ['PutSecretValue', JSON.stringify({ SecretId: 'absent', SecretString: secret })],
      ['PutSecretValue', JSON.stringify({ SecretId: SECRET_NAME, SecretString: secret, VersionStages: 'x' })],
      ['PutSecretValue', `{"SecretId": "${SECRET_NAME}", "SecretString": "${secret}"`],
      ['GetSecretValue', JSON.stringify({ SecretString: secret })],
      ['GetSecretValue', JSON.stringify({ SecretId: SECRET_NAME, VersionId: 'no-such-version' })],
    ];

    for (const [operation, body] of failing) {
      const { response, text } = await rawCall(server, signedLikeHeaders(operation), body);

      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(SECRET_VALUE);
    }
  });

  it('refuses a second value under an existing VersionId without echoing either value', async () => {
    const headers = signedLikeHeaders('PutSecretValue');
    const token = '7c1d2a3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await rawCall(
      server,
      headers,
      JSON.stringify({ SecretId: SECRET_NAME, SecretString: 'first-value-a1', ClientRequestToken: token }),
    );

    const { response, text } = await rawCall(
      server,
      headers,
      JSON.stringify({ SecretId: SECRET_NAME, SecretString: 'second-value-b2', ClientRequestToken: token }),
    );

    expect(response.status).toBe(400);
    expect(JSON.parse(text).__type).toBe('ResourceExistsException');
    expect(text).not.toContain('first-value-a1');
    expect(text).not.toContain('second-value-b2');
  });

  it('ends a request parked by an injected timeout when it stops', async () => {
    server.failNext(1, 'timeout');
    const parked = fetch(server.endpoint, {
      method: 'POST',
      headers: signedLikeHeaders('GetSecretValue'),
      body: JSON.stringify({ SecretId: SECRET_NAME }),
    });
    // The request must reach the server before it stops, or the test proves nothing.
    while (server.stats().calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    await server.stop();

    await expect(parked).rejects.toThrow();
  });

  it('rejects an unknown option naming the key', async () => {
    await expect(startSecretsManager({ secret: {} } as never)).rejects.toThrow("unknown option 'secret'");
  });
});

describe('local Secrets Manager under @middy/secrets-manager', () => {
  let server: LocalSecretsManager;
  let seen: unknown[];

  const lambdaContext = { getRemainingTimeInMillis: () => 30_000 } as never;

  function middyHandler() {
    return middy(async () => ({ ok: true }))
      .use(
        secretsManager({
          fetchData: { providerSecret: SECRET_NAME },
          cacheKey: 'x',
          cacheExpiry: 60_000,
          awsClientOptions: { endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS },
          disablePrefetch: true,
        }),
      )
      .before(async (request) => {
        const { providerSecret } = await getInternal(['providerSecret'], request);
        seen.push(providerSecret);
      });
  }

  beforeAll(async () => {
    server = await startSecretsManager({ secrets: { [SECRET_NAME]: SECRET_VALUE } });
  });

  beforeEach(() => {
    seen = [];
    server.resetStats();
    clearCache();
  });

  afterEach(() => {
    clearCache();
  });

  afterAll(async () => {
    clearCache();
    await server.stop();
  });

  it('gives the handler the parsed secret in request.internal', async () => {
    await middyHandler()({}, lambdaContext);

    expect(seen).toEqual([JSON.parse(SECRET_VALUE)]);
    expect(server.stats().getSecretValueByName).toEqual({ [SECRET_NAME]: 1 });
  });

  it('serves a second invocation from its cache without another GetSecretValue', async () => {
    const handler = middyHandler();

    await handler({}, lambdaContext);
    await handler({}, lambdaContext);

    expect(seen).toEqual([JSON.parse(SECRET_VALUE), JSON.parse(SECRET_VALUE)]);
    expect(server.stats().getSecretValueByName).toEqual({ [SECRET_NAME]: 1 });
  });

  it('fetches again after clearCache of its key, and sees a rotated value', async () => {
    const handler = middyHandler();
    await handler({}, lambdaContext);
    server.putSecret(SECRET_NAME, ROTATED_VALUE);

    clearCache(['x']);
    await handler({}, lambdaContext);

    expect(seen).toEqual([JSON.parse(SECRET_VALUE), JSON.parse(ROTATED_VALUE)]);
    expect(server.stats().getSecretValueByName).toEqual({ [SECRET_NAME]: 2 });
  });
});

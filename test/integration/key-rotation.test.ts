/**
 * The key-rotation example (examples/key-rotation) driven the way Secrets Manager drives it: the
 * SDK's RotateSecret against the local Secrets Manager, which calls the function with each step
 * and runs the rotation again when a step fails; the token items in DynamoDB Local.
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { SaltCipher } from 'lambda-shared-token/advanced';
import { KeyRotationError, keyRotationHandler } from '../../examples/key-rotation/key-rotation.js';
import { type LocalSecretsManager, startSecretsManager } from '../../scripts/local-stack/index.js';
import { countFound } from '../../scripts/local-stack/secret-index.js';
import { useLocalTable } from '../support/local-table.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'key-rotation-test-access-tokens';
const TOKEN_TYPE = 'salesforce';
const ROTATION_LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:shared-token-key-rotation';
const CLIENT = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
// The real epoch in milliseconds (`expiresAt` in the table is in seconds): DynamoDB Local's TTL
// deletes an item whose expiresAt has passed on the real clock, so every stored token expires in
// the real future. A token "expired" for the rotation is expired on the rotation's clock
// (LATER_MS), an hour and more past it.
const NOW_MS = Date.now();
const LATER_MS = NOW_MS + 2 * 3_600_000;

const table = useLocalTable('dynamodb-local', TABLE);
let sm: LocalSecretsManager;
let client: SecretsManagerClient;
let secretName: string;
let firstKey: string;
let secretCount = 0;
/** Every value the tests hold: the log lines are scanned for them. */
const secretValues: string[] = [];
const logLines: string[] = [];

const logger = {
  info: (message: string, fields: Record<string, unknown>) =>
    logLines.push(JSON.stringify({ message, ...fields })),
  warn: (message: string, fields: Record<string, unknown>) =>
    logLines.push(JSON.stringify({ message, ...fields })),
};

function rotationFunction(tokenTypes: string[] = [TOKEN_TYPE], nowMs = NOW_MS) {
  return keyRotationHandler({
    secretsManager: client,
    dynamo: table.client,
    tableName: TABLE,
    tokenTypes,
    logger,
    now: () => nowMs,
  });
}

async function currentValue(name = secretName, stage = 'AWSCURRENT'): Promise<Record<string, unknown>> {
  const answer = await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }));
  return JSON.parse(answer.SecretString!) as Record<string, unknown>;
}

/** Writes the item of `tokenType` as a commit would: the token sealed under `keys`' first. */
async function storeToken(
  keys: string[],
  { expiresInS = 3600, refreshToken = false, tokenType = TOKEN_TYPE } = {},
): Promise<void> {
  const cipher = new SaltCipher({ keys });
  const accessToken = testSecret('accessToken');
  secretValues.push(accessToken);
  const item: Record<string, { S: string } | { N: string } | { BOOL: boolean }> = {
    tokenType: { S: tokenType },
    accessToken: { S: await cipher.encrypt(accessToken, tokenType) },
    expiresAt: { N: String(Math.floor(NOW_MS / 1000) + expiresInS) },
    updatedAt: { N: String(Math.floor(NOW_MS / 1000) - 60) },
    version: { N: '1' },
    updating: { BOOL: false },
  };
  if (refreshToken) {
    const value = testSecret('refreshToken');
    secretValues.push(value);
    item.refreshToken = { S: await cipher.encrypt(value, tokenType) };
  }
  await table.client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
}

async function rotate(): Promise<NonNullable<Awaited<ReturnType<LocalSecretsManager['rotationSettled']>>>> {
  await client.send(
    new RotateSecretCommand({
      SecretId: secretName,
      RotationLambdaARN: ROTATION_LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  const outcome = await sm.rotationSettled(secretName);
  if (!outcome) throw new Error('no rotation ran');
  return outcome;
}

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

beforeAll(async () => {
  sm = await startSecretsManager();
  client = new SecretsManagerClient({ ...CLIENT, endpoint: sm.endpoint });
});

afterAll(async () => {
  client.destroy();
  await sm.stop();
});

beforeEach(async () => {
  for (const tokenType of [TOKEN_TYPE, 'other-provider']) {
    await table.client.send(
      new DeleteItemCommand({ TableName: TABLE, Key: { tokenType: { S: tokenType } } }),
    );
  }
  // A fresh secret per test, so a failed rotation of one leaves the next alone.
  secretName = `/test/key-rotation/oauth/salesforce-${++secretCount}`;
  firstKey = testSecret('key');
  const clientSecret = testSecret('clientSecret');
  secretValues.push(firstKey, clientSecret);
  sm.putSecret(secretName, JSON.stringify({ clientId: 'sf-client', clientSecret, key: firstKey }));
  sm.onRotation(rotationFunction());
});

describe('a rotation from RotateSecret', () => {
  it('stages a fresh key first and the current one second, keeps the other fields, and moves AWSCURRENT', async () => {
    const before = await currentValue();
    await storeToken([firstKey]);

    const outcome = await rotate();

    expect(outcome.completed).toBe(true);
    expect(outcome.runs).toEqual(STEPS.map((step) => ({ attempt: 1, step })));
    const after = await currentValue();
    const keys = after.keys as string[];
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(firstKey);
    expect(keys[0]).not.toBe(firstKey);
    expect([...keys[0]!].length).toBeGreaterThanOrEqual(16);
    expect(after).toEqual({ clientId: 'sf-client', clientSecret: before.clientSecret, keys });
    // The old version is AWSPREVIOUS; the table's token opens under the new keys.
    expect(await currentValue(secretName, 'AWSPREVIOUS')).toEqual(before);
    const described = await client.send(new DescribeSecretCommand({ SecretId: secretName }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
  });

  it('keeps exactly the current and the previous key: a second rotation drops the first key', async () => {
    await storeToken([firstKey]);
    await rotate();
    const secondKey = ((await currentValue()).keys as string[])[0]!;
    // The token is refreshed under the key of its time (second), as the fleet does within a period.
    await storeToken([secondKey, firstKey]);

    const outcome = await rotate();

    expect(outcome.completed).toBe(true);
    const keys = (await currentValue()).keys as string[];
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(secondKey);
    expect(keys).not.toContain(firstKey);
  });

  it('refuses to drop a key a live token is still sealed under, and leaves AWSCURRENT as it was', async () => {
    await storeToken([firstKey]);
    await rotate();
    const afterFirst = await currentValue();
    // The token was never refreshed since: still under the first key, which the next rotation drops.

    const outcome = await rotate();

    expect(outcome.completed).toBe(false);
    // Every attempt fails at testSecret, as Secrets Manager runs the rotation again from createSecret.
    expect(outcome.runs.filter((run) => run.failedWith)).toEqual([
      { attempt: 1, step: 'testSecret', failedWith: 'KeyRotationError' },
      { attempt: 2, step: 'testSecret', failedWith: 'KeyRotationError' },
      { attempt: 3, step: 'testSecret', failedWith: 'KeyRotationError' },
    ]);
    expect(await currentValue()).toEqual(afterFirst);
    // The unfinished rotation blocks the next one, as in AWS, until its AWSPENDING label goes.
    await expect(
      client.send(new RotateSecretCommand({ SecretId: secretName, RotationLambdaARN: ROTATION_LAMBDA })),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });

    // The documented fix: have the token refreshed, take AWSPENDING off, rotate again.
    await storeToken(afterFirst.keys as string[]);
    const described = await client.send(new DescribeSecretCommand({ SecretId: secretName }));
    const pendingId = Object.entries(described.VersionIdsToStages ?? {}).find(
      ([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
    )![0];
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretName,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pendingId,
      }),
    );
    expect((await rotate()).completed).toBe(true);
  });

  it('drops a key when only an expired access token (no refresh token) is under it', async () => {
    await rotate();
    // Expires in an hour on the real clock; the rotation runs two hours later.
    await storeToken([firstKey], { expiresInS: 3600 });
    sm.onRotation(rotationFunction([TOKEN_TYPE], LATER_MS));

    const outcome = await rotate();

    expect(outcome.completed).toBe(true);
    const test = logLines.filter((line) => line.includes('testSecret')).at(-1)!;
    expect(JSON.parse(test).tokens).toEqual([
      { tokenType: TOKEN_TYPE, verdict: 'expired-under-dropped-key', keyIds: expect.any(Object) },
    ]);
  });

  it('refuses to drop a key a stored refresh token is sealed under, even with its access token expired', async () => {
    await rotate();
    await storeToken([firstKey], { expiresInS: 3600, refreshToken: true });
    sm.onRotation(rotationFunction([TOKEN_TYPE], LATER_MS));

    const outcome = await rotate();

    expect(outcome.completed).toBe(false);
    expect(outcome.runs.at(-1)).toEqual({ attempt: 3, step: 'testSecret', failedWith: 'KeyRotationError' });
  });

  it('passes over tokenTypes with no item, and items sealed under another secret', async () => {
    sm.onRotation(rotationFunction([TOKEN_TYPE, 'no-such-token', 'other-provider']));
    await storeToken([testSecret('otherKey')], { tokenType: 'other-provider' });

    const outcome = await rotate();

    expect(outcome.completed).toBe(true);
    const test = JSON.parse(logLines.filter((line) => line.includes('testSecret')).at(-1)!);
    expect(test.tokens.map((check: { verdict: string }) => check.verdict)).toEqual([
      'absent',
      'absent',
      'not-this-secret',
    ]);
  });

  it('runs the rotation again from createSecret after a failed step, and finishes it', async () => {
    await storeToken([firstKey]);
    const rotation = rotationFunction();
    let injected = false;
    sm.onRotation((event) => {
      // createSecret's first request (its DescribeSecret) is refused, once.
      if (!injected) sm.failNext(1, { type: 'AccessDeniedException', message: 'not authorized' });
      injected = true;
      return rotation(event);
    });
    await client.send(new RotateSecretCommand({ SecretId: secretName, RotationLambdaARN: ROTATION_LAMBDA }));
    const outcome = (await sm.rotationSettled(secretName))!;

    expect(outcome.completed).toBe(true);
    expect(outcome.runs[0]).toEqual({
      attempt: 1,
      step: 'createSecret',
      failedWith: 'AccessDeniedException',
    });
    expect(outcome.runs.slice(1)).toEqual(STEPS.map((step) => ({ attempt: 2, step })));
  });
});

describe('each step on its own, as Secrets Manager retries them', () => {
  async function startRotation(): Promise<SecretsManagerRotationEvent> {
    sm.onRotation(async () => {
      // Hold the steps: this test calls them itself.
    });
    const { VersionId } = await client.send(
      new RotateSecretCommand({ SecretId: secretName, RotationLambdaARN: ROTATION_LAMBDA }),
    );
    await sm.rotationSettled(secretName);
    return { SecretId: sm.arnOf(secretName), ClientRequestToken: VersionId!, Step: 'createSecret' };
  }

  it('does nothing twice: createSecret keeps the first staged key, finishSecret after finishSecret is done', async () => {
    const event = await startRotation();
    const rotation = rotationFunction();

    await rotation(event);
    const staged = await currentValue(secretName, 'AWSPENDING');
    await rotation(event);
    expect(await currentValue(secretName, 'AWSPENDING')).toEqual(staged);

    for (const Step of ['setSecret', 'testSecret', 'finishSecret', 'finishSecret', 'testSecret'] as const) {
      await rotation({ ...event, Step });
    }
    expect(await currentValue()).toEqual(staged);
    expect(logLines.at(-1)).toContain('already AWSCURRENT');
  });

  it('fails with the AWS error when the secret is missing', async () => {
    const event = await startRotation();
    sm.deleteSecret(secretName);

    await expect(rotationFunction()(event)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses a version that is not the rotation’s, and a step it does not know', async () => {
    const event = await startRotation();
    const rotation = rotationFunction();

    await expect(
      rotation({ ...event, ClientRequestToken: 'f6b3ed5e-0000-4000-8000-000000000000' }),
    ).rejects.toThrow(/has no staging label/);
    await expect(rotation({ ...event, Step: 'nextSecret' as never })).rejects.toThrow(KeyRotationError);
  });

  it('refuses to run on a secret whose rotation is not enabled', async () => {
    const rotation = rotationFunction();

    await expect(
      rotation({ SecretId: secretName, ClientRequestToken: 'any', Step: 'createSecret' }),
    ).rejects.toThrow(/rotation is not enabled/);
  });

  it('refuses a pending version that does not keep the current key second', async () => {
    const event = await startRotation();
    const rotation = rotationFunction();
    await rotation(event);
    // Someone rotated by hand meanwhile: AWSCURRENT's key is no longer the pending version's second.
    sm.putSecret(
      secretName,
      JSON.stringify({ clientId: 'sf-client', clientSecret: 'x', key: testSecret('handKey') }),
    );

    await expect(rotation({ ...event, Step: 'testSecret' })).rejects.toThrow(
      /does not hold a new key followed by the current one/,
    );
  });
});

it('runs as deployed: handler.ts, configured by its environment, rotates through the SDK clients it builds', async () => {
  await storeToken([firstKey]);
  // What the function's configuration gives it in Lambda (the module's key_rotation_environment_variables).
  Object.assign(process.env, {
    DYNAMODB_TABLE_ACCESS_TOKENS: TABLE,
    TOKEN_TYPES: `${TOKEN_TYPE}, other-provider`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: table.dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const { handler } = await import('../../examples/key-rotation/handler.js');
  sm.onRotation((event) => handler(event as SecretsManagerRotationEvent));

  const outcome = await rotate();

  expect(outcome.completed).toBe(true);
  expect(((await currentValue()).keys as string[])[1]).toBe(firstKey);
});

it('never logs a key, a token or a credential', () => {
  // Runs last: every test above has logged by now.
  expect(logLines.length).toBeGreaterThan(10);
  expect(countFound(logLines.join('\n'), secretValues)).toBe(0);
});

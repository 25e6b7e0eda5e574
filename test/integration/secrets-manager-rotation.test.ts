/**
 * The local Secrets Manager's rotation operations, through the SDK: UpdateSecretVersionStage's
 * rules for moving labels, RotateSecret's configuration and its AWSPENDING version, and the
 * steps it runs.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type LocalSecretsManager,
  type RotationEvent,
  startSecretsManager,
} from '../../scripts/local-stack/index.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rotation';
const V2 = '22222222-2222-4222-8222-222222222222';
const V3 = '33333333-3333-4333-8333-333333333333';

let sm: LocalSecretsManager;
let client: SecretsManagerClient;
let name: string;
let firstVersion: string;
let count = 0;

beforeAll(async () => {
  sm = await startSecretsManager();
  client = new SecretsManagerClient({
    endpoint: sm.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client.destroy();
  await sm.stop();
});

beforeEach(async () => {
  name = `rotation-ops-${++count}`;
  sm.putSecret(name, '{"a":1}');
  const { VersionId } = await client.send(new GetSecretValueCommand({ SecretId: name }));
  // The first version's id is random; give the tests a known second one, AWSPENDING.
  await client.send(
    new PutSecretValueCommand({
      SecretId: name,
      SecretString: '{"a":2}',
      ClientRequestToken: V2,
      VersionStages: ['AWSPENDING'],
    }),
  );
  firstVersion = VersionId!;
});

async function stages(): Promise<Record<string, string[]>> {
  return (await client.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
}

const move = (input: { VersionStage: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) =>
  client.send(new UpdateSecretVersionStageCommand({ SecretId: name, ...input }));

describe('UpdateSecretVersionStage', () => {
  it('moves AWSCURRENT, leaving AWSPREVIOUS on the version it came from', async () => {
    await move({ VersionStage: 'AWSCURRENT', MoveToVersionId: V2, RemoveFromVersionId: firstVersion });

    expect(await stages()).toEqual({ [firstVersion]: ['AWSPREVIOUS'], [V2]: ['AWSPENDING', 'AWSCURRENT'] });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('{"a":2}');
  });

  it('refuses to move a label attached elsewhere without RemoveFromVersionId, or with the wrong one', async () => {
    await expect(move({ VersionStage: 'AWSCURRENT', MoveToVersionId: V2 })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(`currently attached to version ${firstVersion}`),
    });
    await expect(
      move({ VersionStage: 'AWSCURRENT', MoveToVersionId: V2, RemoveFromVersionId: V2 }),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect((await stages())[firstVersion]).toEqual(['AWSCURRENT']);
  });

  it('refuses to take AWSCURRENT off without moving it: a secret always has a current version', async () => {
    await expect(
      move({ VersionStage: 'AWSCURRENT', RemoveFromVersionId: firstVersion }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('removes another label, and accepts a move onto the version that already has the label', async () => {
    await move({ VersionStage: 'AWSPENDING', MoveToVersionId: V2, RemoveFromVersionId: V2 });
    await move({ VersionStage: 'AWSPENDING', RemoveFromVersionId: V2 });

    expect(await stages()).toEqual({ [firstVersion]: ['AWSCURRENT'] });
  });

  it('refuses an unknown version', async () => {
    await expect(
      move({ VersionStage: 'AWSPENDING', MoveToVersionId: V3, RemoveFromVersionId: V2 }),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('RotateSecret', () => {
  beforeEach(async () => {
    // Clear the AWSPENDING the outer beforeEach staged: it would be a rotation under way.
    await move({ VersionStage: 'AWSPENDING', RemoveFromVersionId: V2 });
  });

  it('with RotateImmediately false only configures rotation', async () => {
    await client.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );

    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(described.LastRotatedDate).toBeUndefined();
    expect(await sm.rotationSettled(name)).toBeUndefined();
  });

  it('labels an empty version AWSPENDING, calls the function with the four steps, and gives the version id', async () => {
    const events: RotationEvent[] = [];
    let pendingValueSeen: string | undefined = 'not read';
    sm.onRotation(async (event) => {
      events.push(event);
      if (event.Step === 'createSecret') {
        // Before createSecret puts a value, the AWSPENDING version has none.
        await client
          .send(
            new GetSecretValueCommand({
              SecretId: name,
              VersionId: event.ClientRequestToken,
              VersionStage: 'AWSPENDING',
            }),
          )
          .then(
            (answer) => (pendingValueSeen = answer.SecretString),
            (error: Error) => (pendingValueSeen = error.name),
          );
        await client.send(
          new PutSecretValueCommand({
            SecretId: name,
            SecretString: '{"a":3}',
            ClientRequestToken: event.ClientRequestToken,
            VersionStages: ['AWSPENDING'],
          }),
        );
      }
      if (event.Step === 'finishSecret') {
        await move({
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: event.ClientRequestToken,
          RemoveFromVersionId: firstVersion,
        });
      }
    });

    const { VersionId } = await client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: LAMBDA }),
    );
    const outcome = await sm.rotationSettled(name);

    expect(pendingValueSeen).toBe('ResourceNotFoundException');
    expect(events.map((event) => event.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(
      events.every((event) => event.ClientRequestToken === VersionId && event.SecretId === sm.arnOf(name)),
    ).toBe(true);
    expect(outcome?.completed).toBe(true);
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('{"a":3}');
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).LastRotatedDate).toBeInstanceOf(
      Date,
    );
  });

  it('refuses a new rotation while an earlier one left AWSPENDING on another version', async () => {
    sm.onRotation(async () => {
      throw Object.assign(new Error('step failed'), { name: 'StepFailed' });
    });
    await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: LAMBDA }));
    const outcome = await sm.rotationSettled(name);

    expect(outcome?.completed).toBe(false);
    expect(outcome?.runs).toEqual(
      [1, 2, 3].map((attempt) => ({ attempt, step: 'createSecret', failedWith: 'StepFailed' })),
    );
    await expect(client.send(new RotateSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining("previous rotation isn't complete"),
    });
  });

  it('refuses a malformed function ARN, a missing one, and rules it does not know', async () => {
    await expect(
      client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: 'rotation' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new RotateSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(
      client.send(
        new RotateSecretCommand({
          SecretId: name,
          RotationLambdaARN: LAMBDA,
          RotationRules: { AutomaticallyAfterDays: 0 },
          RotateImmediately: false,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

/**
 * The four steps of a Secrets Manager rotation for the key of a provider secret (the `key` /
 * `keys` field that seals the shared token). Secrets Manager calls the function once per step
 * and runs the rotation again when a step fails, so every step first looks at what is already
 * done and does nothing twice.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { SaltCipher } from 'lambda-shared-token/advanced';
import { keysOf, pendingSecretString } from './pending-secret.js';
import { checkStoredTokens } from './stored-tokens.js';

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
/** The tokenType of testSecret's own seal-and-open probe: never a table item. */
const PROBE_TOKEN_TYPE = 'lambda-shared-token/key-rotation-probe';

/** A rotation step that cannot go on; the message names the secret, the version and the fix, never a value. */
export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError';
}

/** The lines the function logs: step, secret name, version id, key ids. Never a value. */
export interface RotationLogger {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface KeyRotationOptions {
  secretsManager: SecretsManagerClient;
  dynamo: DynamoDBClient;
  /** The shared-token table. */
  tableName: string;
  /** The tokenTypes sealed with the rotated secrets: testSecret checks their items. */
  tokenTypes: readonly string[];
  logger: RotationLogger;
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
}

interface Step {
  secretId: string;
  /** The secret's name, for messages (the event gives its ARN). */
  name: string;
  versionId: string;
  described: DescribeSecretCommandOutput;
}

/** The rotation Lambda's handler. */
export function keyRotationHandler(
  options: KeyRotationOptions,
): (event: SecretsManagerRotationEvent) => Promise<void> {
  const now = options.now ?? Date.now;
  const sm = options.secretsManager;
  const log = options.logger;

  async function secretString(step: Step, stage: string, versionId?: string): Promise<string> {
    const answer = await sm.send(
      new GetSecretValueCommand({ SecretId: step.secretId, VersionStage: stage, VersionId: versionId }),
    );
    if (answer.SecretString === undefined) {
      throw new KeyRotationError(
        `the ${stage} version of secret "${step.name}" has no SecretString (binary secrets are not provider secrets)`,
      );
    }
    return answer.SecretString;
  }

  async function createSecret(step: Step): Promise<void> {
    const current = await secretString(step, CURRENT);
    try {
      await secretString(step, PENDING, step.versionId);
      log.info('createSecret: the new version is already staged', fieldsOf(step));
      return;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    const pending = pendingSecretString(step.name, current);
    try {
      await sm.send(
        new PutSecretValueCommand({
          SecretId: step.secretId,
          ClientRequestToken: step.versionId,
          SecretString: pending,
          VersionStages: [PENDING],
        }),
      );
    } catch (error) {
      // An earlier attempt put its own key under this version id meanwhile: that one stands.
      if ((error as Error).name !== 'ResourceExistsException') throw error;
      log.info('createSecret: an earlier attempt staged the new version', fieldsOf(step));
      return;
    }
    log.info('createSecret: staged a new key, the current one kept second', {
      ...fieldsOf(step),
      keyIds: new SaltCipher({ keys: keysOf(step.name, pending) }).keyIds(),
    });
  }

  function setSecret(step: Step): void {
    // A password rotation would change the database here. This key has no other holder: the
    // functions that share the token read it from this secret, and nothing else.
    log.info('setSecret: nothing to set, the key lives only in this secret', fieldsOf(step));
  }

  async function testSecret(step: Step): Promise<void> {
    const pendingKeys = keysOf(step.name, await secretString(step, PENDING, step.versionId));
    const currentKeys = keysOf(step.name, await secretString(step, CURRENT));
    if (pendingKeys.length !== 2 || pendingKeys[1] !== currentKeys[0]) {
      throw new KeyRotationError(
        `the AWSPENDING version ${step.versionId} of secret "${step.name}" does not hold a new key followed by the current one; remove its AWSPENDING label (update-secret-version-stage --remove-from-version-id) and rotate again`,
      );
    }
    const pending = new SaltCipher({ keys: pendingKeys });
    const current = new SaltCipher({ keys: currentKeys });
    // New tokens are sealed under the new key, and tokens sealed today (under the current key) open.
    const probe = `probe-${now()}`;
    const sealedNow = await current.encrypt(probe, PROBE_TOKEN_TYPE);
    const sealedNext = await pending.encrypt(probe, PROBE_TOKEN_TYPE);
    if (
      (await pending.decrypt(sealedNow, PROBE_TOKEN_TYPE)) !== probe ||
      (await pending.decrypt(sealedNext, PROBE_TOKEN_TYPE)) !== probe ||
      pending.keyIdOf(sealedNext) !== pending.keyIds()[0]
    ) {
      throw new KeyRotationError(
        `the AWSPENDING version of secret "${step.name}" does not seal and open a token`,
      );
    }
    const checks = await checkStoredTokens({
      dynamo: options.dynamo,
      tableName: options.tableName,
      tokenTypes: options.tokenTypes,
      currentKeys,
      pendingKeys,
      nowMs: now(),
    });
    const lost = checks.filter((check) => check.verdict === 'would-be-lost').map((check) => check.tokenType);
    if (lost.length > 0) {
      throw new KeyRotationError(
        `secret "${step.name}": the stored token of ${lost.join(', ')} is sealed under the key this rotation drops and would be lost (a live access token, or a rotated refresh token). Rotations come faster than tokens are replaced: make the rotation period longer than secretCacheExpiry plus the token's lifetime, or have the token refreshed (invoke a function that uses it, or the scheduled refresher); Secrets Manager retries the rotation`,
      );
    }
    log.info('testSecret: the new version seals and opens, and every stored token still opens', {
      ...fieldsOf(step),
      tokens: checks,
    });
  }

  async function finishSecret(step: Step): Promise<void> {
    const stages = step.described.VersionIdsToStages ?? {};
    const current = Object.keys(stages).find((id) => stages[id]?.includes(CURRENT));
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: step.secretId,
        VersionStage: CURRENT,
        MoveToVersionId: step.versionId,
        RemoveFromVersionId: current,
      }),
    );
    log.info('finishSecret: the new version is AWSCURRENT', {
      ...fieldsOf(step),
      previousVersionId: current,
    });
  }

  return async (event) => {
    const { SecretId: secretId, ClientRequestToken: versionId, Step: stepName } = event;
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const step: Step = { secretId, name: described.Name ?? secretId, versionId, described };
    if (!described.RotationEnabled) {
      throw new KeyRotationError(`rotation is not enabled for secret "${step.name}"`);
    }
    const stages = described.VersionIdsToStages?.[versionId];
    if (stages === undefined) {
      throw new KeyRotationError(
        `version ${versionId} of secret "${step.name}" has no staging label: it is not a rotation's version`,
      );
    }
    if (stages.includes(CURRENT)) {
      // A step run again after finishSecret: the rotation is done.
      log.info(`${stepName}: the version is already AWSCURRENT`, fieldsOf(step));
      return;
    }
    if (!stages.includes(PENDING)) {
      throw new KeyRotationError(`version ${versionId} of secret "${step.name}" is not AWSPENDING`);
    }
    if (stepName === 'createSecret') await createSecret(step);
    else if (stepName === 'setSecret') setSecret(step);
    else if (stepName === 'testSecret') await testSecret(step);
    else if (stepName === 'finishSecret') await finishSecret(step);
    else throw new KeyRotationError(`unknown rotation step "${String(stepName)}"`);
  };
}

function fieldsOf(step: Step): Record<string, unknown> {
  return { secret: step.name, versionId: step.versionId };
}

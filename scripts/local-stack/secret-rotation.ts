/**
 * What the local Secrets Manager does after RotateSecret: invoke the secret's rotation function
 * with the four steps in turn, as Secrets Manager invokes the rotation Lambda, and when a step
 * fails, run the whole rotation again from createSecret with the same ClientRequestToken (so a
 * rotation function is exercised on steps it has already done, which it must treat as done).
 */
import { AwsServiceError, validationError } from './aws-json-server.js';

/** The event a rotation Lambda receives. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
}

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export const ROTATION_STEPS: readonly RotationStep[] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];

/** The rotation Lambda; a rejected promise is a failed step. */
export type RotationFunction = (event: RotationEvent) => Promise<unknown>;

export interface RotationStepRun {
  attempt: number;
  step: RotationStep;
  /** The error's name when the step failed (never its message: a function's message may be anything). */
  failedWith?: string;
}

export interface RotationOutcome {
  versionId: string;
  /** The new version became AWSCURRENT. */
  completed: boolean;
  /** Every step run, in order, over every attempt. */
  runs: RotationStepRun[];
}

/** Runs of the whole rotation before it is given up (the first and two retries). */
export const ROTATION_ATTEMPTS = 3;

const RULE_KEYS = new Set(['AutomaticallyAfterDays', 'Duration', 'ScheduleExpression']);

/** RotationRules as RotateSecret takes them, checked for shape (not for AWS's full schedule grammar). */
export function rotationRulesOf(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw validationError('RotationRules', 'must be an object');
  const rules = value as Record<string, unknown>;
  for (const key of Object.keys(rules)) {
    if (!RULE_KEYS.has(key)) throw validationError(`RotationRules.${key}`, 'is not a known rotation rule');
  }
  const days = rules.AutomaticallyAfterDays;
  if (days !== undefined && (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 1000)) {
    throw validationError('RotationRules.AutomaticallyAfterDays', 'must be an integer from 1 to 1000');
  }
  if (days !== undefined && rules.ScheduleExpression !== undefined) {
    throw new AwsServiceError(
      'InvalidParameterException',
      'You can use either AutomaticallyAfterDays or ScheduleExpression, not both.',
    );
  }
  return { ...rules };
}

/** The rotations under way and their outcomes, by secret name. */
export class RotationRunner {
  private readonly running = new Map<string, Promise<RotationOutcome>>();

  /**
   * Starts the steps for `versionId` of `secretName` (without waiting). `finished` says whether the
   * version is AWSCURRENT after finishSecret, and completes the rotation when it is.
   */
  start(
    rotationFunction: RotationFunction,
    secretId: string,
    secretName: string,
    versionId: string,
    finished: () => boolean,
  ): void {
    const outcome = this.run(rotationFunction, secretId, versionId, finished);
    this.running.set(secretName, outcome);
  }

  settled(secretName: string): Promise<RotationOutcome | undefined> {
    return this.running.get(secretName) ?? Promise.resolve(undefined);
  }

  private async run(
    rotationFunction: RotationFunction,
    secretId: string,
    versionId: string,
    finished: () => boolean,
  ): Promise<RotationOutcome> {
    const runs: RotationStepRun[] = [];
    for (let attempt = 1; attempt <= ROTATION_ATTEMPTS; attempt++) {
      let failed = false;
      for (const step of ROTATION_STEPS) {
        try {
          await rotationFunction({ SecretId: secretId, ClientRequestToken: versionId, Step: step });
          runs.push({ attempt, step });
        } catch (error) {
          runs.push({ attempt, step, failedWith: error instanceof Error ? error.name : typeof error });
          failed = true;
          break;
        }
      }
      if (!failed) return { versionId, completed: finished(), runs };
    }
    return { versionId, completed: false, runs };
  }
}

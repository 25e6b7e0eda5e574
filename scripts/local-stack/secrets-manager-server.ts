import { randomBytes, randomUUID } from 'node:crypto';
import type { AwsFault, AwsJsonInput, AwsStallControl } from './aws-json-server.js';
import {
  AwsFaultQueue,
  AwsServiceError,
  optionalString,
  requiredString,
  startAwsJsonServer,
  validationError,
} from './aws-json-server.js';
import { registerSecretString } from './secret-registry.js';
import {
  type RotationFunction,
  type RotationOutcome,
  RotationRunner,
  rotationRulesOf,
} from './secret-rotation.js';

/**
 * A local AWS Secrets Manager on 127.0.0.1 speaking the real JSON 1.1 protocol, so the SDK v3 client and
 * `@middy/secrets-manager` run unchanged against it. Operations: GetSecretValue, DescribeSecret,
 * CreateSecret, PutSecretValue, DeleteSecret, and rotation: RotateSecret (which runs the four steps
 * through `onRotation`'s function, as Secrets Manager invokes the rotation Lambda) and
 * UpdateSecretVersionStage. SecretString only (no SecretBinary).
 * No answer, error or log line ever holds a SecretString.
 */

export interface LocalSecretsManagerOptions {
  /** Secrets present at start, name to SecretString; each gets one AWSCURRENT version. @default {} */
  secrets?: Record<string, string>;
  /** The region in ARNs, and the one the SigV4 credential scope must name. @default 'us-east-1' */
  region?: string;
  /** The 12-digit account in ARNs. @default '123456789012' */
  accountId?: string;
  /**
   * Epoch milliseconds for CreatedDate / LastChangedDate (answered in epoch seconds, as AWS does), and for the
   * `durationMs` of `stall()`. @default Date.now
   */
  now?: () => number;
}

export interface SecretsManagerStats {
  /** Every well-formed request (signed, known operation, JSON body), injected failures and stalls included. */
  calls: number;
  byOperation: Record<string, number>;
  /** GetSecretValue calls by secret name (an ARN that names a known secret counts under its name). */
  getSecretValueByName: Record<string, number>;
}

export type SecretsManagerFault = AwsFault;

/**
 * `stall({ operations: ['GetSecretValue'], count?, durationMs? })` holds the next matching requests unanswered
 * (after the `failNext` queue, which goes first); `clearStalls()`, `stallStats()`, `heldOpen()`.
 */
export interface LocalSecretsManager extends AwsStallControl {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Creates the secret, or adds a version that becomes AWSCURRENT (the old current one becomes AWSPREVIOUS). */
  putSecret(name: string, secretString: string): void;
  /**
   * Every version's SecretString, oldest first: what the secret has held (e.g. every key a rotation
   * made). For a run's own checks; these are secret values, never print them.
   */
  secretStrings(name: string): string[];
  /** Removes the secret at once, like DeleteSecret with ForceDeleteWithoutRecovery. */
  deleteSecret(name: string): void;
  /** The ARN generated for a secret: `arn:aws:secretsmanager:{region}:{account}:secret:{name}-{6 chars}`. */
  arnOf(name: string): string;
  stats(): SecretsManagerStats;
  resetStats(): void;
  /**
   * The next `count` well-formed requests get this error (status defaults to 500 for Internal*, 503 for
   * ServiceUnavailable, else 400), or 'timeout': no answer until stop(). Queued after earlier injections.
   */
  failNext(count: number, fault: SecretsManagerFault): void;
  /**
   * The rotation Lambda of every secret: RotateSecret calls it with each step (createSecret,
   * setSecret, testSecret, finishSecret) in turn and, when a step fails, runs the rotation again
   * from createSecret, up to 3 times in all (secret-rotation.ts). Without one, RotateSecret with
   * RotateImmediately is refused.
   */
  onRotation(rotationFunction: RotationFunction | undefined): void;
  /** Resolves when the rotation RotateSecret started for `name` has ended (at once when none ran). */
  rotationSettled(name: string): Promise<RotationOutcome | undefined>;
  /** Closes every socket and ends parked 'timeout' requests. Idempotent. */
  stop(): Promise<void>;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:[a-zA-Z0-9$_-]+)?$/;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const OPTION_KEYS = new Set(['secrets', 'region', 'accountId', 'now']);
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

interface SecretVersion {
  id: string;
  /** Undefined for the version RotateSecret labels AWSPENDING before createSecret has put its value. */
  secretString: string | undefined;
  createdMs: number;
  stages: string[];
}

interface StoredSecret {
  name: string;
  arn: string;
  createdMs: number;
  lastChangedMs: number;
  /** Set when DeleteSecret scheduled the deletion: the secret can be described but not read. */
  deletion?: { requestedMs: number; scheduledMs: number };
  /** Set by RotateSecret: rotation is then enabled. */
  rotation?: { lambdaArn: string; rules: Record<string, unknown>; lastRotatedMs?: number };
  versions: SecretVersion[];
}

const emptyStats = (): SecretsManagerStats => ({ calls: 0, byOperation: {}, getSecretValueByName: {} });
const seconds = (ms: number): number => ms / 1000;

function randomSuffix(): string {
  return Array.from(randomBytes(6), (byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
}

function validateOptions(options: LocalSecretsManagerOptions): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`startSecretsManager: unknown option '${key}'`);
  }
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(options.region)) {
    throw new TypeError("startSecretsManager: 'region' must look like 'us-east-1'");
  }
  if (options.accountId !== undefined && !/^\d{12}$/.test(options.accountId)) {
    throw new TypeError("startSecretsManager: 'accountId' must be 12 digits");
  }
}

/** Starts a local Secrets Manager on 127.0.0.1 with an OS-assigned port. */
export async function startSecretsManager(
  options: LocalSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  validateOptions(options);
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const now = options.now ?? Date.now;
  const secrets = new Map<string, StoredSecret>();
  const faults = new AwsFaultQueue();
  const rotations = new RotationRunner();
  let rotationFunction: RotationFunction | undefined;
  let stats = emptyStats();

  function find(secretId: string): StoredSecret | undefined {
    const byName = secrets.get(secretId);
    if (byName) return byName;
    // A full ARN, or a partial one without the random suffix, as AWS accepts.
    for (const secret of secrets.values()) {
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    return undefined;
  }

  function existing(input: AwsJsonInput, { readable }: { readable: boolean }): StoredSecret {
    const secret = find(requiredString(input, 'SecretId'));
    if (!secret) throw new AwsServiceError('ResourceNotFoundException', NOT_FOUND);
    if (readable && secret.deletion) {
      throw new AwsServiceError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  }

  function create(name: string): StoredSecret {
    if (!NAME_PATTERN.test(name)) throw validationError('Name', 'must match [A-Za-z0-9/_+=.@-]{1,512}');
    const createdMs = now();
    const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomSuffix()}`;
    const secret: StoredSecret = { name, arn, createdMs, lastChangedMs: createdMs, versions: [] };
    secrets.set(name, secret);
    return secret;
  }

  /**
   * Attaches `stages` to `version`: each label leaves the version it was on, and a moved AWSCURRENT
   * leaves AWSPREVIOUS on the version it came from, as Secrets Manager does.
   */
  function attachStages(secret: StoredSecret, version: SecretVersion, stages: string[]): void {
    const oldCurrent = stages.includes(CURRENT)
      ? secret.versions.find((v) => v !== version && v.stages.includes(CURRENT))
      : undefined;
    const moved = oldCurrent ? [...stages, PREVIOUS] : stages;
    for (const other of secret.versions) {
      if (other !== version) other.stages = other.stages.filter((s) => !moved.includes(s));
    }
    oldCurrent?.stages.push(PREVIOUS);
    version.stages = [
      ...new Set([...version.stages.filter((s) => !(oldCurrent && s === PREVIOUS)), ...stages]),
    ];
  }

  /** Adds a version carrying `stages` (see attachStages), or gives a valueless one its value. */
  function addVersion(
    secret: StoredSecret,
    id: string,
    secretString: string,
    stages: string[],
  ): SecretVersion {
    // Every stored value, from the options, putSecret or the API: the secret scan fails a test that prints one.
    registerSecretString(secretString, `secrets-manager:${secret.name}`);
    let version = secret.versions.find((v) => v.id === id);
    if (version) version.secretString = secretString;
    else {
      version = { id, secretString, createdMs: now(), stages: [] };
      secret.versions.push(version);
    }
    attachStages(secret, version, stages);
    secret.lastChangedMs = now();
    return version;
  }

  function versionOf(secret: StoredSecret, versionId: string, field: string): SecretVersion {
    const version = secret.versions.find((v) => v.id === versionId);
    if (!version) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the ${field}: ${versionId}`,
      );
    }
    return version;
  }

  function newVersionId(input: AwsJsonInput): string {
    // The SDK fills ClientRequestToken with a UUID (an idempotency token); AWS uses it as the VersionId.
    return optionalString(input, 'ClientRequestToken') ?? randomUUID();
  }

  function secretStringOf(input: AwsJsonInput): string | undefined {
    if (input.SecretBinary !== undefined)
      throw validationError('SecretBinary', 'is not supported by this local server');
    const value = input.SecretString;
    if (value !== undefined && typeof value !== 'string')
      throw validationError('SecretString', 'must be a string');
    return value;
  }

  const operations = {
    GetSecretValue(input: AwsJsonInput) {
      const secret = existing(input, { readable: true });
      const versionId = optionalString(input, 'VersionId');
      const stage = optionalString(input, 'VersionStage') ?? (versionId === undefined ? CURRENT : undefined);
      const version = secret.versions.find(
        (v) =>
          (versionId === undefined || v.id === versionId) &&
          (stage === undefined || v.stages.includes(stage)),
      );
      // A version RotateSecret labelled AWSPENDING has no value until createSecret puts one.
      if (version?.secretString === undefined) {
        const which = versionId === undefined ? `staging label: ${stage}` : `VersionId: ${versionId}`;
        throw new AwsServiceError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for ${which}`,
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        SecretString: version.secretString,
        VersionStages: [...version.stages],
        CreatedDate: seconds(version.createdMs),
      };
    },

    DescribeSecret(input: AwsJsonInput) {
      const secret = existing(input, { readable: false });
      const staged = secret.versions.filter((v) => v.stages.length > 0);
      return {
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: seconds(secret.createdMs),
        LastChangedDate: seconds(secret.lastChangedMs),
        ...(secret.deletion ? { DeletedDate: seconds(secret.deletion.requestedMs) } : {}),
        ...(secret.rotation && {
          RotationEnabled: true,
          RotationLambdaARN: secret.rotation.lambdaArn,
          RotationRules: { ...secret.rotation.rules },
          ...(secret.rotation.lastRotatedMs !== undefined && {
            LastRotatedDate: seconds(secret.rotation.lastRotatedMs),
          }),
        }),
        VersionIdsToStages: Object.fromEntries(staged.map((v) => [v.id, [...v.stages]])),
      };
    },

    CreateSecret(input: AwsJsonInput) {
      const name = requiredString(input, 'Name');
      const secretString = secretStringOf(input);
      const versionId = newVersionId(input);
      const taken = secrets.get(name);
      if (taken?.deletion) {
        throw new AwsServiceError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      if (taken) {
        throw new AwsServiceError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret = create(name);
      if (secretString === undefined) return { ARN: secret.arn, Name: secret.name };
      addVersion(secret, versionId, secretString, [CURRENT]);
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
    },

    PutSecretValue(input: AwsJsonInput) {
      const secret = existing(input, { readable: true });
      const secretString = secretStringOf(input);
      if (secretString === undefined) throw validationError('SecretString', 'must not be null');
      const versionId = newVersionId(input);
      const stages = input.VersionStages ?? [CURRENT];
      if (
        !Array.isArray(stages) ||
        stages.length === 0 ||
        !stages.every((s) => typeof s === 'string' && s !== '')
      ) {
        throw validationError('VersionStages', 'must be a non-empty list of strings');
      }
      const known = secret.versions.find((v) => v.id === versionId && v.secretString !== undefined);
      // An SDK retry of the same request is idempotent; another value under the same VersionId is refused.
      if (known && known.secretString !== secretString) {
        throw new AwsServiceError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      const version = known ?? addVersion(secret, versionId, secretString, stages as string[]);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        VersionStages: [...version.stages],
      };
    },

    UpdateSecretVersionStage(input: AwsJsonInput) {
      const secret = existing(input, { readable: true });
      const stage = requiredString(input, 'VersionStage');
      const moveTo = optionalString(input, 'MoveToVersionId');
      const removeFrom = optionalString(input, 'RemoveFromVersionId');
      const holder = secret.versions.find((v) => v.stages.includes(stage));
      if (removeFrom !== undefined && holder?.id !== removeFrom) {
        throw new AwsServiceError(
          'InvalidParameterException',
          `The staging label ${stage} is not attached to version ${removeFrom}, so it can't be removed from it.`,
        );
      }
      if (moveTo === undefined) {
        if (removeFrom === undefined)
          throw validationError('MoveToVersionId', 'or RemoveFromVersionId must be given');
        if (stage === CURRENT) {
          throw new AwsServiceError(
            'InvalidParameterException',
            "You can't remove the staging label AWSCURRENT from a version: move it to another version instead.",
          );
        }
        holder!.stages = holder!.stages.filter((s) => s !== stage);
        secret.lastChangedMs = now();
        return { ARN: secret.arn, Name: secret.name };
      }
      const target = versionOf(secret, moveTo, 'version in MoveToVersionId');
      if (target.secretString === undefined) {
        throw new AwsServiceError(
          'InvalidRequestException',
          `Version ${moveTo} has no secret value yet; put one before staging it.`,
        );
      }
      if (holder && holder !== target && removeFrom === undefined) {
        throw new AwsServiceError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      if (holder !== target) {
        attachStages(secret, target, [stage]);
        secret.lastChangedMs = now();
      }
      return { ARN: secret.arn, Name: secret.name };
    },

    RotateSecret(input: AwsJsonInput) {
      const secret = existing(input, { readable: true });
      const lambdaArn = optionalString(input, 'RotationLambdaARN') ?? secret.rotation?.lambdaArn;
      if (lambdaArn === undefined) {
        throw new AwsServiceError(
          'InvalidRequestException',
          'No Lambda rotation function ARN is associated with this secret: pass RotationLambdaARN.',
        );
      }
      if (!LAMBDA_ARN.test(lambdaArn))
        throw validationError('RotationLambdaARN', 'must be a Lambda function ARN');
      const rules =
        input.RotationRules === undefined
          ? (secret.rotation?.rules ?? {})
          : rotationRulesOf(input.RotationRules);
      const immediately = input.RotateImmediately ?? true;
      if (typeof immediately !== 'boolean') throw validationError('RotateImmediately', 'must be a boolean');
      const current = secret.versions.find((v) => v.stages.includes(CURRENT));
      const pending = secret.versions.find((v) => v.stages.includes(PENDING));
      // Secrets Manager's rule: AWSPENDING on another version than AWSCURRENT is a rotation still under way.
      if (pending && pending !== current) {
        throw new AwsServiceError(
          'InvalidRequestException',
          "A previous rotation isn't complete. That rotation will be reattempted.",
        );
      }
      secret.rotation = { ...secret.rotation, lambdaArn, rules };
      if (!immediately) return { ARN: secret.arn, Name: secret.name };
      if (!rotationFunction) {
        throw new AwsServiceError(
          'InvalidRequestException',
          'This local server has no rotation function (onRotation).',
        );
      }
      const versionId = newVersionId(input);
      if (secret.versions.some((v) => v.id === versionId)) {
        throw new AwsServiceError(
          'ResourceExistsException',
          `A version with VersionId ${versionId} already exists.`,
        );
      }
      secret.versions.push({ id: versionId, secretString: undefined, createdMs: now(), stages: [] });
      attachStages(secret, secret.versions.at(-1)!, [PENDING]);
      const finished = (): boolean => {
        const version = secret.versions.find((v) => v.id === versionId);
        if (!version?.stages.includes(CURRENT)) return false;
        // AWSPENDING stays on the new AWSCURRENT (Secrets Manager may leave it there or on no
        // version); the next RotateSecret moves it to its own version.
        secret.rotation!.lastRotatedMs = now();
        return true;
      };
      rotations.start(rotationFunction, secret.arn, secret.name, versionId, finished);
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
    },

    DeleteSecret(input: AwsJsonInput) {
      const secret = existing(input, { readable: false });
      const force = input.ForceDeleteWithoutRecovery === true;
      const windowDays = input.RecoveryWindowInDays ?? 30;
      if (force && input.RecoveryWindowInDays !== undefined) {
        throw new AwsServiceError(
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (
        typeof windowDays !== 'number' ||
        !Number.isInteger(windowDays) ||
        windowDays < 7 ||
        windowDays > 30
      ) {
        throw validationError('RecoveryWindowInDays', 'must be an integer from 7 to 30');
      }
      const requestedMs = now();
      if (force) secrets.delete(secret.name);
      else secret.deletion ??= { requestedMs, scheduledMs: requestedMs + windowDays * 86_400_000 };
      return {
        ARN: secret.arn,
        Name: secret.name,
        DeletionDate: seconds(secret.deletion?.scheduledMs ?? requestedMs),
      };
    },
  };

  function countCall(operation: string, input: AwsJsonInput): SecretsManagerFault | undefined {
    stats.calls++;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    if (operation === 'GetSecretValue' && typeof input.SecretId === 'string') {
      const name = find(input.SecretId)?.name ?? input.SecretId;
      stats.getSecretValueByName[name] = (stats.getSecretValueByName[name] ?? 0) + 1;
    }
    return faults.take();
  }

  function putSecret(name: string, secretString: string): void {
    if (typeof secretString !== 'string')
      throw new TypeError(`putSecret: the value of '${name}' must be a string`);
    const secret = secrets.get(name) ?? create(name);
    if (secret.deletion) throw new Error(`putSecret: '${name}' is scheduled for deletion`);
    addVersion(secret, randomUUID(), secretString, [CURRENT]);
  }

  for (const [name, value] of Object.entries(options.secrets ?? {})) putSecret(name, value);
  const server = await startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    signingName: 'secretsmanager',
    region,
    operations,
    beforeOperation: countCall,
    now,
  });

  return {
    endpoint: server.endpoint,
    putSecret,
    secretStrings: (name) =>
      (secrets.get(name)?.versions ?? []).flatMap((v) =>
        v.secretString === undefined ? [] : [v.secretString],
      ),
    deleteSecret: (name) => {
      secrets.delete(name);
    },
    arnOf: (name) => {
      const secret = secrets.get(name);
      if (!secret) throw new Error(`arnOf: no secret named '${name}'`);
      return secret.arn;
    },
    stats: () => ({
      calls: stats.calls,
      byOperation: { ...stats.byOperation },
      getSecretValueByName: { ...stats.getSecretValueByName },
    }),
    resetStats: () => {
      stats = emptyStats();
    },
    failNext: (count, fault) => faults.add(count, fault),
    onRotation: (fn) => {
      rotationFunction = fn;
    },
    rotationSettled: (name) => rotations.settled(name),
    stall: (stall) => server.stall(stall),
    clearStalls: () => server.clearStalls(),
    stallStats: () => server.stallStats(),
    heldOpen: () => server.heldOpen(),
    stop: async () => {
      faults.clear();
      await server.stop();
    },
  };
}

import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { AwsFault, AwsJsonInput, AwsStallControl } from './aws-json-server.js';
import {
  AwsFaultQueue,
  AwsServiceError,
  optionalString,
  requiredString,
  startAwsJsonServer,
  validationError,
} from './aws-json-server.js';
import { registerSecret } from './secret-registry.js';

/**
 * A local AWS KMS on 127.0.0.1 speaking the real JSON 1.1 protocol (`X-Amz-Target:
 * TrentService.GenerateDataKey`, `TrentService.Decrypt`, base64 blobs), so the SDK v3 KMSClient
 * runs unchanged against it. Symmetric keys only. A data key is sealed under its master key with
 * AES-256-GCM and the canonical (sorted) EncryptionContext as authenticated data, so Decrypt under
 * another context fails with InvalidCiphertextException, as KMS does. Counts calls by operation
 * and injects failures. No answer, error or log line holds key material beyond the `Plaintext`
 * field that KMS itself returns.
 */

export interface LocalKmsOptions {
  /** Aliases (`alias/...`), each naming a new symmetric key created at start. @default ['alias/shared-token'] */
  aliases?: string[];
  /** The region in ARNs, and the one the SigV4 credential scope must name. @default 'us-east-1' */
  region?: string;
  /** The 12-digit account in ARNs. @default '123456789012' */
  accountId?: string;
  /** Epoch ms, for the `durationMs` of `stall()`. @default Date.now */
  now?: () => number;
}

export interface KmsStats {
  /** Every well-formed request (signed, known operation, JSON body), injected failures and stalls included. */
  calls: number;
  byOperation: Record<string, number>;
}

export interface LocalKmsKey {
  keyId: string;
  arn: string;
  alias: string | undefined;
}

/**
 * `stall({ operations: ['GenerateDataKey', 'Decrypt'], count?, durationMs? })` holds the next matching requests
 * unanswered (after the `failNext` queue, which goes first); `clearStalls()`, `stallStats()`, `heldOpen()`.
 */
export interface LocalKms extends AwsStallControl {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The keys created at start, in the order of `aliases`. */
  keys: LocalKmsKey[];
  /** Creates another symmetric key, optionally under an alias. */
  createKey(alias?: string): LocalKmsKey;
  stats(): KmsStats;
  resetStats(): void;
  /**
   * The next `count` well-formed requests get this error (status defaults to 500 for Internal*, 503 for
   * ServiceUnavailable, else 400), or 'timeout': no answer until stop(). Queued after earlier injections.
   */
  failNext(count: number, fault: AwsFault): void;
  /** Closes every socket and ends parked 'timeout' requests. Idempotent. */
  stop(): Promise<void>;
}

const OPTION_KEYS = new Set(['aliases', 'region', 'accountId', 'now']);
const ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
/** Ciphertext blob: format byte, key id (36-character UUID), IV, sealed data key, tag. */
const BLOB_FORMAT = 1;
const UUID_LENGTH = 36;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const invalidCiphertext = (): AwsServiceError =>
  new AwsServiceError('InvalidCiphertextException', 'The ciphertext or encryption context is not valid.');

interface MasterKey extends LocalKmsKey {
  material: Buffer;
}

function validateOptions(options: LocalKmsOptions): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`startKms: unknown option '${key}'`);
  }
  for (const alias of options.aliases ?? []) {
    if (typeof alias !== 'string' || !ALIAS.test(alias) || alias.startsWith('alias/aws/')) {
      throw new TypeError("startKms: each alias must look like 'alias/name' (not alias/aws/...)");
    }
  }
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(options.region)) {
    throw new TypeError("startKms: 'region' must look like 'us-east-1'");
  }
  if (options.accountId !== undefined && !/^\d{12}$/.test(options.accountId)) {
    throw new TypeError("startKms: 'accountId' must be 12 digits");
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError("startKms: 'now' must be a function returning epoch ms");
  }
}

/** Canonical EncryptionContext bytes: entries sorted by name, as JSON. Validates the shape. */
function canonicalContext(input: AwsJsonInput): Buffer {
  const context = input.EncryptionContext ?? {};
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw validationError('EncryptionContext', 'must be a map of strings to strings');
  }
  const entries = Object.entries(context as Record<string, unknown>);
  if (!entries.every(([, value]) => typeof value === 'string')) {
    throw validationError('EncryptionContext', 'must be a map of strings to strings');
  }
  return Buffer.from(JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function base64Blob(input: AwsJsonInput, field: string): Buffer {
  const value = requiredString(input, field);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) throw validationError(field, 'must be base64');
  if (bytes.length < 1 || bytes.length > 6144) throw validationError(field, 'must be 1 to 6144 bytes');
  return bytes;
}

/** Starts a local KMS on 127.0.0.1 with an OS-assigned port. */
export async function startKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  validateOptions(options);
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const keys = new Map<string, MasterKey>();
  const aliases = new Map<string, string>();
  const faults = new AwsFaultQueue();
  let stats: KmsStats = { calls: 0, byOperation: {} };

  function createKey(alias?: string): LocalKmsKey {
    if (alias !== undefined && (!ALIAS.test(alias) || aliases.has(alias))) {
      throw new TypeError(`createKey: '${alias}' is not a free alias/name`);
    }
    const keyId = randomUUID();
    const key = {
      keyId,
      arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
      alias,
      material: randomBytes(32),
    };
    keys.set(keyId, key);
    if (alias !== undefined) aliases.set(alias, keyId);
    return { keyId, arn: key.arn, alias };
  }

  /** A key by id, key ARN, alias name or alias ARN, as KMS resolves a KeyId. */
  function resolve(keyId: string): MasterKey {
    const prefix = `arn:aws:kms:${region}:${accountId}:`;
    const local = keyId.startsWith(prefix) ? keyId.slice(prefix.length).replace(/^key\//, '') : keyId;
    const key = keys.get(aliases.get(local) ?? local);
    if (!key) throw new AwsServiceError('NotFoundException', `Key '${keyId}' does not exist`);
    return key;
  }

  function seal(key: MasterKey, plaintext: Buffer, context: Buffer): Buffer {
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(context);
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([
      Buffer.from([BLOB_FORMAT]),
      Buffer.from(key.keyId),
      iv,
      sealed,
      cipher.getAuthTag(),
    ]);
  }

  function unseal(blob: Buffer, context: Buffer): { key: MasterKey; plaintext: Buffer } {
    if (blob.length < 1 + UUID_LENGTH + IV_LENGTH + TAG_LENGTH + 1 || blob[0] !== BLOB_FORMAT) {
      throw invalidCiphertext();
    }
    const key = keys.get(blob.subarray(1, 1 + UUID_LENGTH).toString());
    if (!key) throw invalidCiphertext();
    const ivEnd = 1 + UUID_LENGTH + IV_LENGTH;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, blob.subarray(1 + UUID_LENGTH, ivEnd));
      decipher.setAAD(context);
      decipher.setAuthTag(blob.subarray(blob.length - TAG_LENGTH));
      const plaintext = Buffer.concat([
        decipher.update(blob.subarray(ivEnd, blob.length - TAG_LENGTH)),
        decipher.final(),
      ]);
      return { key, plaintext };
    } catch {
      // KMS says no more than this: another context, another key's blob, or altered bytes look alike.
      throw invalidCiphertext();
    }
  }

  const operations = {
    GenerateDataKey(input: AwsJsonInput) {
      const key = resolve(requiredString(input, 'KeyId'));
      const spec = optionalString(input, 'KeySpec');
      const count = input.NumberOfBytes;
      if ((spec === undefined) === (count === undefined)) {
        throw validationError('KeySpec', 'or NumberOfBytes must be given, and not both');
      }
      if (spec !== undefined && spec !== 'AES_256' && spec !== 'AES_128') {
        throw validationError('KeySpec', 'must be AES_256 or AES_128');
      }
      if (
        count !== undefined &&
        (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1024)
      ) {
        throw validationError('NumberOfBytes', 'must be an integer from 1 to 1024');
      }
      const plaintext = randomBytes(spec === 'AES_128' ? 16 : spec === 'AES_256' ? 32 : (count as number));
      const blob = seal(key, plaintext, canonicalContext(input));
      // The plaintext data key in the encodings a leak would take: base64 (as KMS answers) and hex.
      registerSecret(plaintext.toString('base64'), `kms:${key.alias ?? key.keyId}:data-key`);
      registerSecret(plaintext.toString('hex'), `kms:${key.alias ?? key.keyId}:data-key:hex`);
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: blob.toString('base64'),
      };
    },

    Decrypt(input: AwsJsonInput) {
      const context = canonicalContext(input);
      const blob = base64Blob(input, 'CiphertextBlob');
      const wanted = optionalString(input, 'KeyId');
      const pinned = wanted === undefined ? undefined : resolve(wanted);
      const { key, plaintext } = unseal(blob, context);
      if (pinned !== undefined && pinned.keyId !== key.keyId) {
        throw new AwsServiceError(
          'IncorrectKeyException',
          'The key ID in the request does not identify a KMS key that can perform this operation.',
        );
      }
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
  };

  function countCall(operation: string): AwsFault | undefined {
    stats.calls++;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    return faults.take();
  }

  const created = (options.aliases ?? ['alias/shared-token']).map((alias) => createKey(alias));
  const server = await startAwsJsonServer({
    targetPrefix: 'TrentService',
    signingName: 'kms',
    region,
    operations,
    beforeOperation: countCall,
    ...(options.now && { now: options.now }),
  });

  return {
    endpoint: server.endpoint,
    keys: created,
    createKey,
    stats: () => ({ calls: stats.calls, byOperation: { ...stats.byOperation } }),
    resetStats: () => {
      stats = { calls: 0, byOperation: {} };
    },
    failNext: (count, fault) => faults.add(count, fault),
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

/**
 * KmsCipher: envelope encryption under an AWS KMS key. A data key from KMS GenerateDataKey
 * (AES-256, bound to the EncryptionContext `{tokenType}`, plus `tenant` for a
 * `provider#tenant` tokenType) seals the token with AES-256-GCM; the envelope carries the data
 * key encrypted by KMS (format in kms-envelope.ts). Decrypting asks KMS Decrypt with the same
 * context, so KMS itself refuses an item copied to another tokenType or tenant (I5).
 *
 * Cost and latency: the data key is cached, bounded by age AND by uses, so one container makes at
 * most one GenerateDataKey per tokenType per cache period whatever its traffic (concurrent
 * encrypts share the call in flight). Decrypted data keys are cached by their ciphertext (and
 * tokenType), so a container reading the same token again does not ask KMS again.
 */
import { randomBytes } from 'node:crypto';
import { checkClientConfig } from '../aws/aws-client-config.js';
import { ConfigurationError, KmsError } from '../errors/error-classes.js';
import {
  aClock,
  anObject,
  aWholeNumber,
  type OptionRules,
  required,
  validateOptions,
} from '../options/option-rules.js';
import type { CipherFactory } from '../secret/secret-binding.js';
import { type Clock, systemClock } from '../time/clock.js';
import { abandonAt } from '../time/deadline.js';
import { parseTokenType } from '../token-type.js';
import { IV_LENGTH, open, requireWellFormed, seal } from './aes-gcm.js';
import { KmsDataKeyCache } from './kms-data-key-cache.js';
import {
  connectKms,
  type EncryptionContext,
  type KmsClientLike,
  type KmsClientOptions,
  type KmsDataKeys,
} from './kms-data-keys.js';
import { envelopeHeader, parseKmsEnvelope } from './kms-envelope.js';
import type { CipherCallOptions, TokenCipher } from './token-cipher.js';

/** Default of {@link KmsCipherOptions.dataKeyMaxAgeMs}: 5 minutes. */
export const DEFAULT_DATA_KEY_MAX_AGE_MS = 300_000;
/** Default of {@link KmsCipherOptions.dataKeyMaxUses}. */
export const DEFAULT_DATA_KEY_MAX_USES = 1000;
/** Default of {@link KmsCipherOptions.decryptCacheMaxEntries}. */
export const DEFAULT_DECRYPT_CACHE_MAX_ENTRIES = 100;

/** One AES-GCM key with random 96-bit IVs stays safe for 2^32 encryptions (NIST SP 800-38D). */
const MAX_USES_LIMIT = 2 ** 32;
const MAX_AGE_LIMIT_MS = 86_400_000;
const MAX_ENTRIES_LIMIT = 100_000;

// A key id (UUID or mrk-...), a key or alias ARN, or an alias name: what KMS accepts as KeyId.
const KEY_ID =
  /^(alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]{1,250}|[A-Za-z0-9-]{1,128})$/;

/** Every option KmsCipher accepts, with what its value must be. */
const KMS_CIPHER_OPTIONS: OptionRules = {
  keyId: required({
    problem: (value) =>
      typeof value === 'string' && KEY_ID.test(value)
        ? undefined
        : 'must be a KMS key id, key ARN, alias name ("alias/...") or alias ARN',
  }),
  client: {
    problem: (value) =>
      typeof (value as { send?: unknown }).send === 'function'
        ? undefined
        : 'must be a KMSClient (an object with send())',
  },
  clientOptions: { problem: (value) => anObject.problem(value) && 'must be an object (KMSClientConfig)' },
  clock: aClock,
  dataKeyMaxAgeMs: aWholeNumber(1, MAX_AGE_LIMIT_MS),
  dataKeyMaxUses: aWholeNumber(1, MAX_USES_LIMIT),
  decryptCacheMaxEntries: aWholeNumber(0, MAX_ENTRIES_LIMIT),
};

/** Options of {@link KmsCipher}. */
export interface KmsCipherOptions {
  /**
   * The KMS key: key id, key ARN, alias name (`alias/tokens`) or alias ARN. Symmetric
   * (SYMMETRIC_DEFAULT). The role needs `kms:GenerateDataKey` and `kms:Decrypt` on it.
   */
  keyId: string;
  /**
   * The KMS client. Give this or `clientOptions`, not both.
   * @default a KMSClient built from `clientOptions` (region and endpoint from the environment, AWS_ENDPOINT_URL_KMS included)
   */
  client?: KmsClientLike;
  /** Options of the KMSClient built when `client` is not given. @default {} */
  clientOptions?: KmsClientOptions;
  /** Time source for the ages of the cached data keys. @default systemClock */
  clock?: Clock;
  /**
   * Longest a plaintext data key stays in memory, generated or decrypted, in milliseconds. One
   * GenerateDataKey per tokenType per period and container at most.
   * @default 300_000 (5 minutes)
   */
  dataKeyMaxAgeMs?: number;
  /**
   * Most tokens one generated data key encrypts before a new one is generated (1 = a KMS call
   * per encryption). At most 2^32, the AES-GCM limit for random IVs.
   * @default 1000
   */
  dataKeyMaxUses?: number;
  /** Most decrypted data keys kept (least recently used evicted); 0 turns the decrypt cache off. @default 100 */
  decryptCacheMaxEntries?: number;
}

/**
 * Envelope encryption under a KMS key. Key material lives in `KeyObject`s inside private
 * fields; the plaintext bytes KMS returns are zero-filled as soon as the KeyObject holds them,
 * so neither `JSON.stringify` nor `util.inspect` of a cipher shows a key.
 *
 * @example
 * const cipher = new KmsCipher({ keyId: 'alias/tokens' });
 * const envelope = await cipher.encrypt(accessToken, 'salesforce');
 */
export class KmsCipher implements TokenCipher {
  /** The key as configured: not secret, it names a key that only KMS can use. */
  readonly keyId: string;
  readonly #connect: () => Promise<KmsDataKeys>;
  #kms: Promise<KmsDataKeys> | undefined;
  readonly #cache: KmsDataKeyCache;

  /**
   * @throws ConfigurationError when the options are not an object, hold an unknown key, lack a
   * valid `keyId`, give both `client` and `clientOptions`, or a number is out of range. The
   * message names the option.
   */
  constructor(options: KmsCipherOptions) {
    const checked = checkOptions(options);
    this.keyId = checked.keyId;
    this.#connect = () =>
      connectKms({ keyId: checked.keyId, client: checked.client, clientOptions: checked.clientOptions });
    this.#cache = new KmsDataKeyCache({
      clock: checked.clock,
      maxAgeMs: checked.dataKeyMaxAgeMs,
      maxUses: checked.dataKeyMaxUses,
      decryptMaxEntries: checked.decryptCacheMaxEntries,
      generate: async (context) => (await this.#dataKeys()).generate(context),
      decrypt: async (encrypted, context) => (await this.#dataKeys()).decrypt(encrypted, context),
    });
  }

  /**
   * Encrypts `plaintext` for the item of `tokenType` under the cached data key of that tokenType
   * (a new one from KMS when it is too old or used up).
   * @throws KmsError when KMS cannot give a data key. ConfigurationError when the SDK is missing.
   * @throws TypeError when an argument is not a well-formed string or `tokenType` is empty.
   */
  async encrypt(plaintext: string, tokenType: string, options?: CipherCallOptions): Promise<string> {
    requireWellFormed(plaintext, 'plaintext', true);
    requireWellFormed(tokenType, 'tokenType', false);
    const dataKey = await abandonAt(
      this.#cache.keyForEncrypt(tokenType, encryptionContext(tokenType)),
      options?.signal,
      () => abandonedKmsCall('GenerateDataKey'),
    );
    const header = envelopeHeader(dataKey.encrypted);
    return seal(dataKey.key, randomBytes(IV_LENGTH), header, tokenType, plaintext);
  }

  /**
   * Decrypts an envelope written by {@link KmsCipher.encrypt} for the same `tokenType`.
   * @throws DecryptError when the envelope is malformed, KMS refuses its data key (another key,
   * tokenType or tenant; altered), or the ciphertext does not authenticate. The message never
   * holds the envelope, the plaintext or a key.
   * @throws KmsError when KMS is unreachable, throttles, or denies access: not "missing".
   */
  async decrypt(envelope: string, tokenType: string, options?: CipherCallOptions): Promise<string> {
    requireWellFormed(tokenType, 'tokenType', false);
    const parts = parseKmsEnvelope(envelope);
    const key = await abandonAt(
      this.#cache.keyForDecrypt(parts.encryptedKey, tokenType, encryptionContext(tokenType)),
      options?.signal,
      () => abandonedKmsCall('Decrypt'),
    );
    return open(key, parts, tokenType, 'data key');
  }

  /**
   * One id for the KMS key. With {@link KmsCipher.keyIdOf} it tells SecretBinding that a failed
   * decrypt is never cured by fetching the provider's secret again: the key lives in KMS.
   */
  keyIds(): string[] {
    return [`kms:${this.keyId}`];
  }

  /** The KMS key id for any readable version 2 envelope; undefined for anything else. */
  keyIdOf(envelope: string): string | undefined {
    try {
      parseKmsEnvelope(envelope);
      return `kms:${this.keyId}`;
    } catch {
      return undefined;
    }
  }

  /** The SDK is loaded, and the client built, the first time a KMS call is needed. */
  #dataKeys(): Promise<KmsDataKeys> {
    this.#kms ??= this.#connect().catch((error: unknown) => {
      this.#kms = undefined;
      throw error;
    });
    return this.#kms;
  }
}

/**
 * A {@link CipherFactory} for SharedToken's `cipher` option. The cipher is built (and its options
 * checked) at once, and the same one serves every generation of the provider's secret, so a
 * secret rotation keeps the data-key caches.
 *
 * @example
 * new SharedToken({ tokenType: 'salesforce', secretName, provider: salesforce(), cipher: kmsCipher({ keyId: 'alias/tokens' }) });
 */
export function kmsCipher(options: KmsCipherOptions): CipherFactory {
  const cipher = new KmsCipher(options);
  return () => cipher;
}

/** `{tokenType}`, plus `tenant` for `provider#tenant`: what KMS binds the data key to. */
/**
 * The caller's deadline came first. The call itself goes on for the others who share it (a data
 * key in flight), bounded by the client's own timeouts.
 */
function abandonedKmsCall(operation: 'GenerateDataKey' | 'Decrypt'): KmsError {
  return new KmsError(`KMS ${operation} was abandoned at the caller's deadline`, operation, {
    code: 'AbortError',
    abandoned: true,
  });
}

export function encryptionContext(tokenType: string): EncryptionContext {
  const { tenant } = parseTokenType(tokenType);
  return tenant === undefined ? { tokenType } : { tokenType, tenant };
}

interface CheckedOptions {
  keyId: string;
  client: KmsClientLike | undefined;
  clientOptions: KmsClientOptions | undefined;
  clock: Clock;
  dataKeyMaxAgeMs: number;
  dataKeyMaxUses: number;
  decryptCacheMaxEntries: number;
}

function checkOptions(options: KmsCipherOptions): CheckedOptions {
  validateOptions('KmsCipher', options, KMS_CIPHER_OPTIONS);
  const { keyId, client, clientOptions, clock } = options;
  if (client !== undefined && clientOptions !== undefined) {
    throw new ConfigurationError('KmsCipher takes "client" or "clientOptions", not both');
  }
  checkClientConfig(clientOptions, 'KmsCipher clientOptions');
  return {
    keyId,
    client,
    clientOptions,
    clock: clock ?? systemClock,
    dataKeyMaxAgeMs: options.dataKeyMaxAgeMs ?? DEFAULT_DATA_KEY_MAX_AGE_MS,
    dataKeyMaxUses: options.dataKeyMaxUses ?? DEFAULT_DATA_KEY_MAX_USES,
    decryptCacheMaxEntries: options.decryptCacheMaxEntries ?? DEFAULT_DECRYPT_CACHE_MAX_ENTRIES,
  };
}

/**
 * The two KMS calls KmsCipher makes, GenerateDataKey and Decrypt, behind the optional
 * `@aws-sdk/client-kms`: loaded with a dynamic import the first time a cipher needs KMS, so a
 * function that never uses KMS never loads (nor needs) the package. Failures become typed
 * errors: "this data key is not ours" is a DecryptError (the token counts as missing, I5);
 * everything else (unreachable, throttled, AccessDenied, key disabled or unknown) is a KmsError.
 */
import type {
  DecryptCommandOutput,
  GenerateDataKeyCommandOutput,
  KMSClientConfig,
} from '@aws-sdk/client-kms';
import { withCallTimeouts } from '../aws/aws-client-config.js';
import { awsErrorName } from '../aws/aws-error-name.js';
import { ConfigurationError, DecryptError, KmsError } from '../errors/error-classes.js';

/**
 * A KMS client: the SDK's KMSClient, or anything that sends its commands the same way (only
 * `send` is used). Structural, like {@link KmsClientOptions}, so the layer's declarations compile
 * without the optional `@aws-sdk/client-kms`.
 */
export interface KmsClientLike {
  send(command: object): Promise<unknown>;
}

/**
 * Options of the KMSClient built when no client is given: the SDK's `KMSClientConfig` (region,
 * endpoint, credentials, maxAttempts...), checked by the SDK itself. Typed as any object, not as
 * `KMSClientConfig`, for the same reason as {@link KmsClientLike}.
 */
export type KmsClientOptions = object;

/** KMS EncryptionContext: names to values, all strings. */
export type EncryptionContext = Record<string, string>;

export interface GeneratedDataKey {
  /** The AES-256 key itself. The caller zero-fills it once it has made a KeyObject of it. */
  plaintext: Uint8Array;
  /** The same key encrypted under the KMS key: what the envelope carries. */
  encrypted: Uint8Array;
}

export interface KmsDataKeys {
  generate(context: EncryptionContext): Promise<GeneratedDataKey>;
  /** The plaintext data key; the caller zero-fills it. */
  decrypt(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

const SDK_PACKAGE = '@aws-sdk/client-kms';

/** KMS answers meaning "this ciphertext is not one of this key's, under this context". */
const NOT_OURS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

const DATA_KEY_BYTES = 32;

/**
 * Loads the SDK and binds the calls to one KMS key.
 * @throws ConfigurationError when `@aws-sdk/client-kms` is not installed.
 */
export async function connectKms(options: {
  keyId: string;
  client?: KmsClientLike;
  clientOptions?: KmsClientOptions;
}): Promise<KmsDataKeys> {
  let sdk: typeof import('@aws-sdk/client-kms');
  try {
    sdk = await import('@aws-sdk/client-kms');
  } catch (cause) {
    throw sdkLoadError(cause);
  }
  const { keyId } = options;
  const client: KmsClientLike =
    options.client ??
    new sdk.KMSClient(withCallTimeouts(options.clientOptions as KMSClientConfig | undefined));
  return {
    async generate(context) {
      const answer = (await client
        .send(
          new sdk.GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }),
        )
        .catch((cause: unknown) => {
          throw kmsError('GenerateDataKey', cause);
        })) as Partial<GenerateDataKeyCommandOutput>;
      const { Plaintext: plaintext, CiphertextBlob: encrypted } = answer;
      if (plaintext?.length !== DATA_KEY_BYTES || encrypted === undefined || encrypted.length === 0) {
        plaintext?.fill(0);
        throw new KmsError(
          'KMS GenerateDataKey answered without a 32-byte data key and its ciphertext',
          'GenerateDataKey',
        );
      }
      return { plaintext, encrypted };
    },
    async decrypt(encrypted, context) {
      // KeyId pins the key: a ciphertext of any other KMS key is refused by KMS itself.
      const answer = (await client
        .send(new sdk.DecryptCommand({ KeyId: keyId, CiphertextBlob: encrypted, EncryptionContext: context }))
        .catch((cause: unknown) => {
          if (NOT_OURS.has(awsErrorName(cause))) {
            throw new DecryptError(
              `KMS refused the data key (${awsErrorName(cause)}): written under another key or encryption context, or altered`,
              { cause },
            );
          }
          throw kmsError('Decrypt', cause);
        })) as Partial<DecryptCommandOutput>;
      const plaintext = answer.Plaintext;
      if (plaintext?.length !== DATA_KEY_BYTES) {
        plaintext?.fill(0);
        throw new DecryptError('the data key KMS decrypted is not a 32-byte AES key');
      }
      return plaintext;
    },
  };
}

/** The error for a failed `import('@aws-sdk/client-kms')`: a ConfigurationError when it is missing. */
export function sdkLoadError(cause: unknown): Error {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return new ConfigurationError(
      `KmsCipher needs ${SDK_PACKAGE}, which is not installed: npm install ${SDK_PACKAGE} (the Lambda Node.js runtimes include it)`,
      { cause },
    );
  }
  return cause instanceof Error ? cause : new Error(String(cause));
}

function kmsError(operation: 'GenerateDataKey' | 'Decrypt', cause: unknown): KmsError {
  const code = awsErrorName(cause);
  // The AWS error name only: the SDK's message is kept as the cause, never copied into ours.
  return new KmsError(`KMS ${operation} failed: ${code}`, operation, { cause, code });
}

/**
 * The KMS key, as KmsCipher uses it: GenerateDataKey (AES_256) with the encryption context of a
 * tokenType (the layer's own `encryptionContext`: `{tokenType}`, plus `tenant` for
 * `provider#tenant`), then Decrypt of that blob with the same context and the key pinned, and the
 * two plaintext data keys compared in memory. They are zero-filled at once and never printed.
 * The IAM policy of the functions allows these calls only for its tokenTypes
 * (`kms:EncryptionContext:tokenType`), so the check runs for a real one.
 */
import { timingSafeEqual } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { encryptionContext } from '../../layer/crypto/kms-cipher.js';
import { regionOf } from '../aws/aws-clients.js';
import { classifyAwsFailure, describeAwsFailure } from '../aws/aws-failure.js';
import { type CheckResult, fail, ok } from './check.js';
import { causeOf } from './table-check.js';

const ID = 'kms.dataKey';
const TITLE = 'KMS key';

/** Needs `@aws-sdk/client-kms` (the client given was built from it, see aws-clients.ts `loadKmsSdk`). */
export async function checkKms(client: KMSClient, keyId: string, tokenType: string): Promise<CheckResult> {
  const { GenerateDataKeyCommand, DecryptCommand } = await import('@aws-sdk/client-kms');
  const context = encryptionContext(tokenType);
  const shownContext = JSON.stringify(context);
  const region = await regionOf(client);
  let generated: { plaintext: Uint8Array; blob: Uint8Array; arn: string | undefined };
  try {
    const answer = await client.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    if (answer.Plaintext === undefined || answer.CiphertextBlob === undefined) {
      answer.Plaintext?.fill(0);
      return fail(
        ID,
        TITLE,
        'GenerateDataKey answered without a data key',
        'KmsCipher cannot seal a token',
        'check the endpoint the SDK calls (AWS_ENDPOINT_URL_KMS)',
      );
    }
    generated = { plaintext: answer.Plaintext, blob: answer.CiphertextBlob, arn: answer.KeyId };
  } catch (error) {
    return kmsFailure('GenerateDataKey', error, keyId, shownContext, region);
  }
  let decrypted: Uint8Array | undefined;
  try {
    decrypted = (
      await client.send(
        new DecryptCommand({ KeyId: keyId, CiphertextBlob: generated.blob, EncryptionContext: context }),
      )
    ).Plaintext;
  } catch (error) {
    generated.plaintext.fill(0);
    return kmsFailure('Decrypt', error, keyId, shownContext, region);
  }
  const same =
    decrypted !== undefined &&
    decrypted.length === generated.plaintext.length &&
    timingSafeEqual(decrypted, generated.plaintext);
  generated.plaintext.fill(0);
  decrypted?.fill(0);
  if (!same) {
    return fail(
      ID,
      TITLE,
      'Decrypt gave back another data key than GenerateDataKey made',
      'tokens sealed by one container would not open in another',
      `check that --kms-key and the functions' keyId name one symmetric key, and what AWS_ENDPOINT_URL_KMS points at`,
    );
  }
  const arn = generated.arn !== undefined && generated.arn !== keyId ? ` (${generated.arn})` : '';
  return ok(
    ID,
    TITLE,
    `${keyId}${arn} made a data key and decrypted it under the encryption context ${shownContext}`,
  );
}

function kmsFailure(
  operation: 'GenerateDataKey' | 'Decrypt',
  error: unknown,
  keyId: string,
  shownContext: string,
  region: string | undefined,
): CheckResult {
  const failure = classifyAwsFailure(error);
  const action = `kms:${operation}`;
  const { message, fix } = describeAwsFailure({ action, resource: `KMS key "${keyId}"`, region }, failure);
  const sealsNothing = 'KmsCipher can neither seal nor open a token: every refresh fails with a KmsError';
  switch (failure.code) {
    case 'NotFoundException':
      return fail(
        ID,
        TITLE,
        `KMS key "${keyId}" not found${region === undefined ? '' : ` in ${region}`}`,
        `${sealsNothing} (NotFoundException)`,
        "check --kms-key against the functions' keyId (a key id, key ARN, alias name alias/... or alias ARN) and the region; an alias must exist in the region the functions run in",
      );
    case 'AccessDeniedException':
      return fail(
        ID,
        TITLE,
        `${message} with encryption context ${shownContext}`,
        `the caller may not ${action} on this key for this context: if the functions' role is the same, ${sealsNothing.charAt(0).toLowerCase()}${sealsNothing.slice(1)}`,
        `grant kms:GenerateDataKey and kms:Decrypt on the key with the condition kms:EncryptionContext:tokenType in your tokenTypes (examples/terraform: kms_key_arn, token_types), and check that the key policy lets IAM policies grant it`,
      );
    case 'DisabledException':
      return fail(
        ID,
        TITLE,
        `KMS key "${keyId}" is disabled`,
        sealsNothing,
        `aws kms enable-key --key-id ${keyId}`,
      );
    case 'KMSInvalidStateException':
      return fail(
        ID,
        TITLE,
        `KMS key "${keyId}" is not usable now (KMSInvalidStateException: pending deletion or import)`,
        sealsNothing,
        `if it is pending deletion: aws kms cancel-key-deletion --key-id ${keyId}, then enable it`,
      );
    case 'InvalidKeyUsageException':
      return fail(
        ID,
        TITLE,
        `KMS key "${keyId}" cannot ${operation} (InvalidKeyUsageException)`,
        'KmsCipher needs a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)',
        'use a symmetric encryption key',
      );
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
      return fail(
        ID,
        TITLE,
        `KMS refused to decrypt the data key it had just made, under the same context (${failure.code})`,
        'a token sealed by one container would not open in another',
        "check that the key (and an alias's target) is one symmetric key in this region, and what AWS_ENDPOINT_URL_KMS points at",
      );
    default:
      return fail(ID, TITLE, message, causeOf(failure.kind, operation), fix);
  }
}

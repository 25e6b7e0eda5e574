/**
 * The item of one tokenType, read as a container reads it (GetItem, consistent): does its token
 * open with the keys the functions have? A SaltCipher envelope is opened with the secret's keys,
 * a KmsCipher envelope with the KMS key (the layer's own ciphers, so the answer is theirs); the
 * plaintext is dropped at once and never printed. A token that no key opens costs a refresh and a
 * `DecryptFailed`; a stored OAuth2 refresh token that no key opens fails every refresh.
 */
import { type DynamoDBClient, GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { encryptionContext, KmsCipher } from '../../layer/crypto/kms-cipher.js';
import { envelopeKeyId, SaltCipher } from '../../layer/crypto/salt-cipher.js';
import { isSharedTokenError, type KmsError } from '../../layer/errors/error-classes.js';
import type { ProviderSecret } from '../../layer/secret/provider-secret.js';
import { regionOf } from '../aws/aws-clients.js';
import { classifyAwsFailure, describeAwsFailure } from '../aws/aws-failure.js';
import { envelopeKey } from '../status/envelope-key.js';
import { tokenStatus } from '../status/token-status.js';
import { type CheckResult, fail, ok, skip } from './check.js';
import { causeOf } from './table-check.js';

const ID = 'token.stored';
const TITLE = 'stored token';

export interface StoredTokenKeys {
  /** The parsed secret, or why there is none (`--secret` missing, or its check failed). */
  secret: ProviderSecret | string;
  /** The KMS key and a client, or why there is none. */
  kms: { keyId: string; client: KMSClient } | string;
}

/** What one envelope (the token, or the refresh token) came to. */
type Opened = { opens: true; key: string } | { opens: false; why: string } | { unknown: string };

export async function checkStoredToken(
  dynamo: DynamoDBClient,
  tableName: string,
  tokenType: string,
  keys: StoredTokenKeys,
  nowMs: number,
): Promise<CheckResult> {
  let item: GetItemCommandOutput['Item'];
  try {
    const answer = await dynamo.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { tokenType: { S: tokenType } },
        ConsistentRead: true,
      }),
    );
    item = answer.Item;
  } catch (error) {
    const failure = classifyAwsFailure(error);
    const { message, fix } = describeAwsFailure(
      { action: 'dynamodb:GetItem', resource: `table "${tableName}"`, region: await regionOf(dynamo) },
      failure,
    );
    return fail(ID, TITLE, message, causeOf(failure.kind, 'GetItem'), fix);
  }
  const deleteItem = `aws dynamodb delete-item --table-name ${tableName} --key '{"tokenType":{"S":"${tokenType}"}}'`;
  if (item === undefined) return ok(ID, TITLE, `no item for "${tokenType}" yet: the first call creates it`);
  const status = tokenStatus(item, nowMs);
  if (status.problems.length > 0) {
    return fail(
      ID,
      TITLE,
      `the item of "${tokenType}" is not as the layer writes it: ${status.problems.join('; ')}`,
      'a hand-edited item, or one written by other code: the layer may misread it (a unit mistake moves expiry and TTL by a factor of 1000)',
      `delete it, and the next call writes a sound one (one provider call): ${deleteItem}`,
    );
  }
  const envelopes = item.accessToken?.S;
  if (envelopes === undefined) {
    return ok(
      ID,
      TITLE,
      `the item of "${tokenType}" (version ${status.version}) holds no token: a refresh is under way or failed (status shows its lease and back-off)`,
    );
  }
  const token = await open(envelopes, tokenType, keys);
  const refreshEnvelope = item.refreshToken?.S;
  const refresh = refreshEnvelope === undefined ? undefined : await open(refreshEnvelope, tokenType, keys);
  const expired = (status.expiresInSeconds ?? 0) < 0;
  const what = `the stored token of "${tokenType}" (version ${status.version}, ${expired ? 'expired' : 'valid'})`;
  if ('unknown' in token) return skip(ID, TITLE, `${what}: ${token.unknown}`);
  const refreshLost = refresh !== undefined && 'opens' in refresh && !refresh.opens;
  const newRefreshToken = `put a new refresh token in the secret and delete the item: ${deleteItem}`;
  if (token.opens) {
    if (refreshLost) {
      return fail(
        ID,
        TITLE,
        `${what} opens (${token.key}), but its stored refresh token does not: ${refresh.why}`,
        'an oauth2RefreshToken refresh sends the stored refresh token: every refresh fails with a TokenRefreshError',
        newRefreshToken,
      );
    }
    const refreshNote =
      refresh === undefined
        ? ''
        : 'unknown' in refresh
          ? `; refresh token: ${refresh.unknown}`
          : '; so does its refresh token';
    return ok(ID, TITLE, `${what} opens with ${token.key}${refreshNote}`);
  }
  if (expired && refresh === undefined) {
    return ok(
      ID,
      TITLE,
      `${what} does not open (${token.why}), but it has expired: the next call refreshes it anyway`,
    );
  }
  return fail(
    ID,
    TITLE,
    `${what} does not open: ${token.why}`,
    `every container that reads it counts DecryptFailed and refreshes it (one provider call)${
      refreshLost
        ? ', and its stored refresh token does not open either: every oauth2RefreshToken refresh fails'
        : ''
    }`,
    refreshLost
      ? newRefreshToken
      : 'if the secret\'s key was replaced by mistake, keep the old one second: "keys": ["<new>", "<old>"] (docs/secret.md, Rotating the key); if the functions use another secret or KMS key than doctor was given, check --secret and --kms-key; otherwise one refresh replaces it',
  );
}

/** Opens one envelope with what the functions would use; the plaintext is dropped. */
async function open(envelope: string, tokenType: string, keys: StoredTokenKeys): Promise<Opened> {
  const found = envelopeKey(envelope);
  if ('problem' in found) return { opens: false, why: `it ${found.problem}` };
  if (found.key.cipher === 'salt') {
    if (typeof keys.secret === 'string') return { unknown: `sealed with a SaltCipher key; ${keys.secret}` };
    const cipher = new SaltCipher({ keys: keys.secret.keys });
    const ids = cipher.keyIds();
    const index = ids.indexOf(envelopeKeyId(envelope) ?? '');
    if (index === -1) {
      return {
        opens: false,
        why: `sealed under key id ${found.key.keyId}, and the secret holds ${ids.join(', ')}`,
      };
    }
    try {
      await cipher.decrypt(envelope, tokenType);
    } catch (error) {
      if (!isSharedTokenError(error, 'DecryptError')) throw error;
      return {
        opens: false,
        why: `it names key ${found.key.keyId} but does not authenticate: altered, or copied from another tokenType`,
      };
    }
    return {
      opens: true,
      key: `the secret's ${index === 0 ? 'current key' : `key ${index + 1} of "keys" (an older one)`} ${found.key.keyId}`,
    };
  }
  if (typeof keys.kms === 'string')
    return { unknown: `sealed with KMS (data key ${found.key.dataKeyFingerprint}); ${keys.kms}` };
  const context = JSON.stringify(encryptionContext(tokenType));
  try {
    await new KmsCipher({
      keyId: keys.kms.keyId,
      client: keys.kms.client,
      decryptCacheMaxEntries: 0,
    }).decrypt(envelope, tokenType);
  } catch (error) {
    if (isSharedTokenError(error, 'DecryptError')) {
      return {
        opens: false,
        why: `KMS key "${keys.kms.keyId}" with the encryption context ${context} refuses its data key: written under another key, or copied from another tokenType`,
      };
    }
    if (isSharedTokenError(error, 'KmsError')) {
      return {
        unknown: `KMS Decrypt failed (${(error as KmsError).code ?? 'Error'}): see the KMS key check`,
      };
    }
    throw error;
  }
  return { opens: true, key: `KMS key "${keys.kms.keyId}" under ${context}` };
}

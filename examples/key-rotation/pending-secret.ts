/**
 * The secret string of the version a rotation stages: the current one with its key fields
 * replaced by `keys: [<fresh key>, <the current key>]`. Exactly two keys, whatever the current
 * version held: tokens sealed under the current key keep opening for one more rotation period,
 * and a key two rotations old is dropped.
 */
import { randomBytes } from 'node:crypto';
import { parseProviderSecret } from 'lambda-shared-token/advanced';

/** Every spelling of the key field the layer reads (`salt`, `salts` are the old names). */
const KEY_FIELDS = ['key', 'keys', 'salt', 'salts'] as const;

/** 32 random bytes as base64: 44 characters, far above the layer's 16-character minimum. */
export function freshKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * @param secretName names the secret in errors (never a value).
 * @param current the AWSCURRENT SecretString.
 * @throws SecretError (from the layer's parser) when the current version is not a JSON object
 * with a usable key: the message names the secret and the field.
 */
export function pendingSecretString(
  secretName: string,
  current: string,
  newKey: string = freshKey(),
): string {
  const currentKey = parseProviderSecret(secretName, current).keys[0]!;
  const fields = JSON.parse(current) as Record<string, unknown>;
  for (const field of KEY_FIELDS) delete fields[field];
  return JSON.stringify({ ...fields, keys: [newKey, currentKey] });
}

/** The keys of a secret string, current first (validated by the layer's parser). */
export function keysOf(secretName: string, secretString: string): readonly string[] {
  return parseProviderSecret(secretName, secretString).keys;
}

/**
 * The secret's key field: `key` (one AES key) or `keys` (current first, while rotating) are the
 * documented names; `salt` / `salts`, their old names, are still read. Two spellings at once are
 * refused, naming the fields and never a value. The same names on SaltCipher's option.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, SecretError } from 'lambda-shared-token';
import { parseProviderSecret, SaltCipher, type SaltCipherOptions } from 'lambda-shared-token/advanced';
import { MIN_KEY_LENGTH } from '../../layer/crypto/salt-cipher.js';
import { everyRendering, thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NAME = '/prod/orders/oauth/salesforce';
const KEY = testSecret('key', 'current-key-');
const OLD_KEY = testSecret('oldKey', 'old-key-');

function secretError(raw: unknown): SecretError {
  const error = thrownBy<unknown>(() => parseProviderSecret(NAME, raw));
  expect(error).toBeInstanceOf(SecretError);
  for (const value of [KEY, OLD_KEY]) expect(everyRendering(error)).not.toContain(value);
  return error as SecretError;
}

describe('parseProviderSecret: the key field', () => {
  it.each([
    ['"key"', { key: KEY }, [KEY]],
    ['"keys", current first', { keys: [KEY, OLD_KEY] }, [KEY, OLD_KEY]],
    ['"salt", the old name of "key"', { salt: KEY }, [KEY]],
    ['"salts", the old name of "keys"', { salts: [KEY, OLD_KEY] }, [KEY, OLD_KEY]],
  ])('reads %s', (_label, fields, keys) => {
    const secret = parseProviderSecret(NAME, JSON.stringify({ clientId: 'id', ...fields }));
    expect(secret.keys).toEqual(keys);
    expect(secret.salts).toEqual(keys);
  });

  it('gives keys that SaltCipher takes, whichever name the secret used', async () => {
    const written = await new SaltCipher({ keys: [OLD_KEY] }).encrypt('t0k3n', 'salesforce');
    const rotating = parseProviderSecret(NAME, { keys: [KEY, OLD_KEY] });
    const old = parseProviderSecret(NAME, { salts: [KEY, OLD_KEY] });
    expect(await new SaltCipher({ keys: rotating.keys }).decrypt(written, 'salesforce')).toBe('t0k3n');
    expect(await new SaltCipher({ salts: old.salts }).decrypt(written, 'salesforce')).toBe('t0k3n');
  });

  it.each([
    ['"key" and "salt"', { key: KEY, salt: KEY }, '"key" and "salt"'],
    ['"keys" and "salts"', { keys: [KEY], salts: [KEY] }, '"keys" and "salts"'],
    ['"key" and "keys"', { key: KEY, keys: [KEY, OLD_KEY] }, '"key" and "keys"'],
    ['"salt" and "salts"', { salt: KEY, salts: [KEY, OLD_KEY] }, '"salt" and "salts"'],
    ['"key" and "salts"', { key: KEY, salts: [OLD_KEY] }, '"key" and "salts"'],
    ['all four', { key: KEY, keys: [KEY], salt: KEY, salts: [KEY] }, '"key", "keys", "salt" and "salts"'],
  ])('refuses %s together, naming the fields and no value', (_label, fields, named) => {
    const error = secretError(fields);
    expect(error.message).toBe(
      `secret "${NAME}" has ${named}: keep one ("key", or "keys" with the current key first while rotating; "salt" and "salts" are their old names)`,
    );
  });

  it('says "key" when no key field is present', () => {
    const error = secretError({ clientId: 'id' });
    expect(error.field).toBe('key');
    expect(error.message).toBe(
      `secret "${NAME}": no "key" field (a random string of at least ${MIN_KEY_LENGTH} characters, the AES key of the stored token; or "keys", current first, while rotating)`,
    );
  });

  it.each([
    ['a short "key"', { key: 'short-key' }, 'key', `"key" is shorter than ${MIN_KEY_LENGTH} characters`],
    ['a short "salt"', { salt: 'short-key' }, 'salt', `"salt" is shorter than ${MIN_KEY_LENGTH} characters`],
    ['a "key" that is a number', { key: 12 }, 'key', '"key" must be a string (got a number)'],
    [
      'an empty "keys"',
      { keys: [] },
      'keys',
      '"keys" must be a non-empty array of strings, current key first',
    ],
    [
      'a short "keys[1]"',
      { keys: [KEY, 'short-key'] },
      'keys[1]',
      `"keys[1]" is shorter than ${MIN_KEY_LENGTH}`,
    ],
    ['a duplicate in "keys"', { keys: [KEY, OLD_KEY, KEY] }, 'keys[2]', '"keys[2]" duplicates "keys[0]"'],
    ['a duplicate in "salts"', { salts: [KEY, KEY] }, 'salts[1]', '"salts[1]" duplicates "salts[0]"'],
  ])('refuses %s, naming the field as the secret spells it', (_label, fields, field, what) => {
    const error = secretError(fields);
    expect(error.field).toBe(field);
    expect(error.message).toContain(what);
  });
});

describe('SaltCipher option "keys"', () => {
  it('is the documented name; "salts" is the same option under its old name', async () => {
    const envelope = await new SaltCipher({ keys: [KEY] }).encrypt('t0k3n', 'salesforce');
    expect(await new SaltCipher({ salts: [KEY] }).decrypt(envelope, 'salesforce')).toBe('t0k3n');
    expect(new SaltCipher({ keys: [KEY, OLD_KEY] }).keyIds()).toEqual(
      new SaltCipher({ salts: [KEY, OLD_KEY] }).keyIds(),
    );
  });

  it.each([
    [
      'both names',
      { keys: [KEY], salts: [KEY] },
      'SaltCipher options "keys" and "salts" are one option ("salts" is its old name): pass one',
    ],
    ['neither', {}, 'SaltCipher option "keys" must be an array of strings, current key first'],
    ['an empty "keys"', { keys: [] }, 'SaltCipher needs at least one key; "keys" is empty'],
    ['an empty "salts"', { salts: [] }, 'SaltCipher needs at least one key; "salts" is empty'],
    ['a short key', { keys: [KEY, 'short-key'] }, `key 2 of 2 is shorter than ${MIN_KEY_LENGTH} characters`],
    ['a duplicate key', { keys: [KEY, KEY] }, 'key 2 of 2 duplicates key 1'],
  ])('refuses %s with a ConfigurationError in words of keys', (_label, options, message) => {
    const error = thrownBy<unknown>(() => new SaltCipher(options as SaltCipherOptions));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(message);
    expect(everyRendering(error)).not.toContain(KEY);
  });
});

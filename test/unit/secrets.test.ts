import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { isSharedTokenError, SecretError } from 'lambda-shared-token';
import { MIN_SALT_LENGTH, parseProviderSecret, SaltCipher } from 'lambda-shared-token/advanced';
import { MAX_SECRET_DEPTH } from '../../layer/secret/provider-secret.js';
import { everyRendering, thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const NAME = '/prod/orders/oauth/salesforce';
const SALT = testSecret('salt', 'current-salt-');
const OLD_SALT = testSecret('oldSalt', 'old-salt-');
const CLIENT_SECRET = testSecret('clientSecret', 'cs-');
const CLIENT_ID = '3MVG9-client-id-value';
const RAW = JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, salt: SALT });

function secretError(action: () => unknown): SecretError {
  const error = thrownBy<unknown>(action);
  expect(error).toBeInstanceOf(SecretError);
  expect(isSharedTokenError(error, 'SecretError')).toBe(true);
  return error as SecretError;
}

describe('parseProviderSecret: the whole secret', () => {
  it('reads the fields and the salt of a JSON string', () => {
    const secret = parseProviderSecret(NAME, RAW);
    expect(secret.secretName).toBe(NAME);
    expect(secret.require('client_id')).toBe(CLIENT_ID);
    expect(secret.require('client_secret')).toBe(CLIENT_SECRET);
    expect(secret.salts).toEqual([SALT]);
  });

  it('reads an object already parsed, as @middy/secrets-manager hands it over', () => {
    const secret = parseProviderSecret(NAME, JSON.parse(RAW));
    expect(secret.require('client_secret')).toBe(CLIENT_SECRET);
    expect(secret.salts).toEqual([SALT]);
  });

  it.each([undefined, null, ''])('says the secret is empty or missing for %p', (raw) => {
    const error = secretError(() => parseProviderSecret(NAME, raw));
    expect(error.message).toBe(`secret "${NAME}" is empty or missing`);
    expect(error.secretName).toBe(NAME);
  });

  it('says "not valid JSON" for a string that does not parse, with no part of it and no parser message', () => {
    // Middy's jsonSafeParse returns the original string when it does not parse.
    const broken = `{"client_secret":"${CLIENT_SECRET}","salt":"${SALT}"`;
    const error = secretError(() => parseProviderSecret(NAME, broken));
    expect(error.message).toBe(`secret "${NAME}" is not valid JSON`);
    expect(error.cause).toBeUndefined();
    const text = everyRendering(error);
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(SALT);
    expect(text).not.toContain('client_secret');
    expect(text).not.toMatch(/position|Unexpected|Expected/);
  });

  it('says "not valid JSON" for a plain text secret without echoing it', () => {
    const error = secretError(() => parseProviderSecret(NAME, CLIENT_SECRET));
    expect(error.message).toBe(`secret "${NAME}" is not valid JSON`);
    expect(everyRendering(error)).not.toContain(CLIENT_SECRET);
  });

  it.each([
    ['an array', JSON.stringify([SALT, CLIENT_SECRET])],
    ['a number', '42'],
    ['a JSON string', JSON.stringify(CLIENT_SECRET)],
    ['true', 'true'],
  ])('refuses JSON that is %s, naming its kind and not its content', (_label, raw) => {
    const error = secretError(() => parseProviderSecret(NAME, raw));
    expect(error.message).toContain('must be a JSON object');
    expect(everyRendering(error)).not.toContain(CLIENT_SECRET);
    expect(everyRendering(error)).not.toContain(SALT);
  });

  it('needs the secret name first', () => {
    expect(thrownBy<unknown>(() => parseProviderSecret('', RAW))).toBeInstanceOf(TypeError);
  });

  // Any name Secrets Manager accepts is shown; the whole secret given in its place is not one.
  it('does not show a name that is not one (the secret itself given in its place) in its errors', () => {
    const error = secretError(() => parseProviderSecret(RAW, '{'));
    expect(error.message).toContain('is not valid JSON');
    expect(error.secretName).not.toBe(RAW);
    expect(everyRendering(error)).not.toContain(SALT);
    const missing = secretError(() =>
      parseProviderSecret(RAW, { client_id: CLIENT_ID, salt: OLD_SALT }).require('x'),
    );
    expect(everyRendering(missing)).not.toContain(SALT);
  });

  it('does not show such a name in JSON, String() or util.inspect of the ProviderSecret', () => {
    const secret = parseProviderSecret(RAW, { client_id: CLIENT_ID, salt: OLD_SALT });
    for (const output of [JSON.stringify(secret), String(secret), inspect(secret, { depth: 10 })]) {
      expect(output).not.toContain(SALT);
      expect(output).toContain('client_id');
    }
  });
});

// "salt" and "salts", the old names of "key" and "keys" (test/unit/secret-key-field.test.ts), still read.
describe('parseProviderSecret: salt and salts', () => {
  it('takes "salts" in order, current first, and a SaltCipher accepts them', async () => {
    const secret = parseProviderSecret(NAME, { client_id: CLIENT_ID, salts: [SALT, OLD_SALT] });
    expect(secret.salts).toEqual([SALT, OLD_SALT]);
    const old = await new SaltCipher({ salts: [OLD_SALT] }).encrypt('t0k3n', 'salesforce');
    expect(await new SaltCipher({ salts: secret.salts }).decrypt(old, 'salesforce')).toBe('t0k3n');
  });

  it('refuses "salt" and "salts" together', () => {
    const error = secretError(() => parseProviderSecret(NAME, { salt: SALT, salts: [OLD_SALT] }));
    expect(error.field).toBe('salts');
    expect(error.message).toContain('has "salt" and "salts": keep one');
  });

  it('names the field "key", the documented name, when no key field is present', () => {
    const error = secretError(() => parseProviderSecret(NAME, { client_id: CLIENT_ID }));
    expect(error.field).toBe('key');
    expect(error.message).toContain(NAME);
    expect(error.message).toContain('"key"');
  });

  it('refuses a short "salt" naming the field and the minimum, never the value', () => {
    const short = 'x'.repeat(MIN_SALT_LENGTH - 1);
    const error = secretError(() => parseProviderSecret(NAME, { salt: short }));
    expect(error.field).toBe('salt');
    expect(error.message).toContain(String(MIN_SALT_LENGTH));
    expect(everyRendering(error)).not.toContain(short);
  });

  it('accepts a salt of exactly the minimum length, counted in characters', () => {
    const emoji = '🔑'.repeat(MIN_SALT_LENGTH);
    expect(parseProviderSecret(NAME, { salt: emoji }).salts).toEqual([emoji]);
  });

  it('names the position of a short salt in "salts" and never its value', () => {
    const short = 'short-salt-42';
    const error = secretError(() => parseProviderSecret(NAME, { salts: [SALT, short] }));
    expect(error.field).toBe('salts[1]');
    expect(error.message).toContain('salts[1]');
    expect(everyRendering(error)).not.toContain(short);
    expect(everyRendering(error)).not.toContain(SALT);
  });

  // Titles interpolate $label and $field only: a test name must not print a salt either.
  it.each([
    { label: 'an empty array', salts: [], field: 'salts' },
    { label: 'not an array', salts: SALT, field: 'salts' },
    { label: 'an element that is not a string', salts: [SALT, 12345], field: 'salts[1]' },
    { label: 'a duplicate', salts: [SALT, OLD_SALT, SALT], field: 'salts[2]' },
  ])('refuses "salts" that is $label, naming $field', ({ salts, field }) => {
    const error = secretError(() => parseProviderSecret(NAME, { salts }));
    expect(error.field).toBe(field);
    expect(everyRendering(error)).not.toContain(SALT);
  });

  it('refuses a "salt" that is not a string, naming its type', () => {
    const error = secretError(() => parseProviderSecret(NAME, { salt: 1234567890123456 }));
    expect(error.field).toBe('salt');
    expect(error.message).toContain('a number');
  });

  it('cannot be changed through the salts it hands out', () => {
    const secret = parseProviderSecret(NAME, { salts: [SALT, OLD_SALT] });
    expect(() => (secret.salts as string[]).push('x'.repeat(20))).toThrow(TypeError);
    expect(secret.salts).toEqual([SALT, OLD_SALT]);
  });
});

describe('ProviderSecret fields', () => {
  const secret = parseProviderSecret(NAME, {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    empty: '',
    port: 443,
    nothing: null,
    salt: SALT,
  });

  it('require() names the secret and the field when the field is absent', () => {
    const error = secretError(() => secret.require('refresh_token'));
    expect(error.field).toBe('refresh_token');
    expect(error.message).toBe(`secret "${NAME}" has no "refresh_token" field`);
  });

  it.each([
    ['empty', 'empty', 'an empty string'],
    ['a number', 'port', 'a number'],
    ['null', 'nothing', 'null'],
  ])('require() refuses a field that is %s, naming its kind', (_label, field, kind) => {
    const error = secretError(() => secret.require(field));
    expect(error.field).toBe(field);
    expect(error.message).toContain(kind);
    expect(error.message).not.toContain('443');
  });

  it('optional() returns undefined for an absent or null field', () => {
    expect(secret.optional('scope')).toBeUndefined();
    expect(secret.optional('nothing')).toBeUndefined();
  });

  it('optional() returns a present string and refuses an empty or non-string one', () => {
    expect(secret.optional('client_id')).toBe(CLIENT_ID);
    expect(secretError(() => secret.optional('empty')).field).toBe('empty');
    expect(secretError(() => secret.optional('port')).field).toBe('port');
  });

  it('does not read fields through the prototype', () => {
    expect(secretError(() => secret.require('toString')).field).toBe('toString');
    expect(secret.optional('constructor')).toBeUndefined();
  });
});

describe('ProviderSecret redaction', () => {
  const secret = parseProviderSecret(NAME, RAW);

  it('shows the name and the field names in JSON, String() and util.inspect, and no value', () => {
    const outputs = [
      JSON.stringify(secret),
      JSON.stringify({ nested: { secret } }),
      String(secret),
      `${secret}`,
      inspect(secret),
      inspect({ nested: secret }, { depth: 10 }),
    ];
    for (const output of outputs) {
      expect(output).toContain(NAME);
      expect(output).toContain('client_secret');
      expect(output).not.toContain(CLIENT_SECRET);
      expect(output).not.toContain(CLIENT_ID);
      expect(output).not.toContain(SALT);
    }
  });

  it('holds no value in an own enumerable property, so spreading it copies none', () => {
    const spread = JSON.stringify(Object.entries({ ...secret }));
    expect(spread).not.toContain(CLIENT_SECRET);
    expect(spread).not.toContain(SALT);
    expect(Object.keys(secret)).toEqual(['secretName']);
  });

  it('lists its field names in JSON', () => {
    expect(JSON.parse(JSON.stringify(secret))).toEqual({
      secretName: NAME,
      fields: ['client_id', 'client_secret', 'salt'],
    });
  });
});

describe('ProviderSecret.fingerprint', () => {
  it('is 16 hex digits that contain no value', () => {
    const { fingerprint } = parseProviderSecret(NAME, RAW);
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    for (const value of [CLIENT_SECRET, SALT, CLIENT_ID]) expect(value).not.toContain(fingerprint);
  });

  it('is the same for the same content whatever the key order and whitespace', () => {
    const reordered = `{ "salt": "${SALT}",\n  "client_secret": "${CLIENT_SECRET}", "client_id": "${CLIENT_ID}" }`;
    expect(parseProviderSecret(NAME, reordered).fingerprint).toBe(parseProviderSecret(NAME, RAW).fingerprint);
  });

  it('changes when any value changes: a credential or the salt', () => {
    const base = parseProviderSecret(NAME, RAW).fingerprint;
    const rotatedCredential = { client_id: CLIENT_ID, client_secret: `${CLIENT_SECRET}x`, salt: SALT };
    const rotatedSalt = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, salt: OLD_SALT };
    expect(parseProviderSecret(NAME, rotatedCredential).fingerprint).not.toBe(base);
    expect(parseProviderSecret(NAME, rotatedSalt).fingerprint).not.toBe(base);
  });

  it('tells apart contents whose naive concatenation would be equal', () => {
    const a = parseProviderSecret(NAME, { salt: SALT, a: 'bc', ab: 'c' }).fingerprint;
    const b = parseProviderSecret(NAME, { salt: SALT, a: 'b', ab: 'cc' }).fingerprint;
    expect(a).not.toBe(b);
  });

  // Found by test/fuzz/secret-parser.test.ts: the fingerprint recursed into any depth and
  // overflowed the stack (a RangeError out of SecretBinding), and threw a TypeError on a BigInt.
  it('is computed for a BigInt field given in an object, which JSON cannot write', () => {
    expect(parseProviderSecret(NAME, { salt: SALT, big: 10n }).fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('parseProviderSecret: nesting', () => {
  const nested = (depth: number) =>
    `{"salt":"${SALT}","client_secret":"${CLIENT_SECRET}","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;

  it(`reads a secret nested ${MAX_SECRET_DEPTH} levels, fingerprint included`, () => {
    // The secret object is level 1; "deep" holds MAX - 1 more.
    expect(parseProviderSecret(NAME, nested(MAX_SECRET_DEPTH - 1)).fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses a deeper secret (here 100,000 levels, which JSON.parse takes) with a SecretError, no value shown', () => {
    for (const depth of [MAX_SECRET_DEPTH, 100_000]) {
      const error = thrownBy<unknown>(() => parseProviderSecret(NAME, nested(depth)));
      expect(error).toBeInstanceOf(SecretError);
      expect((error as Error).message).toContain(`nests deeper than ${MAX_SECRET_DEPTH} levels`);
      expect(everyRendering(error)).not.toContain(SALT);
      expect(everyRendering(error)).not.toContain(CLIENT_SECRET);
    }
  });

  it('refuses an object that refers to itself with a SecretError', () => {
    const cyclic: Record<string, unknown> = { salt: SALT };
    cyclic.self = cyclic;
    expect(thrownBy<unknown>(() => parseProviderSecret(NAME, cyclic))).toBeInstanceOf(SecretError);
  });
});

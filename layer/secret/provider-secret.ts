/**
 * The provider's Secrets Manager secret: its name, its credentials and its key(s).
 *
 * One secret per provider, holding a JSON object with the provider's credentials and `key` (the
 * AES key of the stored token; or `keys`, current first, while a key rotation is under way).
 * `salt` and `salts` are the old names of `key` and `keys`, still read. Values never reach
 * output: errors name the secret and the field, and a {@link ProviderSecret} renders as its
 * name and field names only (I4, I6).
 */
import { createHash } from 'node:crypto';
import { MIN_KEY_LENGTH } from '../crypto/salt-cipher.js';
import { SecretError } from '../errors/error-classes.js';
import type { ProviderCredentials } from '../providers/token-provider.js';
import { describeValue, shownName } from './secret-name.js';

/**
 * Parses what Secrets Manager (a `SecretString`) or `@middy/secrets-manager` (already parsed,
 * or the original string when it is not JSON) gives for a provider secret.
 *
 * @param secretName - used in error messages only; it is not validated here, and a name that
 * `validateSecretName` refuses is not shown in them.
 * @param raw - a JSON string, or the object it parses to.
 * @throws SecretError when `raw` is missing, is not JSON, is not a JSON object, nests deeper than
 * {@link MAX_SECRET_DEPTH} levels, or its key is missing, unusable or given under two names
 * (`key` and `salt`). The message names the secret and the field (`key`, `keys[1]`), never
 * a value; the parser's own message is not kept (it quotes the input).
 */
export function parseProviderSecret(secretName: string, raw: unknown): ProviderSecret {
  return ProviderSecret.parse(secretName, raw);
}

/** Deepest nesting of objects and arrays a secret may have; real ones are flat (depth 1). */
export const MAX_SECRET_DEPTH = 32;

/** Domain separator of {@link ProviderSecret.fingerprint}: a hash meant for nothing else. */
const FINGERPRINT_DOMAIN = 'lambda-shared-token/secret-fingerprint/v1\n';
const FINGERPRINT_HEX_LENGTH = 16;

/**
 * A parsed provider secret. Values live in private fields: `JSON.stringify`, `String()` and
 * `util.inspect` show the secret's name and field names only.
 */
export class ProviderSecret implements ProviderCredentials {
  readonly #fields: ReadonlyMap<string, unknown>;
  readonly #keys: readonly string[];
  #fingerprint: string | undefined;
  /** The name as messages and renderings show it (see {@link shownName}). */
  get #shown(): string {
    return shownName(this.secretName);
  }

  private constructor(
    /** Name (or ARN) of the secret: not secret, used in messages. */
    readonly secretName: string,
    fields: ReadonlyMap<string, unknown>,
    keys: readonly string[],
  ) {
    this.#fields = fields;
    this.#keys = keys;
  }

  /** See {@link parseProviderSecret}. */
  static parse(secretName: string, raw: unknown): ProviderSecret {
    if (typeof secretName !== 'string' || secretName === '') {
      throw new TypeError('parseProviderSecret needs the secret name (a non-empty string) first');
    }
    const shown = shownName(secretName);
    const object = toObject(shown, raw);
    if (nestsDeeperThan(object, MAX_SECRET_DEPTH)) {
      // JSON.parse takes any depth, but the fingerprint walks the secret recursively: refuse here,
      // with a typed error, rather than overflow the stack later in SecretBinding.
      throw new SecretError(
        `secret "${shown}" nests deeper than ${MAX_SECRET_DEPTH} levels (or refers to itself)`,
        shown,
      );
    }
    const fields = new Map(Object.entries(object));
    return new ProviderSecret(secretName, fields, readKeys(shown, fields));
  }

  /**
   * The keys (`key`, or `keys`; or their old names `salt`, `salts`), CURRENT FIRST: the first
   * encrypts, the others only decrypt tokens written before a rotation. Each has at least
   * {@link MIN_KEY_LENGTH} characters. Hand them to `SaltCipher`.
   */
  get keys(): readonly string[] {
    return this.#keys;
  }

  /** @deprecated the old name of {@link ProviderSecret.keys}. */
  get salts(): readonly string[] {
    return this.#keys;
  }

  /** Names of the secret's top-level fields, sorted. Not secret. */
  get fieldNames(): string[] {
    return [...this.#fields.keys()].sort();
  }

  require(field: string): string {
    const value = this.#fields.get(checkFieldName(field));
    if (value === undefined) {
      throw new SecretError(`secret "${this.#shown}" has no "${field}" field`, this.#shown, {
        field,
      });
    }
    return this.#string(field, value);
  }

  /** A string field, or `undefined` when it is absent or JSON `null`. */
  optional(field: string): string | undefined {
    const value = this.#fields.get(checkFieldName(field));
    return value === undefined || value === null ? undefined : this.#string(field, value);
  }

  /**
   * A short id of the secret's content: the first 16 hex digits of SHA-256 over a domain tag and
   * the canonical JSON of the whole secret (keys sorted, no whitespace). Equal content gives an
   * equal fingerprint whatever the formatting, so comparing two says "the secret changed" without
   * comparing values.
   *
   * Why it leaks nothing useful: SHA-256 is one-way, the input is every field at once, including
   * the key (at least {@link MIN_KEY_LENGTH} characters meant to be random) and the client
   * secret. Testing a guess needs the whole secret guessed exactly, key included, and a correct
   * guess is then already known. 64 bits are plenty to tell versions apart, not to collide on
   * purpose usefully.
   */
  get fingerprint(): string {
    this.#fingerprint ??= createHash('sha256')
      .update(FINGERPRINT_DOMAIN)
      .update(canonicalJson(Object.fromEntries(this.#fields)))
      .digest('hex')
      .slice(0, FINGERPRINT_HEX_LENGTH);
    return this.#fingerprint;
  }

  toJSON(): Record<string, unknown> {
    return { secretName: this.#shown, fields: this.fieldNames };
  }

  toString(): string {
    return `ProviderSecret(${this.#shown}: ${this.fieldNames.join(', ')})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    return `ProviderSecret ${inspect(this.toJSON(), options)}`;
  }

  #string(field: string, value: unknown): string {
    if (typeof value !== 'string' || value === '') {
      throw new SecretError(
        `field "${field}" of secret "${this.#shown}" must be a non-empty string (got ${value === '' ? 'an empty string' : describeValue(value)})`,
        this.#shown,
        { field },
      );
    }
    return value;
  }
}

function toObject(secretName: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') {
    throw new SecretError(`secret "${secretName}" is empty or missing`, secretName);
  }
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      // Neither the parser's message nor a cause: V8's SyntaxError quotes the text around the
      // error, and that text is the secret.
      throw new SecretError(`secret "${secretName}" is not valid JSON`, secretName);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretError(
      `secret "${secretName}" must be a JSON object of fields (got ${describeValue(value)})`,
      secretName,
    );
  }
  return value as Record<string, unknown>;
}

/** The key fields, documented names first, then their old names. */
const KEY_FIELDS = ['key', 'keys', 'salt', 'salts'] as const;
const ONE_KEY = new Set(['key', 'salt']);

function readKeys(secretName: string, fields: ReadonlyMap<string, unknown>): readonly string[] {
  const fail = (message: string, field: string): never => {
    throw new SecretError(`secret "${secretName}"${message}`, secretName, { field });
  };
  const present = KEY_FIELDS.filter((field) => fields.get(field) !== undefined);
  if (present.length > 1) {
    const named = present.map((field) => `"${field}"`);
    return fail(
      ` has ${named.slice(0, -1).join(', ')} and ${named.at(-1)}: keep one ("key", or "keys" with the ` +
        'current key first while rotating; "salt" and "salts" are their old names)',
      present[1]!,
    );
  }
  const field = present[0];
  if (field === undefined) {
    return fail(
      `: no "key" field (a random string of at least ${MIN_KEY_LENGTH} characters, the AES key of the ` +
        'stored token; or "keys", current first, while rotating)',
      'key',
    );
  }
  const value = fields.get(field);
  if (ONE_KEY.has(field)) return Object.freeze([checkKey(value, field, fail)]);
  if (!Array.isArray(value) || value.length === 0) {
    return fail(`: "${field}" must be a non-empty array of strings, current key first`, field);
  }
  const checked = value.map((item: unknown, index) => checkKey(item, `${field}[${index}]`, fail));
  checked.forEach((item, index) => {
    const first = checked.indexOf(item);
    if (first !== index) fail(`: "${field}[${index}]" duplicates "${field}[${first}]"`, `${field}[${index}]`);
  });
  return Object.freeze(checked);
}

function checkKey(value: unknown, field: string, fail: (message: string, field: string) => never): string {
  if (typeof value !== 'string')
    return fail(`: "${field}" must be a string (got ${describeValue(value)})`, field);
  // Code points, as SaltCipher counts them.
  if ([...value].length < MIN_KEY_LENGTH) {
    return fail(`: "${field}" is shorter than ${MIN_KEY_LENGTH} characters`, field);
  }
  return value;
}

function checkFieldName(field: unknown): string {
  if (typeof field !== 'string' || field === '') {
    throw new TypeError('a secret field name must be a non-empty string');
  }
  return field;
}

/** True when objects or arrays nest more than `limit` levels; a cycle nests without end. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  return Object.values(value).some((item) => nestsDeeperThan(item, limit - 1));
}

/** JSON with object keys sorted at every level: one text per content, whatever the formatting. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  // Strings, finite numbers, booleans and null, as JSON writes them. Nothing else comes out of
  // JSON.parse; a non-JSON value from an object given directly is written by its type alone.
  // A BigInt is the one value JSON.stringify throws on instead of leaving it out.
  return (typeof value === 'bigint' ? undefined : JSON.stringify(value)) ?? `"<${typeof value}>"`;
}

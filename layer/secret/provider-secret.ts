/**
 * The provider's Secrets Manager secret: its name, its credentials and its salt(s).
 *
 * One secret per provider, named `/{env}/{service}/{secret-type}/{name}`, holding a JSON
 * object with the provider's credentials and `salt` (or `salts`, current first, while a
 * salt rotation is under way). Values never reach output: errors name the secret and the
 * field, and a {@link ProviderSecret} renders as its name and field names only (I4, I6).
 */
import { createHash } from 'node:crypto';
import { MIN_SALT_LENGTH } from '../crypto/salt-cipher.js';
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
 * {@link MAX_SECRET_DEPTH} levels, or its salt is missing or unusable. The message names the secret and the field (`salt`, `salts[1]`), never
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
  readonly #salts: readonly string[];
  #fingerprint: string | undefined;
  /** The name as messages and renderings show it (see {@link shownName}). */
  get #shown(): string {
    return shownName(this.secretName);
  }

  private constructor(
    /** Name (or ARN) of the secret: not secret, used in messages. */
    readonly secretName: string,
    fields: ReadonlyMap<string, unknown>,
    salts: readonly string[],
  ) {
    this.#fields = fields;
    this.#salts = salts;
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
    return new ProviderSecret(secretName, fields, readSalts(shown, fields));
  }

  /**
   * The salts, CURRENT FIRST: the first encrypts, the others only decrypt tokens written before a
   * rotation. Each has at least {@link MIN_SALT_LENGTH} characters. Hand them to `SaltCipher`.
   */
  get salts(): readonly string[] {
    return this.#salts;
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
   * the salt (at least {@link MIN_SALT_LENGTH} characters meant to be random) and the client
   * secret. Testing a guess needs the whole secret guessed exactly, salt included, and a correct
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

function readSalts(secretName: string, fields: ReadonlyMap<string, unknown>): readonly string[] {
  const salt = fields.get('salt');
  const salts = fields.get('salts');
  const fail = (message: string, field: string): never => {
    throw new SecretError(`secret "${secretName}": ${message}`, secretName, { field });
  };
  if (salt !== undefined && salts !== undefined) {
    return fail(
      '"salt" and "salts" are both present: keep one ("salts", current first, while rotating)',
      'salts',
    );
  }
  if (salt === undefined && salts === undefined) {
    return fail(
      `no "salt" field (a string of at least ${MIN_SALT_LENGTH} characters; or "salts" while rotating)`,
      'salt',
    );
  }
  if (salt !== undefined) return Object.freeze([checkSalt(salt, 'salt', fail)]);
  if (!Array.isArray(salts) || salts.length === 0) {
    return fail('"salts" must be a non-empty array of strings, current salt first', 'salts');
  }
  const checked = salts.map((value: unknown, index) => checkSalt(value, `salts[${index}]`, fail));
  checked.forEach((value, index) => {
    const first = checked.indexOf(value);
    if (first !== index) fail(`"salts[${index}]" duplicates "salts[${first}]"`, `salts[${index}]`);
  });
  return Object.freeze(checked);
}

function checkSalt(value: unknown, field: string, fail: (message: string, field: string) => never): string {
  if (typeof value !== 'string')
    return fail(`"${field}" must be a string (got ${describeValue(value)})`, field);
  // Code points, as SaltCipher counts them.
  if ([...value].length < MIN_SALT_LENGTH) {
    return fail(`"${field}" is shorter than ${MIN_SALT_LENGTH} characters`, field);
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

/**
 * What the providers' factories share. A factory builds its provider from the provider's secret:
 * the options are validated once, when the factory is made (cold start); the credentials are read
 * from the secret each time the factory is called (after every secret change), and a missing
 * field is the `SecretError` of `credentials.require`.
 */
import { ConfigurationError } from '../errors/error-classes.js';
import { checkOptionKeys } from './provider-options.js';
import type { ProviderCredentials, ProviderFactory, TokenProvider } from './token-provider.js';

/** Secret field names of the client credentials. */
export interface ClientCredentialFields {
  /** @default 'clientId' */
  clientId?: string;
  /** @default 'clientSecret' */
  clientSecret?: string;
}

export const CREDENTIAL_FIELDS = ['clientId', 'clientSecret'] as const;

/**
 * Checks the keys (a credential given as an option is named, with the way to map it instead) and
 * returns a copy without `fields`, so changing the caller's object later changes nothing.
 */
function checkedOptions(
  options: unknown,
  settings: readonly string[],
  secretFields: readonly string[],
  label: string,
): Record<string, unknown> {
  const known = new Set([...settings, 'fields']);
  checkOptionKeys(options, known, label, (key) =>
    secretFields.includes(key)
      ? ` (it is read from the secret: name a differently called field with the "fields" option)`
      : '',
  );
  const { fields: _fields, ...settingsOnly } = options;
  return settingsOnly;
}

/** The `fields` option with its defaults: each key names itself. */
function readFields<K extends string>(value: unknown, keys: readonly K[], label: string): Record<K, string> {
  const fields = Object.fromEntries(keys.map((key) => [key, key as string])) as Record<K, string>;
  if (value === undefined) return fields;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(`${label} option "fields" must be an object of secret field names`);
  }
  for (const [key, name] of Object.entries(value)) {
    if (!(keys as readonly string[]).includes(key)) {
      throw new ConfigurationError(`Unknown ${label} option "fields.${key}"`);
    }
    if (name === undefined) continue;
    if (typeof name !== 'string' || name === '') {
      throw new ConfigurationError(`${label} option "fields.${key}" must be a non-empty field name`);
    }
    fields[key as K] = name;
  }
  return fields;
}

/** How a factory reads its provider's options, and which of them come from the secret. */
export interface SecretProviderShape<K extends string> {
  /** Names the provider in messages: `OAuth2 provider`. */
  label: string;
  /** The options that configure the provider; any other key but `fields` is refused. */
  settings: readonly string[];
  /** The options read from the secret, under their own names unless `fields` renames them. */
  secretFields: readonly K[];
  /** Validates the settings, once, when the factory is made. */
  check(settings: Record<string, unknown>): void;
}

/**
 * A provider factory: `options` checked now against `shape`; on each call, `build` makes the
 * provider from the settings and the secret (the field names after `fields`).
 */
export function factoryFromSecret<K extends string>(
  options: unknown,
  shape: SecretProviderShape<K>,
  build: (
    settings: Record<string, unknown>,
    credentials: ProviderCredentials,
    fields: Record<K, string>,
  ) => TokenProvider,
): ProviderFactory {
  const settings = checkedOptions(options, shape.settings, shape.secretFields, shape.label);
  shape.check(settings);
  const fields = readFields((options as { fields?: unknown }).fields, shape.secretFields, shape.label);
  return (credentials) => build(settings, credentials, fields);
}

/** The value of each named field of the secret. */
export function requireFields<K extends string>(
  credentials: ProviderCredentials,
  fields: Record<K, string>,
): Record<K, string> {
  const values = {} as Record<K, string>;
  for (const key of Object.keys(fields) as K[]) values[key] = credentials.require(fields[key]);
  return values;
}

import { ConfigurationError, isSharedTokenError, SecretError } from '../errors/error-classes.js';
import {
  OAUTH2_SETTINGS,
  type OAuth2ClientCredentialsOptions,
  OAuth2ClientCredentialsProvider,
  readOAuth2Settings,
} from './oauth2.js';
import { type OAuth2RefreshTokenOptions, OAuth2RefreshTokenProvider } from './oauth2-refresh-token.js';
import { checkOptionKeys } from './provider-options.js';
import {
  readInstanceUrl,
  readSalesforceSettings,
  SALESFORCE_SETTINGS,
  type SalesforceOptions,
  SalesforceProvider,
} from './salesforce.js';
import type { ProviderCredentials, ProviderFactory, TokenProvider } from './token-provider.js';

/**
 * Providers built from the provider's secret: the options are validated once, when the factory is
 * made (cold start); the credentials are read from the secret each time the factory is called
 * (after every secret change), and a missing field is the `SecretError` of `credentials.require`.
 */

/** Secret field names of the client credentials. */
export interface ClientCredentialFields {
  /** @default 'clientId' */
  clientId?: string;
  /** @default 'clientSecret' */
  clientSecret?: string;
}

export interface OAuth2ClientCredentialsFactoryOptions
  extends Omit<OAuth2ClientCredentialsOptions, 'clientId' | 'clientSecret'> {
  /**
   * Names of the secret's fields, for a secret that names them differently: `{ clientId: 'consumerKey' }`.
   * @default { clientId: 'clientId', clientSecret: 'clientSecret' }
   */
  fields?: ClientCredentialFields;
}

export interface OAuth2RefreshTokenFactoryOptions
  extends Omit<OAuth2RefreshTokenOptions, 'clientId' | 'clientSecret' | 'refreshToken'> {
  /**
   * Names of the secret's fields; `refreshToken` is the bootstrap refresh token.
   * @default { clientId: 'clientId', clientSecret: 'clientSecret', refreshToken: 'refreshToken' }
   */
  fields?: ClientCredentialFields & {
    /** @default 'refreshToken' */
    refreshToken?: string;
  };
}

export interface SalesforceFactoryOptions
  extends Omit<SalesforceOptions, 'clientId' | 'clientSecret' | 'instanceUrl'> {
  /** The org's My Domain URL. @default the secret's `instanceUrl` field */
  instanceUrl?: string;
  /**
   * Names of the secret's fields: `{ clientId: 'consumerKey', clientSecret: 'consumerSecret' }`.
   * @default { clientId: 'clientId', clientSecret: 'clientSecret', instanceUrl: 'instanceUrl' }
   */
  fields?: ClientCredentialFields & {
    /** Read only when the options have no `instanceUrl`. @default 'instanceUrl' */
    instanceUrl?: string;
  };
}

const CREDENTIAL_FIELDS = ['clientId', 'clientSecret'] as const;

/** OAuth2 client credentials with `clientId` and `clientSecret` from the secret. */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsFactoryOptions): ProviderFactory {
  const label = 'OAuth2 provider';
  const settings = checkedOptions(options, [...OAUTH2_SETTINGS], CREDENTIAL_FIELDS, label);
  readOAuth2Settings(settings, label);
  const fields = readFields(options.fields, CREDENTIAL_FIELDS, label);
  return function oauth2ClientCredentialsFactory(credentials: ProviderCredentials): TokenProvider {
    return new OAuth2ClientCredentialsProvider({
      ...(settings as Omit<OAuth2ClientCredentialsOptions, 'clientId' | 'clientSecret'>),
      clientId: credentials.require(fields.clientId),
      clientSecret: credentials.require(fields.clientSecret),
    });
  };
}

/** OAuth2 refresh_token with rotation; `clientId`, `clientSecret` and the bootstrap `refreshToken` from the secret. */
export function oauth2RefreshToken(options: OAuth2RefreshTokenFactoryOptions): ProviderFactory {
  const label = 'OAuth2 refresh-token provider';
  const secretFields = [...CREDENTIAL_FIELDS, 'refreshToken'] as const;
  const settings = checkedOptions(options, [...OAUTH2_SETTINGS], secretFields, label);
  readOAuth2Settings(settings, label);
  const fields = readFields(options.fields, secretFields, label);
  return function oauth2RefreshTokenFactory(credentials: ProviderCredentials): TokenProvider {
    return new OAuth2RefreshTokenProvider({
      ...(settings as Omit<OAuth2RefreshTokenOptions, 'clientId' | 'clientSecret' | 'refreshToken'>),
      clientId: credentials.require(fields.clientId),
      clientSecret: credentials.require(fields.clientSecret),
      refreshToken: credentials.require(fields.refreshToken),
    });
  };
}

/** Salesforce client credentials; `clientId`, `clientSecret` (and `instanceUrl` unless configured) from the secret. */
export function salesforce(options: SalesforceFactoryOptions = {}): ProviderFactory {
  const label = 'Salesforce provider';
  const settings = checkedOptions(options, [...SALESFORCE_SETTINGS], CREDENTIAL_FIELDS, label);
  readSalesforceSettings(settings, label);
  if (settings.instanceUrl !== undefined) readInstanceUrl(settings.instanceUrl, label);
  const fields = readFields(options.fields, [...CREDENTIAL_FIELDS, 'instanceUrl'] as const, label);
  return function salesforceFactory(credentials: ProviderCredentials): TokenProvider {
    const instanceUrl =
      (settings.instanceUrl as string | undefined) ?? instanceUrlFromSecret(credentials, fields.instanceUrl);
    return new SalesforceProvider({
      ...(settings as Omit<SalesforceOptions, 'clientId' | 'clientSecret' | 'instanceUrl'>),
      instanceUrl,
      clientId: credentials.require(fields.clientId),
      clientSecret: credentials.require(fields.clientSecret),
    });
  };
}

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

/** The secret's instance URL; a bad one is the secret's fault, so the error names the secret and the field. */
function instanceUrlFromSecret(credentials: ProviderCredentials, field: string): string {
  const value = credentials.require(field);
  try {
    readInstanceUrl(value, 'Salesforce provider');
  } catch (error) {
    if (!isSharedTokenError(error, 'ConfigurationError')) throw error;
    throw new SecretError(
      `Secret "${credentials.secretName}" field "${field}" is not a plain http(s) URL (the org's My Domain URL)`,
      credentials.secretName,
      { field },
    );
  }
  return value;
}

/**
 * The providers `doctor --provider` knows, built with the layer's own factories (salesforce,
 * oauth2ClientCredentials, oauth2RefreshToken) so that the fields it checks and the request it
 * sends are the layer's. `--field ROLE=NAME` is the factory's `fields` option (a secret that names
 * `clientId` `consumerKey`, say); `--require NAME` adds fields your own code reads.
 */
import { isSharedTokenError } from '../../layer/errors/error-classes.js';
import { oauth2ClientCredentials } from '../../layer/providers/oauth2.js';
import {
  oauth2RefreshToken,
  REFRESH_TOKEN_SECRET_FIELDS,
} from '../../layer/providers/oauth2-refresh-token.js';
import { SALESFORCE_SECRET_FIELDS, salesforce } from '../../layer/providers/salesforce.js';
import { CREDENTIAL_FIELDS } from '../../layer/providers/secret-fields.js';
import type { ProviderCredentials, ProviderFactory } from '../../layer/providers/token-provider.js';
import { type ParsedOptions, UsageError } from '../args.js';

export const PROVIDER_KINDS = [
  'salesforce',
  'oauth2ClientCredentials',
  'oauth2RefreshToken',
  'function',
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** A secret field the provider reads: its role (the factory's name for it) and its name in the secret. */
export interface SecretField {
  role: string;
  field: string;
}

export interface ProviderSetup {
  /** Undefined when only `--require` was given. */
  kind: ProviderKind | undefined;
  /** The fields the provider reads from the secret, after `--field`, then those of `--require`. */
  fields: SecretField[];
  /** The layer's factory; undefined for `function` (your code) and for OAuth2 without `--token-url`. */
  factory: ProviderFactory | undefined;
  /** The token endpoint, once the secret is known (Salesforce's comes from its `instanceUrl`). */
  tokenUrl(credentials: ProviderCredentials | undefined): string | undefined;
  /** Why the endpoint cannot be checked, when it cannot. */
  endpointNeeds: string | undefined;
}

/** The roles each provider reads from its secret: the factories' own `secretFields`. */
const ROLES: Record<ProviderKind, readonly string[]> = {
  salesforce: SALESFORCE_SECRET_FIELDS,
  oauth2ClientCredentials: CREDENTIAL_FIELDS,
  oauth2RefreshToken: REFRESH_TOKEN_SECRET_FIELDS,
  function: [],
};

/** The setup `--provider` and its options describe; throws UsageError for an option that does not fit. */
export function providerSetup(options: ParsedOptions): ProviderSetup | undefined {
  const kind = options.get('provider');
  if (kind === undefined) {
    for (const name of ['token-url', 'instance-url', 'scope', 'auth-method', 'field']) {
      if (options.has(name)) throw new UsageError(`doctor: --${name} goes with --provider`);
    }
    return withRequired(undefined, options);
  }
  if (!(PROVIDER_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`doctor: --provider must be one of ${PROVIDER_KINDS.join(', ')}`);
  }
  return withRequired(setupOf(kind as ProviderKind, options), options);
}

function setupOf(kind: ProviderKind, options: ParsedOptions): ProviderSetup {
  const refuse = (name: string, why: string) => {
    if (options.has(name))
      throw new UsageError(`doctor: --${name} does not go with --provider ${kind}: ${why}`);
  };
  if (kind === 'function') {
    for (const name of ['token-url', 'instance-url', 'scope', 'auth-method', 'field']) {
      refuse(name, 'a functionProvider calls what your code calls');
    }
    return {
      kind,
      fields: [],
      factory: undefined,
      tokenUrl: () => undefined,
      endpointNeeds: 'a functionProvider calls what your function calls: doctor cannot send that request',
    };
  }
  const mapping = fieldMapping(kind, options.all('field'));
  const authMethod = options.get('auth-method');
  if (authMethod !== undefined && authMethod !== 'basic' && authMethod !== 'body') {
    throw new UsageError('doctor: --auth-method must be basic or body');
  }
  const common = {
    ...(authMethod !== undefined && { authMethod: authMethod as 'basic' | 'body' }),
    ...(Object.keys(mapping).length > 0 && { fields: mapping }),
  };
  const rolesToFields = (roles: readonly string[]) =>
    roles.map((role) => ({ role, field: mapping[role] ?? role }));
  if (kind === 'salesforce') {
    refuse('token-url', 'the token URL is {instanceUrl}/services/oauth2/token: give --instance-url');
    refuse('scope', 'the Salesforce client credentials flow takes no scope');
    const instanceUrl = options.get('instance-url');
    const factory = built(() => salesforce({ ...common, ...(instanceUrl !== undefined && { instanceUrl }) }));
    const fields = rolesToFields(ROLES.salesforce.filter((role) => !(role === 'instanceUrl' && instanceUrl)));
    const instanceField = mapping.instanceUrl ?? 'instanceUrl';
    return {
      kind,
      fields,
      factory,
      tokenUrl: (credentials) => {
        const base = instanceUrl ?? safeOptional(credentials, instanceField);
        return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/services/oauth2/token`;
      },
      endpointNeeds: undefined,
    };
  }
  refuse('instance-url', "it is Salesforce's: give --token-url");
  const tokenUrl = options.get('token-url');
  const scope = options.get('scope');
  const settings = { ...common, ...(scope !== undefined && { scope }) };
  const make = kind === 'oauth2ClientCredentials' ? oauth2ClientCredentials : oauth2RefreshToken;
  return {
    kind,
    fields: rolesToFields(ROLES[kind]),
    factory: tokenUrl === undefined ? undefined : built(() => make({ ...settings, tokenUrl })),
    tokenUrl: () => tokenUrl,
    endpointNeeds:
      tokenUrl === undefined ? 'pass --token-url URL (the tokenUrl option of your provider)' : undefined,
  };
}

/** `--field clientId=consumerKey` as the factory's `fields` option. */
function fieldMapping(kind: ProviderKind, given: readonly string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const entry of given) {
    const equals = entry.indexOf('=');
    const role = entry.slice(0, Math.max(equals, 0));
    const field = entry.slice(equals + 1);
    if (equals <= 0 || field === '' || !ROLES[kind].includes(role)) {
      throw new UsageError(
        `doctor: --field takes ROLE=NAME, ROLE one of ${ROLES[kind].join(', ') || '(none: a functionProvider maps nothing)'}`,
      );
    }
    mapping[role] = field;
  }
  return mapping;
}

/** `--require NAME`: fields your own code reads (a functionProvider's `apiKey`). */
function withRequired(setup: ProviderSetup | undefined, options: ParsedOptions): ProviderSetup | undefined {
  const required = options.all('require').map((field) => ({ role: field, field }));
  if (required.length === 0) return setup;
  const base: ProviderSetup = setup ?? {
    kind: undefined,
    fields: [],
    factory: undefined,
    tokenUrl: () => undefined,
    endpointNeeds: 'no --provider given',
  };
  return { ...base, fields: [...base.fields, ...required] };
}

/** A factory, its options checked now: a bad --token-url is bad usage, named by the layer's message. */
function built(make: () => ProviderFactory): ProviderFactory {
  try {
    return make();
  } catch (error) {
    if (isSharedTokenError(error, 'ConfigurationError'))
      throw new UsageError(`doctor: ${(error as Error).message}`);
    throw error;
  }
}

function safeOptional(credentials: ProviderCredentials | undefined, field: string): string | undefined {
  try {
    return credentials?.optional(field);
  } catch {
    return undefined;
  }
}

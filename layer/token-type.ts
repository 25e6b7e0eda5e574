/**
 * Token types name one item of the table each: `salesforce` for a provider, or
 * `salesforce#tenant-42` for one tenant of it. The tenant is part of the partition key, of
 * the cipher's authenticated data (SaltCipher AAD, KMS encryption context) and of every
 * log line, so one tenant's item never decrypts as another's (I5).
 */
import { ConfigurationError, SecretError } from './errors/error-classes.js';

/** Between the provider and the tenant in a tokenType. */
export const TENANT_SEPARATOR = '#';

/** The two parts of a tokenType; `tenant` is absent for a provider-wide token. */
export interface TokenTypeParts {
  readonly provider: string;
  readonly tenant?: string;
}

// Letters, digits and - _ . : / @ +: what tenant ids and provider names are made of, with no
// room for a separator, whitespace or anything a log query would have to escape.
const PART = /^[A-Za-z0-9._:/@+-]{1,128}$/;

/**
 * Splits a tokenType at its first `#`. Never throws: a tokenType written before tenants
 * existed (any text) is a provider-wide one unless it holds a `#` with text on both sides.
 */
export function parseTokenType(tokenType: string): TokenTypeParts {
  const at = tokenType.indexOf(TENANT_SEPARATOR);
  if (at <= 0 || at === tokenType.length - 1) return { provider: tokenType };
  return { provider: tokenType.slice(0, at), tenant: tokenType.slice(at + 1) };
}

/**
 * The tokenType of one tenant of a provider: `tenantTokenType('salesforce', 'tenant-42')`
 * is `salesforce#tenant-42`.
 * @throws ConfigurationError naming the part that is empty, too long (over 128 characters)
 * or holds a character outside letters, digits and `- _ . : / @ +`.
 */
export function tenantTokenType(provider: string, tenant: string): string {
  checkTokenTypePart('provider', provider);
  checkTokenTypePart('tenant', tenant);
  return `${provider}${TENANT_SEPARATOR}${tenant}`;
}

/**
 * @throws ConfigurationError when `value`, the `part` of a tenant tokenType, is not 1 to 128
 * letters, digits or `- _ . : / @ +`. Names the part; echoes the value only when it is short
 * and printable (an id, never a secret, but possibly garbage).
 */
export function checkTokenTypePart(part: 'provider' | 'tenant', value: unknown): asserts value is string {
  if (typeof value === 'string' && PART.test(value)) return;
  throw new ConfigurationError(
    `the ${part} of a tenant tokenType must be 1 to 128 letters, digits or - _ . : / @ + (no "${TENANT_SEPARATOR}")`,
  );
}

/**
 * Refuses a secret that belongs to another tenant than the tokenType's. A tenant's secret
 * names its tenant in a `tenant` field; a provider-wide secret has none. So a service
 * configured with tenant A's secret can neither read nor refresh tenant B's item, even when
 * its tokenType is misconfigured to B's: it fails here, before any call to the table or the
 * provider. Tenant ids are identifiers, not secrets: the message names both.
 * @throws SecretError naming the secret, its tenant and the tokenType's.
 */
export function checkSecretTenant(
  tokenType: string,
  secretName: string,
  secretTenant: string | undefined,
): void {
  const { tenant } = parseTokenType(tokenType);
  if (tenant === secretTenant) return;
  const whose = secretTenant === undefined ? 'names no tenant' : `is tenant "${secretTenant}"'s`;
  const wanted = tenant === undefined ? 'a provider-wide tokenType' : `tenant "${tenant}"`;
  throw new SecretError(
    `secret "${secretName}" ${whose}, but tokenType "${tokenType}" is ${wanted}: give each tenant its own secret with its "tenant" field`,
    secretName,
    { field: 'tenant' },
  );
}

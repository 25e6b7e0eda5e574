/**
 * How a tenant proves it exists, or is refuted: its secret source, watched by TenantTokens.
 *
 * A tenant id is chosen by the caller; only a secret can vouch for it, since nobody but the
 * operator creates secrets. So the first read that returns a secret naming the tenant proves it,
 * and two answers refute it for good (until the refusal expires): Secrets Manager's
 * `ResourceNotFoundException`, and a secret that names another tenant. Anything else proves
 * nothing either way (throttling, a reset connection, a denied read, an abandoned wait, a
 * malformed secret): it surfaces as before and the next request asks again.
 *
 * @internal
 */
import { awsErrorName } from '../aws/aws-error-name.js';
import { isSharedTokenError, type SecretError } from '../errors/error-classes.js';
import { parseProviderSecret } from '../secret/provider-secret.js';
import type { SecretSource } from '../secret/secret-source.js';
import { checkSecretTenant } from '../token-type.js';

/** What TenantTokens learns from a tenant's secret reads. */
export interface TenantWatch {
  /** The error that refuses the tenant now, if one does: the read is not made. */
  refusal(): SecretError | undefined;
  proven(): void;
  refuted(error: SecretError): void;
}

/**
 * `source`, told to `watch`: refused tenants fail before any read; the first good read checks the
 * secret's tenant (the same check SharedToken makes after it) and proves the tenant; a read
 * answered "not found" refutes it, proven or not (a deleted secret is an offboarded tenant).
 */
export function watchedSecretSource(
  source: SecretSource,
  tenant: { tokenType: string; secretName: string },
  watch: TenantWatch,
): SecretSource {
  let proven = false;
  const load: SecretSource['load'] = async (options) => {
    const refused = watch.refusal();
    if (refused !== undefined) throw refused;
    let raw: unknown;
    try {
      raw = await source.load(options);
    } catch (error) {
      if (isSecretNotFound(error)) watch.refuted(error);
      throw error;
    }
    if (!proven) {
      const secretTenant = tenantOf(tenant.secretName, raw);
      if (secretTenant === undefined) return raw;
      try {
        checkSecretTenant(tenant.tokenType, tenant.secretName, secretTenant.tenant);
      } catch (error) {
        watch.refuted(error as SecretError);
        throw error;
      }
      proven = true;
      watch.proven();
    }
    return raw;
  };
  // `peek` only where the source has one: SharedToken reads its absence as "always load".
  return source.peek === undefined ? { load } : { load, peek: () => source.peek?.() };
}

/** The `tenant` field of a secret that parses; `undefined` when it does not (SharedToken reports that). */
function tenantOf(secretName: string, raw: unknown): { tenant: string | undefined } | undefined {
  try {
    return { tenant: parseProviderSecret(secretName, raw).optional('tenant') };
  } catch {
    return undefined;
  }
}

/**
 * A SecretError for a secret that does not exist: what `secretReadError` makes of Secrets
 * Manager's `ResourceNotFoundException` (the SDK error, or its copy, as `cause`). A custom
 * SecretSource refutes a tenant the same way, by throwing `secretReadError(name, sdkError)`.
 */
function isSecretNotFound(error: unknown): error is SecretError {
  return (
    isSharedTokenError(error, 'SecretError') &&
    awsErrorName((error as { cause?: unknown }).cause) === 'ResourceNotFoundException'
  );
}

/**
 * Many tenants of one provider, each with its own token, secret and key: one SharedToken per
 * tenant, made on first use and kept for the container's life (bounded). The tenant is part
 * of the tokenType (`salesforce#tenant-42`), so each tenant has its own item, lock and
 * generation; its secret must name it (`"tenant": "tenant-42"`), so a service holding tenant
 * A's secret fails before it touches tenant B's item (see checkSecretTenant).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createPowertoolsLogger, createPowertoolsMetrics } from './powertools-telemetry.js';
import type { CipherFactory } from './secret-binding.js';
import { type SecretSource, SecretsManagerSource } from './secret-source.js';
import {
  defaultStore,
  SHARED_TOKEN_OPTION_NAMES,
  SharedToken,
  type SharedTokenOptions,
} from './shared-token.js';
import { checkTokenTypePart, tenantTokenType } from './token-type.js';

/** Options of {@link TenantTokens}: SharedToken's, with the per-tenant ones as functions of the tenant. */
export interface TenantTokensOptions
  extends Omit<SharedTokenOptions, 'tokenType' | 'secretName' | 'cipher' | 'secrets'> {
  /** The provider part of every tenant's tokenType: `salesforce` gives `salesforce#<tenant>`. */
  providerName: string;
  /** The tenant's own secret, e.g. `(tenant) => \`/prod/orders/oauth/salesforce-${tenant}\``. */
  secretName: (tenant: string) => string;
  /**
   * Where a tenant's secret comes from, given its name. @default a SecretsManagerSource for it (5 min
   * cache), all tenants on one Secrets Manager client
   */
  secrets?: (secretName: string) => SecretSource;
  /**
   * The tenant's cipher, e.g. `(tenant) => kmsCipher({ keyId: \`alias/tokens-${tenant}\` })` for a
   * key per tenant. @default a SaltCipher over the tenant's secret's salts
   */
  cipher?: (tenant: string) => CipherFactory;
  /**
   * Tenants kept per container; the least recently used one is dropped beyond it (its next use
   * reads the table again). @default 100
   */
  maxTenants?: number;
}

/**
 * @example
 * const tenants = new TenantTokens({
 *   providerName: 'salesforce',
 *   secretName: (tenant) => `/prod/orders/oauth/salesforce-${tenant}`,
 *   provider: salesforce(),
 * });
 * export const handler = async (event, context) =>
 *   tenants.forTenant(event.tenantId).run((token) => queryAccounts(token.value), {
 *     deadline: Date.now() + context.getRemainingTimeInMillis(),
 *   });
 */
export class TenantTokens {
  readonly providerName: string;
  private readonly options: TenantTokensOptions;
  private readonly shared: Omit<SharedTokenOptions, 'tokenType' | 'secretName' | 'cipher' | 'secrets'>;
  private readonly maxTenants: number;
  /** Insertion order is recency order: a use moves the tenant to the end. */
  private readonly byTenant = new Map<string, SharedToken>();
  private secretsClient: SecretsManagerClient | undefined;

  /** @throws TypeError for a missing or mistyped option; ConfigurationError for a bad providerName. */
  constructor(options: TenantTokensOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('TenantTokens options must be an object');
    const { providerName, secretName, cipher, secrets, maxTenants = 100, ...shared } = options;
    if ('tokenType' in shared) {
      throw new TypeError('TenantTokens takes "providerName"; each tenant\'s tokenType is made from it');
    }
    for (const key of Object.keys(shared)) {
      if (!SHARED_TOKEN_OPTION_NAMES.has(key)) throw new TypeError(`Unknown TenantTokens option "${key}"`);
    }
    checkTokenTypePart('provider', providerName);
    if (typeof secretName !== 'function') {
      throw new TypeError('TenantTokens option "secretName" must be a function of the tenant');
    }
    for (const [key, value] of Object.entries({ cipher, secrets })) {
      if (value !== undefined && typeof value !== 'function') {
        throw new TypeError(`TenantTokens option "${key}" must be a function`);
      }
    }
    if (!Number.isInteger(maxTenants) || maxTenants < 1) {
      throw new TypeError(
        `TenantTokens option "maxTenants" must be a whole number of at least 1 (got ${maxTenants})`,
      );
    }
    this.providerName = providerName;
    this.options = options;
    this.maxTenants = maxTenants;
    // One table client, one logger and one metrics buffer for every tenant (the tokenType
    // dimension tells them apart): a tenant costs a SharedToken, not a connection pool.
    this.shared = {
      ...shared,
      store: shared.store ?? defaultStore(),
      logger: shared.logger ?? createPowertoolsLogger(),
      metrics: shared.metrics ?? createPowertoolsMetrics(),
    };
  }

  /**
   * The tenant's SharedToken (made on first use; no I/O until a token is asked for).
   * @throws ConfigurationError when the tenant id is empty, longer than 128 characters or holds
   * a character outside letters, digits and `- _ . : / @ +`.
   */
  forTenant(tenant: string): SharedToken {
    const known = this.byTenant.get(tenant);
    if (known) {
      this.byTenant.delete(tenant);
      this.byTenant.set(tenant, known);
      return known;
    }
    const tokenType = tenantTokenType(this.providerName, tenant);
    const secretName = this.options.secretName(tenant);
    const token = new SharedToken({
      ...this.shared,
      tokenType,
      secretName,
      secrets: this.options.secrets?.(secretName) ?? this.secretsManagerSource(secretName),
      ...(this.options.cipher && { cipher: this.options.cipher(tenant) }),
    });
    this.byTenant.set(tenant, token);
    if (this.byTenant.size > this.maxTenants) {
      const oldest = this.byTenant.keys().next().value as string;
      this.byTenant.delete(oldest);
    }
    return token;
  }

  /** One Secrets Manager client for every tenant's secret, made on the first tenant. */
  private secretsManagerSource(secretName: string): SecretSource {
    this.secretsClient ??= new SecretsManagerClient({});
    return new SecretsManagerSource({ secretName, client: this.secretsClient });
  }

  /** Tenants held now, least recently used first. */
  tenants(): string[] {
    return [...this.byTenant.keys()];
  }

  /** Publishes the buffered metrics of every tenant (one shared buffer). */
  flushMetrics(options?: { force?: boolean }): void {
    this.byTenant.values().next().value?.flushMetrics(options);
  }
}

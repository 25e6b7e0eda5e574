/**
 * Many tenants of one provider, each with its own token, secret and key: one SharedToken per
 * tenant, made on first use and kept for the container's life (bounded). The tenant is part
 * of the tokenType (`salesforce#tenant-42`), so each tenant has its own item, lock and
 * generation; its secret must name it (`"tenant": "tenant-42"`), so a service holding tenant
 * A's secret fails before it touches tenant B's item (see checkSecretTenant).
 *
 * Tenant ids usually come from the request, so the caller chooses them: a tenant is kept only
 * once its secret proved it (layer/tenants/tenant-proof.ts), and one whose secret does not exist is
 * refused without a call for a while (layer/tenants/tenant-cache.ts).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { withCallTimeouts } from '../aws/aws-client-config.js';
import {
  aDuration,
  aFunction,
  anyValue,
  aWholeNumber,
  type OptionRules,
  omitOptions,
  required,
  validateOptions,
} from '../options/option-rules.js';
import type { CipherFactory } from '../secret/secret-binding.js';
import { refuseExpiryWithOwnSource } from '../secret/secret-cache-expiry.js';
import { type SecretSource, SecretsManagerSource } from '../secret/secret-source.js';
import { SHARED_TOKEN_OPTIONS, SharedToken, type SharedTokenOptions, storeFrom } from '../shared-token.js';
import { createPowertoolsLogger } from '../telemetry/powertools-logger.js';
import { createPowertoolsMetrics } from '../telemetry/powertools-metrics.js';
import { systemClock } from '../time/clock.js';
import { checkTokenTypePart, tenantTokenType } from '../token-type.js';
import { TenantCache } from './tenant-cache.js';
import { watchedSecretSource } from './tenant-proof.js';

/** Options of {@link TenantTokens}: SharedToken's, with the per-tenant ones as functions of the tenant. */
export interface TenantTokensOptions
  extends Omit<SharedTokenOptions, 'tokenType' | 'secretName' | 'cipher' | 'secrets'> {
  /** The provider part of every tenant's tokenType: `salesforce` gives `salesforce#<tenant>`. */
  providerName: string;
  /** The tenant's own secret, e.g. `(tenant) => \`/prod/orders/oauth/salesforce-${tenant}\``. */
  secretName: (tenant: string) => string;
  /**
   * Where a tenant's secret comes from, given its name. A source of your own reports a missing
   * secret with `secretReadError(name, sdkError)`, so the tenant is remembered as unknown.
   * Not together with `secretCacheExpiry`.
   * @default a SecretsManagerSource for it (`secretCacheExpiry`), all tenants on one Secrets Manager client
   */
  secrets?: (secretName: string) => SecretSource;
  /**
   * The tenant's cipher, e.g. `(tenant) => kmsCipher({ keyId: \`alias/tokens-${tenant}\` })` for a
   * key per tenant. @default a SaltCipher over the tenant's secret's keys
   */
  cipher?: (tenant: string) => CipherFactory;
  /**
   * Tenants kept per container, among those whose secret was read and names them; the least
   * recently used one is dropped beyond it (its next use reads the table again). Tenants not
   * proven yet are held apart, at most as many again, so they never push a proven one out.
   * @default 100
   */
  maxTenants?: number;
  /**
   * How long, in MILLISECONDS, a tenant whose secret does not exist (Secrets Manager's
   * ResourceNotFoundException) or names another tenant is refused at once, with the same
   * SecretError, before its secret is read again. Only these two answers are remembered: a
   * throttled or failed read is asked again on the next request. `0` remembers nothing.
   * @default 60_000 (1 minute: a tenant set up meanwhile waits at most that long)
   */
  unknownTenantTtlMs?: number;
  /**
   * Refused tenants remembered per container; the oldest is forgotten beyond it (a flood of
   * made-up ids costs bounded memory, and one secret read per id at most).
   * @default 1000
   */
  maxUnknownTenants?: number;
}

const DEFAULT_UNKNOWN_TENANT_TTL_MS = 60_000;

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
  private readonly cache: TenantCache<SharedToken>;
  private secretsClient: SecretsManagerClient | undefined;
  private readonly secretCacheExpiry: number | undefined;

  /** @throws ConfigurationError for a missing, unknown or mistyped option, or a bad providerName. */
  constructor(options: TenantTokensOptions) {
    validateOptions('TenantTokens', options, TENANT_TOKENS_OPTIONS, (key) =>
      key === 'tokenType' ? ' (each tenant\'s tokenType is made from "providerName")' : '',
    );
    const {
      providerName,
      secretName,
      cipher,
      secrets,
      secretCacheExpiry,
      maxTenants = 100,
      unknownTenantTtlMs = DEFAULT_UNKNOWN_TENANT_TTL_MS,
      maxUnknownTenants = 1000,
      tableName,
      dynamoDBClient,
      ...shared
    } = options;
    checkTokenTypePart('provider', providerName);
    refuseExpiryWithOwnSource('TenantTokens', { secrets, secretCacheExpiry });
    this.secretCacheExpiry = secretCacheExpiry;
    this.providerName = providerName;
    this.options = options;
    // One table client, one logger and one metrics buffer for every tenant (the tokenType
    // dimension tells them apart): a tenant costs a SharedToken, not a connection pool.
    this.shared = {
      ...shared,
      store: storeFrom({ store: shared.store, tableName, dynamoDBClient }, 'TenantTokens'),
      logger: shared.logger ?? createPowertoolsLogger(),
      metrics: shared.metrics ?? createPowertoolsMetrics(),
    };
    this.cache = new TenantCache(
      {
        maxKnown: maxTenants,
        maxProbing: maxTenants,
        maxUnknown: maxUnknownTenants,
        unknownTtlMs: unknownTenantTtlMs,
      },
      shared.clock ?? systemClock,
    );
  }

  /**
   * The tenant's SharedToken (made on first use; no I/O until a token is asked for).
   * @throws ConfigurationError when the tenant id is empty, longer than 128 characters or holds
   * a character outside letters, digits and `- _ . : / @ +`: it reaches no secret name.
   * @throws SecretError, without any I/O, when the tenant's secret was found missing or naming
   * another tenant less than `unknownTenantTtlMs` ago (the error its token gave then, and when
   * Secrets Manager is asked again).
   */
  forTenant(tenant: string): SharedToken {
    const held = this.cache.get(tenant);
    if (held !== undefined) return held;
    const tokenType = tenantTokenType(this.providerName, tenant);
    const refused = this.cache.refusal(tenant);
    if (refused !== undefined) throw refused;
    const secretName = this.options.secretName(tenant);
    const source = this.options.secrets?.(secretName) ?? this.secretsManagerSource(secretName);
    const token: SharedToken = new SharedToken({
      ...this.shared,
      tokenType,
      secretName,
      secrets: watchedSecretSource(
        source,
        { tokenType, secretName },
        {
          refusal: () => this.cache.refusal(tenant),
          proven: () => this.cache.prove(tenant, token),
          refuted: (error) => this.cache.refuse(tenant, error),
        },
      ),
      ...(this.options.cipher && { cipher: this.options.cipher(tenant) }),
    });
    this.cache.probe(tenant, token);
    return token;
  }

  /** One Secrets Manager client for every tenant's secret, made on the first tenant. */
  private secretsManagerSource(secretName: string): SecretSource {
    this.secretsClient ??= new SecretsManagerClient(withCallTimeouts({}));
    return new SecretsManagerSource({
      secretName,
      client: this.secretsClient,
      clock: this.shared.clock,
      ...(this.secretCacheExpiry !== undefined && { cacheExpiryMs: this.secretCacheExpiry }),
    });
  }

  /** Tenants held now, whose secret proved them, least recently used first. */
  tenants(): string[] {
    return this.cache.knownTenants();
  }

  /** Publishes the buffered metrics of every tenant (one shared buffer). */
  flushMetrics(options?: { force?: boolean }): void {
    (this.shared.metrics as { flush?(options?: { force?: boolean }): void }).flush?.(options);
  }
}

/** Every option TenantTokens accepts: SharedToken's, with the tenant's parts made per tenant. */
const TENANT_TOKENS_OPTIONS: OptionRules = {
  ...omitOptions(SHARED_TOKEN_OPTIONS, 'tokenType'),
  // Checked by checkTokenTypePart, whose message states the rule.
  providerName: required(anyValue),
  secretName: required({
    problem: (value) => (typeof value === 'function' ? undefined : 'must be a function of the tenant'),
  }),
  cipher: aFunction,
  secrets: aFunction,
  maxTenants: aWholeNumber(1),
  // 60 meant as seconds would ask Secrets Manager about a made-up tenant again 16 times a second.
  unknownTenantTtlMs: aDuration({ notSeconds: { zero: 'use 0 to remember nothing' } }),
  maxUnknownTenants: aWholeNumber(1),
};

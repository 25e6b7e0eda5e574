/**
 * The tenants one TenantTokens container holds, in three bounded areas, so tenant ids chosen by
 * a caller can neither push real tenants out nor cost a Secrets Manager call per request:
 *
 * - known: tenants that proved they exist (their secret was read and names them). Only they
 *   enter, so only they push each other out: least recently used first, beyond `maxKnown`.
 * - probing: tenants asked for but not proven yet (first read under way, or failed for a reason
 *   that proves nothing, such as throttling). A flood of made-up ids churns this area only,
 *   oldest first beyond `maxProbing`.
 * - unknown: tenants whose secret does not exist, or names another tenant. Refused without any
 *   call for `unknownTtlMs`, then asked about again (the tenant may have been set up since);
 *   oldest forgotten first beyond `maxUnknown`, so a flood costs bounded memory.
 *
 * @internal
 */

import { SecretError } from '../errors/error-classes.js';
import type { Clock } from '../time/clock.js';

export interface TenantCacheLimits {
  maxKnown: number;
  maxProbing: number;
  maxUnknown: number;
  /** How long a tenant stays refused, in milliseconds; 0 remembers nothing. */
  unknownTtlMs: number;
}

interface Refusal {
  readonly error: SecretError;
  /** Epoch ms from which the tenant is asked about again. */
  readonly until: number;
}

export class TenantCache<T> {
  /** Insertion order is recency order: a use moves the tenant to the end. */
  private readonly known = new Map<string, T>();
  /** Insertion order is age order. */
  private readonly probing = new Map<string, T>();
  /** Insertion order is `until` order (one TTL for all): expired entries sit at the front. */
  private readonly unknown = new Map<string, Refusal>();

  constructor(
    private readonly limits: TenantCacheLimits,
    private readonly clock: Clock,
  ) {}

  /** The tenant's entry, known (now the most recent) or probing; `undefined` for a new tenant. */
  get(tenant: string): T | undefined {
    const known = this.known.get(tenant);
    if (known !== undefined) {
      this.known.delete(tenant);
      this.known.set(tenant, known);
      return known;
    }
    return this.probing.get(tenant);
  }

  /** Holds a new tenant's entry until its secret proves or refutes it. */
  probe(tenant: string, entry: T): void {
    this.probing.set(tenant, entry);
    dropOldest(this.probing, this.limits.maxProbing);
  }

  /** The tenant's secret was read and names it: it joins the known tenants. */
  prove(tenant: string, entry: T): void {
    this.probing.delete(tenant);
    this.unknown.delete(tenant);
    // A second entry of the same tenant (its first was dropped from probing meanwhile) keeps the first.
    if (this.known.has(tenant)) return;
    this.known.set(tenant, entry);
    dropOldest(this.known, this.limits.maxKnown);
  }

  /**
   * The tenant's secret does not exist or names another tenant: forget its entry (a known tenant
   * whose secret was deleted too) and refuse it for `unknownTtlMs`.
   */
  refuse(tenant: string, error: SecretError): void {
    this.known.delete(tenant);
    this.probing.delete(tenant);
    this.unknown.delete(tenant);
    if (this.limits.unknownTtlMs === 0) return;
    const now = this.clock.now();
    for (const [oldest, refusal] of this.unknown) {
      if (refusal.until > now) break;
      this.unknown.delete(oldest);
    }
    this.unknown.set(tenant, { error, until: now + this.limits.unknownTtlMs });
    dropOldest(this.unknown, this.limits.maxUnknown);
  }

  /**
   * A fresh copy of the error that refused the tenant, while the refusal lasts: same class,
   * secret, field and cause, and a message that says when Secrets Manager is asked again.
   */
  refusal(tenant: string): SecretError | undefined {
    const refusal = this.unknown.get(tenant);
    if (refusal === undefined) return undefined;
    if (this.clock.now() >= refusal.until) {
      this.unknown.delete(tenant);
      return undefined;
    }
    const { error, until } = refusal;
    return new SecretError(
      `${error.message}; remembered as unknown: Secrets Manager is not asked again for it before ${new Date(until).toISOString()} (unknownTenantTtlMs)`,
      error.secretName,
      { field: error.field, ...(error.cause !== undefined && { cause: error.cause }) },
    );
  }

  /** Known tenants, least recently used first. */
  knownTenants(): string[] {
    return [...this.known.keys()];
  }
}

function dropOldest(map: Map<string, unknown>, max: number): void {
  for (const oldest of map.keys()) {
    if (map.size <= max) return;
    map.delete(oldest);
  }
}

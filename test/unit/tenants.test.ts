/**
 * Tenants in one process: tokenType parts, the secret's tenant check, and TenantTokens'
 * per-tenant SharedTokens. Cross-tenant reads against real servers: test/integration/tenants.test.ts;
 * tenant ids chosen by the caller: test/unit/unknown-tenants.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { TenantTokensOptions } from 'lambda-shared-token';
import { ConfigurationError, SecretError } from 'lambda-shared-token';
import { checkSecretTenant, parseTokenType, tenantTokenType } from 'lambda-shared-token/advanced';
import { SALT_B, secretNameOf, tenantWorld } from './tenants-harness.js';

describe('tokenType parts', () => {
  it.each([
    ['salesforce', { provider: 'salesforce' }],
    ['salesforce#tenant-42', { provider: 'salesforce', tenant: 'tenant-42' }],
    ['salesforce#eu#7', { provider: 'salesforce', tenant: 'eu#7' }],
    // Not a tenant: nothing on one side of the separator (a tokenType from before tenants).
    ['#tenant', { provider: '#tenant' }],
    ['salesforce#', { provider: 'salesforce#' }],
  ])('reads %j as %j', (tokenType, parts) => {
    expect(parseTokenType(tokenType)).toEqual(parts);
  });

  it('builds provider#tenant and reads it back', () => {
    const tokenType = tenantTokenType('salesforce', 'acme.eu-1');
    expect(tokenType).toBe('salesforce#acme.eu-1');
    expect(parseTokenType(tokenType)).toEqual({ provider: 'salesforce', tenant: 'acme.eu-1' });
  });

  it.each([
    ['salesforce', '', 'tenant'],
    ['salesforce', 'a#b', 'tenant'],
    ['salesforce', 'with space', 'tenant'],
    ['salesforce', 'x'.repeat(129), 'tenant'],
    ['sales#force', 'tenant-1', 'provider'],
    ['', 'tenant-1', 'provider'],
  ])('refuses provider %j with tenant %j, naming the %s', (provider, tenant, part) => {
    expect(() => tenantTokenType(provider, tenant)).toThrow(ConfigurationError);
    expect(() => tenantTokenType(provider, tenant)).toThrow(`the ${part} of a tenant tokenType`);
  });
});

describe("the secret's tenant", () => {
  it('accepts the secret of the same tenant, and a provider-wide secret for a provider-wide tokenType', () => {
    expect(() => checkSecretTenant('salesforce#a', '/prod/s/oauth/a', 'a')).not.toThrow();
    expect(() => checkSecretTenant('salesforce', '/prod/s/oauth/sf', undefined)).not.toThrow();
  });

  it.each([
    [
      'salesforce#b',
      'a',
      'secret "/prod/s/oauth/x" is tenant "a"\'s, but tokenType "salesforce#b" is tenant "b"',
    ],
    [
      'salesforce#b',
      undefined,
      'secret "/prod/s/oauth/x" names no tenant, but tokenType "salesforce#b" is tenant "b"',
    ],
    [
      'salesforce',
      'a',
      'secret "/prod/s/oauth/x" is tenant "a"\'s, but tokenType "salesforce" is a provider-wide tokenType',
    ],
  ])('refuses tokenType %j with a secret of tenant %j', (tokenType, secretTenant, message) => {
    let error: unknown;
    try {
      checkSecretTenant(tokenType, '/prod/s/oauth/x', secretTenant);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).message).toContain(message);
    expect((error as SecretError).field).toBe('tenant');
  });
});

describe('TenantTokens', () => {
  it("gives each tenant its own tokenType, secret and token, with that tenant's credentials", async () => {
    const { tenants, issued, secretsManager } = tenantWorld();

    const a = await tenants.forTenant('a').getToken();
    const b = await tenants.forTenant('b').getToken();

    expect(tenants.forTenant('a').tokenType).toBe('salesforce#a');
    expect([a.tokenType, b.tokenType]).toEqual(['salesforce#a', 'salesforce#b']);
    expect([a.value, b.value]).toEqual(['token-for-client-a-1', 'token-for-client-b-2']);
    expect(issued).toHaveLength(2);
    expect(secretsManager.reads).toEqual([secretNameOf('a'), secretNameOf('b')]);
  });

  it('keeps one SharedToken per proven tenant and drops the least recently used beyond maxTenants', async () => {
    const { tenants, secretsManager } = tenantWorld({ maxTenants: 2 });
    secretsManager.put('x', { tenant: 'x', clientId: 'client-x', salt: SALT_B });
    const a = tenants.forTenant('a');
    await a.getToken();
    await tenants.forTenant('b').getToken();
    expect(tenants.forTenant('a')).toBe(a); // a is now the most recent
    await tenants.forTenant('x').getToken();

    expect(tenants.tenants()).toEqual(['a', 'x']);
    expect(tenants.forTenant('a')).toBe(a);
  });

  it("fails before any table or provider call when a tenant's secret names another tenant", async () => {
    // Tenant c's secret is misconfigured: it is tenant a's.
    const { tenants, store, issued } = tenantWorld();
    const reads: string[] = [];
    store.beforeOperation = (event) => {
      reads.push(event.op);
    };

    await expect(tenants.forTenant('c').getToken()).rejects.toThrow(
      'secret "/test/tenants/oauth/c" is tenant "a"\'s, but tokenType "salesforce#c" is tenant "c"',
    );
    expect(reads).toEqual([]);
    expect(issued).toEqual([]);
  });

  it.each([
    [{ tokenType: 'salesforce' }, 'tokenType is made from "providerName"'],
    [{ providerName: 'sales#force' }, 'the provider of a tenant tokenType'],
    [{ secretName: '/test/tenants/oauth/a' }, 'option "secretName" must be a function of the tenant'],
    [{ cipher: 'kms' }, 'TenantTokens option "cipher" must be a function'],
    [{ maxTenants: 0 }, 'option "maxTenants" must be a whole number of at least 1'],
    [{ tenantId: 'a' }, 'Unknown TenantTokens option "tenantId"'],
  ])('refuses %j at construction', (overrides, message) => {
    expect(() => tenantWorld(overrides as Partial<TenantTokensOptions>)).toThrow(message);
  });

  it('refuses a malformed tenant id, naming the part', () => {
    const { tenants, secretsManager } = tenantWorld();
    expect(() => tenants.forTenant('a#b')).toThrow('the tenant of a tenant tokenType');
    expect(secretsManager.reads).toEqual([]);
  });
});

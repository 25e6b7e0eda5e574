/**
 * Tenant ids chosen by the caller: a made-up id costs at most one
 * GetSecretValue per unknownTenantTtlMs, is then refused without I/O, and never pushes a known
 * tenant out of the container. Against the real local Secrets Manager:
 * test/integration/unknown-tenants.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { TenantTokensOptions } from 'lambda-shared-token';
import { ConfigurationError, SecretError } from 'lambda-shared-token';
import { thrownBy } from '../support/rejection-of.js';
import { outcomeOf, SALT_A, secretNameOf, tenantWorld, throttled } from './tenants-harness.js';

const ghosts = (count: number): string[] => Array.from({ length: count }, () => `ghost-${randomUUID()}`);

/** Runs `work` over `items`, `width` at a time, as concurrent requests of one container would. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

describe('Tenant ids chosen by the caller', () => {
  it('a flood of 10,000 made-up tenant ids costs one secret read each and leaves the known tenants cached', async () => {
    const { tenants, secretsManager } = tenantWorld();
    const tokenA = await tenants.forTenant('a').getToken();
    const tokenB = await tenants.forTenant('b').getToken();
    const flood = ghosts(10_000);
    secretsManager.reads.length = 0;

    const outcomes: string[] = [];
    await inBatches(flood, 100, async (ghost) => outcomes.push(await outcomeOf(tenants, ghost)));

    expect(new Set(outcomes)).toEqual(new Set(['SecretError']));
    expect(secretsManager.reads).toHaveLength(10_000);
    expect(new Set(secretsManager.reads).size).toBe(10_000);
    expect(tenants.tenants()).toEqual(['a', 'b']);
    secretsManager.reads.length = 0;
    expect((await tenants.forTenant('a').getToken()).value).toBe(tokenA.value);
    expect((await tenants.forTenant('b').getToken()).value).toBe(tokenB.value);
    expect(secretsManager.reads).toEqual([]);
  });

  it('a made-up tenant id asked again within unknownTenantTtlMs fails at once with the same SecretError, reading nothing', async () => {
    const { tenants, secretsManager, time } = tenantWorld();
    const first = (await tenants
      .forTenant('ghost')
      .getToken()
      .catch((error: unknown) => error)) as SecretError;
    expect(first).toBeInstanceOf(SecretError);
    expect(secretsManager.readsOf('ghost')).toBe(1);

    time.advance(59_999);
    const again = thrownBy(() => tenants.forTenant('ghost'));

    expect(again).toBeInstanceOf(SecretError);
    expect(again.message).toContain(first.message);
    expect((again as SecretError).secretName).toBe(secretNameOf('ghost'));
    expect((again.cause as Error).name).toBe('ResourceNotFoundException');
    expect(secretsManager.readsOf('ghost')).toBe(1);
  });

  it('a SharedToken of a made-up tenant that a caller kept fails at once too, reading nothing', async () => {
    const { tenants, secretsManager } = tenantWorld();
    const kept = tenants.forTenant('ghost');
    await expect(kept.getToken()).rejects.toThrow(SecretError);

    await expect(kept.getToken()).rejects.toThrow(SecretError);
    await expect(kept.refreshRejected(1)).rejects.toThrow(SecretError);

    expect(secretsManager.readsOf('ghost')).toBe(1);
  });

  it('says when Secrets Manager is asked again, and echoes no value of the secret', async () => {
    const { tenants, time } = tenantWorld();
    await expect(tenants.forTenant('c').getToken()).rejects.toThrow(SecretError);

    const again = thrownBy(() => tenants.forTenant('c'));

    const askedAgainAt = new Date(time.now() + 60_000).toISOString();
    expect(again.message).toBe(
      `secret "${secretNameOf('c')}" is tenant "a"'s, but tokenType "salesforce#c" is tenant "c": give each tenant its own secret with its "tenant" field; ` +
        `remembered as unknown: Secrets Manager is not asked again for it before ${askedAgainAt} (unknownTenantTtlMs)`,
    );
    expect((again as SecretError).field).toBe('tenant');
    expect(again.message).not.toContain(SALT_A);
  });

  it('reads the secret again once unknownTenantTtlMs has passed, and serves a tenant whose secret appeared meanwhile', async () => {
    const { tenants, secretsManager, time } = tenantWorld();
    await expect(tenants.forTenant('late').getToken()).rejects.toThrow(SecretError);
    secretsManager.put('late', { tenant: 'late', clientId: 'client-late', salt: SALT_A });

    time.advance(59_999);
    expect(() => tenants.forTenant('late')).toThrow(SecretError);
    time.advance(1);
    const token = await tenants.forTenant('late').getToken();

    expect(token.tokenType).toBe('salesforce#late');
    expect(secretsManager.readsOf('late')).toBe(2);
    expect(tenants.tenants()).toEqual(['late']);
  });

  it('does not remember a throttled read: the next request reads again and gets its token', async () => {
    const { tenants, secretsManager } = tenantWorld();
    secretsManager.failNext.push(throttled());
    await expect(tenants.forTenant('a').getToken()).rejects.toThrow('ThrottlingException');

    const token = await tenants.forTenant('a').getToken();

    expect(token.tokenType).toBe('salesforce#a');
    expect(secretsManager.readsOf('a')).toBe(2);
  });

  it('does not remember a made-up id whose read was throttled: the next request asks again', async () => {
    const { tenants, secretsManager } = tenantWorld();
    secretsManager.failNext.push(throttled());
    expect(await outcomeOf(tenants, 'ghost')).toBe('SecretError');

    expect(await outcomeOf(tenants, 'ghost')).toBe('SecretError');

    expect(secretsManager.readsOf('ghost')).toBe(2);
    expect(() => tenants.forTenant('ghost')).toThrow('does not exist');
  });

  it('remembers a tenant whose secret names another tenant as unknown, and never lets it in', async () => {
    const { tenants, secretsManager, store } = tenantWorld();
    const tableCalls: string[] = [];
    store.beforeOperation = (event) => {
      tableCalls.push(event.op);
    };
    await expect(tenants.forTenant('c').getToken()).rejects.toThrow('is tenant "a"\'s');

    expect(() => tenants.forTenant('c')).toThrow('is tenant "a"\'s');
    expect(secretsManager.readsOf('c')).toBe(1);
    expect(tenants.tenants()).toEqual([]);
    expect(tableCalls).toEqual([]);
  });

  it('remembers at most 1,000 made-up ids (maxUnknownTenants): after 10,000, the newest 1,000 read nothing and the one before is read again', async () => {
    const { tenants, secretsManager } = tenantWorld();
    const flood = ghosts(10_000);
    await inBatches(flood, 100, (ghost) => outcomeOf(tenants, ghost));
    secretsManager.reads.length = 0;

    const newest = flood.slice(-1_000);
    const refused = newest.filter((ghost) => thrownBy(() => tenants.forTenant(ghost)) instanceof SecretError);
    expect(refused).toHaveLength(1_000);
    expect(secretsManager.reads).toEqual([]);

    const forgotten = flood[flood.length - 1_001]!;
    expect(await outcomeOf(tenants, forgotten)).toBe('SecretError');
    expect(secretsManager.reads).toEqual([secretNameOf(forgotten)]);
  });

  it('holds tenants not yet proven in their own area of maxTenants: they never push a known tenant out', async () => {
    const { tenants } = tenantWorld({ maxTenants: 2 });
    const a = tenants.forTenant('a');
    await a.getToken();
    const b = tenants.forTenant('b');
    await b.getToken();

    // Asked for, never used: nothing has proven them.
    const x = tenants.forTenant('x');
    tenants.forTenant('y');
    const z = tenants.forTenant('z');

    expect(tenants.tenants()).toEqual(['a', 'b']);
    expect(tenants.forTenant('a')).toBe(a);
    expect(tenants.forTenant('b')).toBe(b);
    expect(tenants.forTenant('z')).toBe(z);
    expect(tenants.forTenant('x')).not.toBe(x);
  });

  it('concurrent first requests of a new tenant share one secret read and one token', async () => {
    const { tenants, secretsManager, issued } = tenantWorld();

    const tokens = await Promise.all(Array.from({ length: 20 }, () => tenants.forTenant('a').getToken()));

    expect(new Set(tokens.map((token) => token.value)).size).toBe(1);
    expect(secretsManager.readsOf('a')).toBe(1);
    expect(issued).toHaveLength(1);
  });

  it('concurrent requests of a made-up tenant share one read and all fail with the SecretError', async () => {
    const { tenants, secretsManager } = tenantWorld();

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => outcomeOf(tenants, 'ghost')));

    expect(new Set(outcomes)).toEqual(new Set(['SecretError']));
    expect(secretsManager.readsOf('ghost')).toBe(1);
  });

  it('drops a known tenant whose secret was deleted, and refuses it like a made-up one', async () => {
    const { tenants, secretsManager, time } = tenantWorld();
    await tenants.forTenant('a').getToken();
    await tenants.forTenant('b').getToken();
    secretsManager.secrets.delete(secretNameOf('a'));
    time.advance(300_000); // the secret's cache expires (SecretsManagerSource, 5 min)

    await expect(tenants.forTenant('a').getToken()).rejects.toThrow('does not exist');

    expect(tenants.tenants()).toEqual(['b']);
    expect(() => tenants.forTenant('a')).toThrow('does not exist');
    expect(secretsManager.readsOf('a')).toBe(2);
  });

  it.each(['a#b', 'with space', 'x'.repeat(129), '', 'ünïcode', 'a\nb'])(
    'never sends the malformed tenant id %j to Secrets Manager',
    (tenant) => {
      const { tenants, secretsManager } = tenantWorld();
      expect(() => tenants.forTenant(tenant)).toThrow(ConfigurationError);
      expect(secretsManager.reads).toEqual([]);
    },
  );

  it.each([
    [{ unknownTenantTtlMs: -1 }, 'option "unknownTenantTtlMs" must be milliseconds >= 0'],
    [{ unknownTenantTtlMs: Number.NaN }, 'option "unknownTenantTtlMs" must be milliseconds >= 0'],
    [
      { unknownTenantTtlMs: Number.POSITIVE_INFINITY },
      'option "unknownTenantTtlMs" must be milliseconds >= 0',
    ],
    [{ unknownTenantTtlMs: 60 }, 'option "unknownTenantTtlMs" is in milliseconds; 60 looks like seconds'],
    [{ unknownTenantTtlMs: '60000' }, 'option "unknownTenantTtlMs" must be milliseconds >= 0'],
    [{ maxUnknownTenants: 0 }, 'option "maxUnknownTenants" must be a whole number of at least 1'],
    [{ maxUnknownTenants: 1.5 }, 'option "maxUnknownTenants" must be a whole number of at least 1'],
  ])('refuses %j at construction, naming the option', (overrides, message) => {
    expect(() => tenantWorld(overrides as Partial<TenantTokensOptions>)).toThrow(message);
  });

  it('unknownTenantTtlMs: 0 remembers nothing: every request of a made-up id reads again', async () => {
    const { tenants, secretsManager } = tenantWorld({
      unknownTenantTtlMs: 0,
    } as Partial<TenantTokensOptions>);

    expect(await outcomeOf(tenants, 'ghost')).toBe('SecretError');
    expect(await outcomeOf(tenants, 'ghost')).toBe('SecretError');

    expect(secretsManager.readsOf('ghost')).toBe(2);
  });
});

/**
 * The audit trail: exactly one line per refresh, take-over, rejection and decrypt failure,
 * each with the same fields (audit, tokenType, tenant, version, lockOwner, outcome) and
 * nothing secret. The Logs Insights queries in docs/telemetry.md filter on these fields.
 */
import { describe, expect, it } from '@jest/globals';
import { TokenRefreshError } from 'lambda-shared-token';
import type { LogAttributes } from 'lambda-shared-token/advanced';
import { auditFields } from '../../layer/telemetry/audit.js';
import { HOUR_MS, type LogCall, SALT, START, TOKEN_TYPE, World } from './token-manager-harness.js';

const AUDIT_KEYS = new Set(['audit', 'tokenType', 'tenant', 'version', 'lockOwner', 'outcome']);

/** The audit fields of each audited line, in order (other fields of the line left out). */
function auditLines(calls: LogCall[]): LogAttributes[] {
  return calls
    .filter((call) => call.attributes?.audit !== undefined)
    .map((call) =>
      Object.fromEntries(Object.entries(call.attributes!).filter(([key]) => AUDIT_KEYS.has(key))),
    );
}

function expectNothingSecret(calls: LogCall[], world: World): void {
  const text = JSON.stringify(calls);
  expect(text).not.toContain(SALT);
  expect(text).not.toContain('access-token-secret');
  expect(text).not.toContain('refresh-token-secret');
  const item = world.store.get(TOKEN_TYPE);
  if (item?.accessToken) expect(text).not.toContain(item.accessToken);
}

describe('audit lines', () => {
  it('logs one refresh line, committed, with the new version and the lease owner', async () => {
    const world = new World();
    const { manager, logger } = world.container();

    await world.time.run(manager.getToken());

    const lines = auditLines(logger.calls);
    expect(lines).toEqual([
      {
        audit: 'refresh',
        tokenType: TOKEN_TYPE,
        version: 1,
        lockOwner: expect.any(String),
        outcome: 'committed',
      },
    ]);
    expectNothingSecret(logger.calls, world);
  });

  it('names the tenant of a tenant tokenType', async () => {
    const world = new World();
    const { manager, logger } = world.container({ tokenType: 'salesforce#tenant-42' });

    await world.time.run(manager.getToken());

    expect(auditLines(logger.calls)).toEqual([
      expect.objectContaining({ audit: 'refresh', tokenType: 'salesforce#tenant-42', tenant: 'tenant-42' }),
    ]);
  });

  it('logs one refresh line, failed, when the provider fails', async () => {
    const world = new World();
    const { manager, logger } = world.container();
    world.provider.failNext(new TokenRefreshError('provider down', TOKEN_TYPE, { status: 503 }));

    await expect(world.time.run(manager.getToken())).rejects.toThrow(TokenRefreshError);

    expect(auditLines(logger.calls)).toEqual([
      {
        audit: 'refresh',
        tokenType: TOKEN_TYPE,
        version: 0,
        lockOwner: expect.any(String),
        outcome: 'failed',
      },
    ]);
  });

  it('logs a rejection (refreshing), then the refresh it caused; a container already past it says so', async () => {
    const world = new World();
    const first = world.container();
    const second = world.container();
    const token = await world.time.run(first.manager.getToken());
    await world.time.run(second.manager.getToken());

    await world.time.run(first.manager.refreshRejected(token));
    // The second container got the new token through a read, then hears of the old rejection
    // (after the bound on rejection-driven refreshes: version 2 replaced a rejected token).
    world.time.advance(10_000);
    await world.time.run(second.manager.refreshRejected(2));
    await world.time.run(second.manager.refreshRejected(1));

    expect(auditLines(first.logger.calls).slice(1)).toEqual([
      { audit: 'rejection', tokenType: TOKEN_TYPE, version: 1, outcome: 'refreshing' },
      {
        audit: 'refresh',
        tokenType: TOKEN_TYPE,
        version: 2,
        lockOwner: expect.any(String),
        outcome: 'committed',
      },
    ]);
    expect(auditLines(second.logger.calls).at(-1)).toEqual({
      audit: 'rejection',
      tokenType: TOKEN_TYPE,
      version: 1,
      outcome: 'already-newer',
    });
  });

  it('logs one take-over line when a dead holder left its lease to run out', async () => {
    const world = new World();
    await world.seedToken({ value: 'old', expiresAtSeconds: START / 1000 - 60, version: 3 });
    world.store.put({
      ...world.store.get(TOKEN_TYPE)!,
      updating: true,
      lockOwner: 'crashed-container',
      lockExpiresAt: START - 1_000,
    });
    const { manager, logger } = world.container();

    await world.time.run(manager.getToken());

    const lines = auditLines(logger.calls);
    expect(lines.map((line) => [line.audit, line.outcome])).toEqual([
      ['takeover', 'claimed'],
      ['refresh', 'committed'],
    ]);
    expect(lines[0]).toMatchObject({ tokenType: TOKEN_TYPE, version: 3 });
    expect(lines[0]!.lockOwner).toBe(lines[1]!.lockOwner);
  });

  it('logs one decrypt-failure line per generation, then the refresh', async () => {
    const world = new World();
    await world.seedToken({ value: 'sealed', expiresAtSeconds: (START + HOUR_MS) / 1000, version: 5 });
    const item = world.store.get(TOKEN_TYPE)!;
    const tampered = Buffer.from(item.accessToken!, 'base64');
    tampered[tampered.length - 1]! ^= 0x01;
    world.store.put({ ...item, accessToken: tampered.toString('base64') });
    const { manager, logger } = world.container();

    await world.time.run(manager.getToken());

    expect(auditLines(logger.calls)).toEqual([
      { audit: 'decrypt-failure', tokenType: TOKEN_TYPE, version: 5, outcome: 'refreshing' },
      {
        audit: 'refresh',
        tokenType: TOKEN_TYPE,
        version: 6,
        lockOwner: expect.any(String),
        outcome: 'committed',
      },
    ]);
    expectNothingSecret(logger.calls, world);
  });

  it('logs one lease-lost line when the lease was taken over before the commit', async () => {
    const world = new World();
    const { manager, logger } = world.container();
    const held = world.provider.holdNext();
    const pending = world.time.run(manager.getToken());
    await held.started;
    // Somebody else took the lease meanwhile (the holder was frozen past it).
    world.store.put({
      ...world.store.get(TOKEN_TYPE)!,
      lockOwner: 'the-taker',
      lockExpiresAt: START + HOUR_MS,
    });
    held.release();

    await pending.catch(() => undefined);

    expect(auditLines(logger.calls)).toContainEqual({
      audit: 'refresh',
      tokenType: TOKEN_TYPE,
      version: 0,
      lockOwner: expect.any(String),
      outcome: 'lease-lost',
    });
  });

  it('leaves out tenant, version and lockOwner when they are unknown', () => {
    expect(auditFields('rejection', 'salesforce', { outcome: 'refreshing' })).toEqual({
      audit: 'rejection',
      tokenType: 'salesforce',
      outcome: 'refreshing',
    });
  });
});

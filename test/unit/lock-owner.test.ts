/**
 * The lock owner is unique per container whatever `ownerId` says. The store
 * grants a claim whose lease is already in the claim's own owner (an earlier attempt applied,
 * its answer lost); two containers sharing an owner would both be granted the same lease.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { START, TOKEN_TYPE, World } from './token-manager-harness.js';

let world: World;

beforeEach(() => {
  world = new World();
});

describe('lock owners', () => {
  it('gives two containers configured with the same ownerId one provider call for one generation', async () => {
    // An ownerId set per function, not per container: every container's first claim used to be `fn:1`.
    const containers = [world.container({ ownerId: 'fn' }), world.container({ ownerId: 'fn' })];
    world.provider.lifetimeMs = 3_600_000;

    // Both read the empty table, then both claim it: one claim wins, the other fails its condition
    // and finds a lease whose owner looks like its own.
    const tokens = await world.time.run(Promise.all(containers.map(({ manager }) => manager.getToken())));

    expect(world.provider.calls).toBe(1);
    expect(tokens.map((token) => token.version)).toEqual([1, 1]);
    expect(world.store.get(TOKEN_TYPE)?.version).toBe(1);
  });

  it('keeps the configured ownerId as the first part of lockOwner, for the audit trail', async () => {
    const { manager } = world.container({ ownerId: 'orders-fn' });
    const hold = world.provider.holdNext();
    const pending = manager.getToken({ deadline: START + 10_000 });
    await world.time.run(hold.started);

    const owner = world.store.get(TOKEN_TYPE)?.lockOwner;
    hold.release();
    await world.time.run(pending);

    expect(owner).toMatch(/^orders-fn:[0-9a-f]{8}:1$/);
  });
});

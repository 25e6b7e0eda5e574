/**
 * Refresh-ahead on the token lifetimes real providers issue, with the library's DEFAULT timing
 * options (skew 30 s, refresh-ahead 300 s, lease 10 s): three containers take turns, one
 * getToken a second of virtual time, for hours. The window is bounded by the token's own life,
 * so a 5-minute token under the 5-minute default is not refreshed on every call.
 */
import { describe, expect, it } from '@jest/globals';
import { World } from './token-manager-harness.js';

const SECOND_MS = 1_000;
const HOUR_MS = 3_600 * SECOND_MS;

describe.each([60, 120, 300, 900, 3_600, 7_200])('%i-s tokens on default options', (lifetimeSeconds) => {
  it('makes one provider call per generation, and a generation no more often than every half life', async () => {
    const world = new World();
    world.provider.lifetimeMs = lifetimeSeconds * SECOND_MS;
    const containers = [world.container(), world.container(), world.container()];
    const durationMs = Math.max(2 * HOUR_MS, 4 * lifetimeSeconds * SECOND_MS);
    const steps = durationMs / SECOND_MS;
    let stale = 0;

    for (let step = 0; step < steps; step++) {
      const { manager } = containers[step % containers.length]!;
      // As SharedToken does: the synchronous warm path first, the protocol when it has no answer.
      const token = manager.cachedToken() ?? (await world.time.run(manager.getToken()));
      if (token.expiresAt <= world.time.now()) stale++;
      world.time.advance(SECOND_MS);
    }

    const generations = world.store.get('salesforce')?.version ?? 0;
    expect(stale).toBe(0);
    // I1: every provider call committed its own generation.
    expect(world.provider.calls).toBe(generations);
    // Never more than one generation per half life (the bound), nor fewer than one per life.
    const halfLives = durationMs / (lifetimeSeconds * SECOND_MS * 0.5);
    expect(generations).toBeLessThanOrEqual(Math.ceil(halfLives) + 1);
    expect(generations).toBeGreaterThanOrEqual(Math.floor(durationMs / (lifetimeSeconds * SECOND_MS)));
  });
});

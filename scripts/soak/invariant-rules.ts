/**
 * The soak's invariants checked on every sample of a running fleet, not only at the end. Pure, so
 * the rules are unit-tested apart from the runs (test/unit/soak-rules.test.ts).
 *
 * What a sample sees: `issuedBefore` and `issuedAfter`, the provider's count of issued tokens just
 * before and just after a consistent read of the item's `version`; `generations` = version minus the
 * version before the run. Every generation is a token the provider issued and a lease holder
 * committed, so at any moment
 *
 *     issued - generations = wasted + inFlight
 *
 * where `wasted` counts tokens issued and never to be committed (a failed refresh: stale on arrival,
 * commit refused; a lease lost before the commit), which only grows, and `inFlight` counts tokens
 * issued and not yet committed or abandoned. The containers report `wasted` (TokenRefreshFailed,
 * LeaseLost in their Powertools output) only when they end, so a sample cannot compute it; what a
 * sample can check without it:
 *
 * - **R1** `generations <= issuedAfter`: no generation without a token of its own.
 * - **R2** the version never goes down: a holder never overwrites a newer token (I3).
 * - **R3** the gap never shrinks by more than one commit: of the tokens issued before a moment, at most
 *   ONE can still be committed after it (the one of the current lease owner; every other holder's
 *   commit is fenced by `lockOwner`, and a new claim means a new provider call). Wasted tokens never
 *   become committed. So for any earlier sample s and later sample t:
 *   `generations(t) - generations(s) <= 1 + issuedAfter(t) - issuedBefore(s)`, i.e.
 *   `gapHigh(t) >= max over earlier s of gapLow(s) - 1`. Two commits for one claim, or a commit that
 *   reuses a token, break it at once.
 * - **R4** (at the end, once `wasted` is known) every sample's `gapLow <= wasted + 1`: the gap never
 *   held more than the refreshes that failed or lost their lease, plus the one that was in flight. A
 *   provider call that no generation and no reported failure explains breaks it, even when the end
 *   figures happen to balance.
 *
 * The end of the run adds I1 on the totals (`unexplainedProviderCalls` in scripts/simulator/fleet-invariants.ts), where nothing is
 * in flight any more.
 */

/** Of the tokens issued before a moment, this many can still be committed after it: the lease owner's. */
const MAX_COMMITS_IN_FLIGHT = 1;

/** A fleet that completes no invocation for this long is deadlocked: the soak stops it and fails. */
export const STALL_MS = 30_000;

export interface GapSample {
  /** Epoch ms. */
  at: number;
  issuedBefore: number;
  issuedAfter: number;
  /** The item's version minus the version before the run. */
  generations: number;
  /** Invocations done by the whole fleet. */
  done: number;
}

export interface GapState {
  /** Largest `issuedBefore - generations` seen so far (R3's reference, R4's subject). */
  maxGapLow: number;
  lastGenerations: number;
  /** The sample that set `maxGapLow`. */
  maxGapAt: number;
  lastDone: number;
  /** Epoch ms when `done` last moved (or the first sample). */
  progressAt: number;
  samples: number;
}

export function initialGapState(): GapState {
  return {
    maxGapLow: Number.NEGATIVE_INFINITY,
    lastGenerations: 0,
    maxGapAt: 0,
    lastDone: -1,
    progressAt: 0,
    samples: 0,
  };
}

/** The state after `sample`, and why the sample breaks an invariant (R1 to R3), one sentence per rule. */
export function checkSample(state: GapState, sample: GapSample): { state: GapState; violations: string[] } {
  const violations: string[] = [];
  const { generations, issuedBefore, issuedAfter } = sample;
  if (generations > issuedAfter) {
    violations.push(`${generations} generations committed from ${issuedAfter} issued tokens (R1)`);
  }
  if (state.samples > 0 && generations < state.lastGenerations) {
    violations.push(
      `the version went back from +${state.lastGenerations} to +${generations}: a newer token was overwritten (R2, I3)`,
    );
  }
  const gapHigh = issuedAfter - generations;
  if (state.samples > 0 && gapHigh < state.maxGapLow - MAX_COMMITS_IN_FLIGHT) {
    violations.push(
      `issued minus committed fell from ${state.maxGapLow} to ${gapHigh}: more commits than claims could make (R3)`,
    );
  }
  const gapLow = issuedBefore - generations;
  const moved = sample.done !== state.lastDone;
  return {
    state: {
      maxGapLow: Math.max(state.maxGapLow, gapLow),
      maxGapAt: gapLow > state.maxGapLow ? sample.at : state.maxGapAt,
      lastGenerations: Math.max(state.lastGenerations, generations),
      lastDone: sample.done,
      progressAt: moved ? sample.at : state.progressAt,
      samples: state.samples + 1,
    },
    violations,
  };
}

/** R4, once the containers have reported their failed refreshes and lost leases. */
export function checkGapExplained(state: GapState, wasted: number): string | undefined {
  if (state.samples === 0 || state.maxGapLow <= wasted + MAX_COMMITS_IN_FLIGHT) return undefined;
  return `issued minus committed reached ${state.maxGapLow} at ${new Date(state.maxGapAt).toISOString()}, more than the ${wasted} failed or lost refreshes plus ${MAX_COMMITS_IN_FLIGHT} in flight (R4, I1)`;
}

/** Why the fleet counts as deadlocked at `now` (no invocation completed for STALL_MS), or undefined. */
export function stallReason(state: GapState, now: number, total: number): string | undefined {
  if (state.samples === 0 || state.lastDone >= total || now - state.progressAt < STALL_MS) return undefined;
  return `no invocation completed for ${Math.round((now - state.progressAt) / 1000)} s (${state.lastDone}/${total} done): deadlock`;
}

/**
 * The fuzz runner itself: its hang detector counts turns of the event loop (never milliseconds),
 * and the shared generators stay within the input bounds that keep every run short, while still
 * making the huge and deeply nested inputs they exist for.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  anyText,
  anyValue,
  deepJsonText,
  deepJsonValue,
  FUZZ_SEED,
  MAX_INPUT_CHARS,
  MAX_JSON_DEPTH,
  pathologicalString,
  settlesWithin,
  sizeOf,
} from './fuzz-support.js';

/** Resolves after yielding to the event loop `turns` times: work spread over turns, no timer. */
async function yieldingRun(turns: number): Promise<string> {
  for (let turn = 0; turn < turns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  return 'done';
}

describe('the hang detector (settlesWithin)', () => {
  it("passes a run's value and its rejection on unchanged", async () => {
    await expect(settlesWithin(() => 42, 10)).resolves.toBe(42);
    await expect(settlesWithin(async () => 'async', 10)).resolves.toBe('async');
    const failure = new Error('the defect the property found');
    await expect(
      settlesWithin(() => {
        throw failure;
      }, 10),
    ).rejects.toBe(failure);
    await expect(settlesWithin(() => Promise.reject(failure), 10)).rejects.toBe(failure);
  });

  it('reports a run that never settles as a hang', async () => {
    await expect(settlesWithin(() => new Promise<never>(() => {}), 1_000)).rejects.toThrow(
      'the run had not settled after 1000 turns of the event loop: a hang',
    );
  });

  it('counts turns, not time: a run needing 500 turns passes a bound of 1,000 and fails one of 100', async () => {
    // However slow the machine, the run settles on the same turn: only the count decides.
    await expect(settlesWithin(() => yieldingRun(500), 1_000)).resolves.toBe('done');
    await expect(settlesWithin(() => yieldingRun(500), 100)).rejects.toThrow(
      'the run had not settled after 100 turns of the event loop: a hang',
    );
  });
});

describe('the shared generators', () => {
  const sample = <T>(arbitrary: fc.Arbitrary<T>, numRuns: number) =>
    fc.sample(arbitrary, { seed: FUZZ_SEED, numRuns });

  it(`make no string longer than ${MAX_INPUT_CHARS} characters, and still make strings past 400,000`, () => {
    const longest = [
      ...sample(pathologicalString, 200),
      ...sample(anyText, 200),
      ...sample(anyValue, 200),
    ].map((value) => sizeOf(value).longestString);

    expect(Math.max(...longest)).toBeLessThanOrEqual(MAX_INPUT_CHARS);
    // Past the largest DynamoDB item (400 KB): the huge inputs are still there.
    expect(Math.max(...longest)).toBeGreaterThan(400_000);
  });

  it(`nest JSON at most ${MAX_JSON_DEPTH} deep, and deeper than recursive code survives (10,000)`, () => {
    const depths = sample(deepJsonValue, 20).map((value) => sizeOf(value).depth);
    const texts = sample(deepJsonText, 20);

    expect(Math.max(...depths)).toBeLessThanOrEqual(MAX_JSON_DEPTH);
    expect(Math.max(...depths)).toBeGreaterThan(10_000);
    expect(Math.max(...texts.map((text) => text.length))).toBeLessThanOrEqual(MAX_INPUT_CHARS);
  });
});

/**
 * A duration option in milliseconds, >= 0. A value from 1 to 999 is refused as one that looks like
 * seconds: a cache or memory of a minute written as `60` would last 60 ms and do its I/O again and
 * again. The TypeError names the option, the rule, and what 0 means.
 */
export function checkMillisecondsOption(
  value: unknown,
  rule: {
    /** `SecretsManagerSource option "cacheExpiryMs"`. */
    option: string;
    /** What the range message adds: `(or Infinity)`. */
    range: string;
    /** What to write instead of a tiny value: `use 0 for no cache`. */
    zero: string;
    /** Whether Infinity is allowed. */
    infinite: boolean;
  },
): number {
  const valid =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= 0 &&
    (rule.infinite || Number.isFinite(value));
  if (!valid) throw new TypeError(`${rule.option} must be milliseconds >= 0 ${rule.range}`);
  if (value > 0 && value < 1_000) {
    throw new TypeError(`${rule.option} is in milliseconds; ${value} looks like seconds (${rule.zero})`);
  }
  return value;
}

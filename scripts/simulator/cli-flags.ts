/** Flag values of the command-line tools (demo, soak, chaos), checked the same way in each. */

/** Bad flags: the tool prints the message and its usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `raw` as a number in [min, max]; `fallback` when the flag is absent. */
export function number(
  raw: string | undefined,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}`);
  }
  return value;
}

/** `raw` as a whole number in [min, max]; `fallback` when the flag is absent. */
export function integer(
  raw: string | undefined,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const value = number(raw, flag, min, max, fallback);
  if (!Number.isInteger(value)) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return value;
}

/** `raw` when it is an http(s) URL. */
export function url(raw: string, flag: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw;
  } catch {
    // Falls through to the usage error.
  }
  throw new UsageError(`${flag} must be an http(s) URL`);
}

import { ConfigurationError } from '../errors/error-classes.js';

/**
 * Options are declared as data, one rule per option beside its default, and checked by one
 * function for every entry point: an options object that is not an object, an unknown key, a
 * missing required option or a value of the wrong kind is a ConfigurationError naming the owner
 * and the option (`SharedToken option "leaseMs" must be ...`). A value is never echoed: it may be
 * a credential. What no rule can say (a URL without credentials, salts that differ) is checked
 * beside the option's use, with the same error type and wording.
 */
export interface OptionRule {
  /** What is wrong with a value that is present, or undefined when it is acceptable. */
  readonly problem: (value: unknown) => string | undefined;
  /** @default false */
  readonly required?: boolean;
}

export type OptionRules = Readonly<Record<string, OptionRule>>;

/** What a value is not: the end of the message `... option "x" must be <this>`. */
const mustBe =
  (what: string, test: (value: unknown) => boolean) =>
  (value: unknown): string | undefined =>
    test(value) ? undefined : `must be ${what}`;

export const anyValue: OptionRule = { problem: () => undefined };
export const aFunction: OptionRule = {
  problem: mustBe('a function', (value) => typeof value === 'function'),
};
export const aBoolean: OptionRule = { problem: mustBe('a boolean', (value) => typeof value === 'boolean') };
export const anObject: OptionRule = {
  problem: mustBe(
    'an object',
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  ),
};
export const aText: OptionRule = {
  problem: mustBe('a non-empty string', (value) => typeof value === 'string' && value !== ''),
};
/** An injectable clock: an object with `now()` returning epoch milliseconds. */
export const aClock: OptionRule = {
  problem: mustBe(
    'an object with now() (epoch ms)',
    (value) => typeof value === 'object' && typeof (value as { now?: unknown } | null)?.now === 'function',
  ),
};

/** A whole number in [min, max]. */
export function aWholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): OptionRule {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  return {
    problem: mustBe(
      `a whole number ${range}`,
      (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
    ),
  };
}

/**
 * A duration in milliseconds: finite, >= 0 (> 0 when `positive`). With `notSeconds`, 1 to 999 is refused as
 * a value that looks like seconds (a cache of a minute written as `60` would last 60 ms and do its
 * I/O again and again); `zero` says what to write instead, `infinite` allows Infinity.
 */
export function aDuration(
  shape: { positive?: boolean; notSeconds?: { zero: string }; infinite?: boolean } = {},
): OptionRule {
  const what = `milliseconds ${shape.positive ? 'greater than 0' : '>= 0'}${shape.infinite ? ' (or Infinity)' : ''}`;
  return {
    problem(value) {
      const valid =
        typeof value === 'number' &&
        !Number.isNaN(value) &&
        (shape.positive ? value > 0 : value >= 0) &&
        (shape.infinite === true || Number.isFinite(value));
      if (!valid) return `must be ${what}`;
      if (shape.notSeconds && value > 0 && value < 1_000) {
        return `is in milliseconds; ${value} looks like seconds (${shape.notSeconds.zero})`;
      }
      return undefined;
    },
  };
}

/** The same rule, required. */
export function required(rule: OptionRule): OptionRule {
  return { ...rule, required: true };
}

/**
 * Checks `options` against `rules`: see the file comment. `hint` adds to the message for an
 * unknown key (a credential put in the options instead of the secret, say).
 * @throws ConfigurationError naming `owner` and the option.
 */
export function validateOptions(
  owner: string,
  options: unknown,
  rules: OptionRules,
  hint: (key: string) => string = () => '',
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError(`${owner} options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(rules, key)) {
      throw new ConfigurationError(
        `Unknown ${owner} option "${key}"${hint(key)}; known options: ${Object.keys(rules).join(', ')}`,
      );
    }
  }
  for (const [key, rule] of Object.entries(rules)) {
    const value = (options as Record<string, unknown>)[key];
    if (rule.required && (value === undefined || value === null)) {
      throw new ConfigurationError(`${owner} option "${key}" is required`);
    }
    if (value === undefined) continue;
    const problem = rule.problem(value);
    if (problem !== undefined) throw new ConfigurationError(`${owner} option "${key}" ${problem}`);
  }
}

/** `rules` without the named options: an adapter that supplies them itself. */
export function omitOptions<K extends string>(rules: OptionRules, ...names: K[]): OptionRules {
  const kept = { ...rules };
  for (const name of names) delete kept[name];
  return kept;
}

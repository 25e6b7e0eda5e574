/**
 * The command line's options, declared as data beside their help text and checked by one parser:
 * `--name value`, `--name=value`, `--flag`. An unknown option, a missing value, a repeated option
 * that does not repeat or a stray argument is a {@link UsageError} (exit code 2). A value is
 * never echoed: a secret pasted in the wrong place must not reach the terminal's scrollback.
 */

/** One option of a command. */
export interface OptionSpec {
  /** Without the dashes: `table` for `--table`. */
  readonly name: string;
  /** The placeholder of its value in the help (`NAME`); absent for a flag. */
  readonly value?: string;
  /** May be given more than once; every value is kept, in order. @default false */
  readonly repeatable?: boolean;
  /** One line of help. */
  readonly help: string;
}

/** Bad usage: the message says what and where to look; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The options given, by name. */
export class ParsedOptions {
  constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  /** The value of an option given once, or `undefined`. */
  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** Every value of a repeatable option, in the order given. */
  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

/** Parses `argv` (the arguments after the command) against `specs`. */
export function parseOptions(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  command: string,
): ParsedOptions {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, string[]>();
  const help = `see: lambda-shared-token ${command} --help`;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (!argument.startsWith('--') || argument === '--') {
      throw new UsageError(
        `${command}: unexpected argument ${index + 1} (not shown); options start with -- (${help})`,
      );
    }
    const equals = argument.indexOf('=');
    const name = argument.slice(2, equals === -1 ? undefined : equals);
    const spec = byName.get(name);
    if (spec === undefined) {
      // The name only, up to "=": what follows it may be a value.
      throw new UsageError(`${command}: unknown option ${shownOption(name)} (${help})`);
    }
    let value: string;
    if (spec.value === undefined) {
      if (equals !== -1) throw new UsageError(`${command}: --${name} takes no value (${help})`);
      value = '';
    } else if (equals !== -1) {
      value = argument.slice(equals + 1);
    } else {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`${command}: --${name} needs a value: --${name} ${spec.value} (${help})`);
      }
      value = next;
      index++;
    }
    if (spec.value !== undefined && value === '') {
      throw new UsageError(
        `${command}: --${name} needs a non-empty value: --${name} ${spec.value} (${help})`,
      );
    }
    const given = values.get(name);
    if (given !== undefined && spec.repeatable !== true) {
      throw new UsageError(`${command}: --${name} is given twice; give it once (${help})`);
    }
    values.set(name, [...(given ?? []), value]);
  }
  return new ParsedOptions(values);
}

/** The help lines of a command's options, aligned. */
export function optionsHelp(specs: readonly OptionSpec[]): string {
  const heads = specs.map((spec) => `--${spec.name}${spec.value === undefined ? '' : ` ${spec.value}`}`);
  const width = Math.max(...heads.map((head) => head.length));
  return specs
    .map(
      (spec, index) =>
        `  ${heads[index]!.padEnd(width)}  ${spec.help}${spec.repeatable ? ' (repeatable)' : ''}`,
    )
    .join('\n');
}

// An option name is short and plain; anything else is shown by its length only.
function shownOption(name: string): string {
  return /^[a-z][a-z0-9-]{0,40}$/i.test(name) ? `--${name}` : `(not shown, ${name.length} characters)`;
}

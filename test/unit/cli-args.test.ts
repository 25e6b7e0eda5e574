/** The command line's option parser (cli/args.ts): options as data, usage errors that echo no value. */
import { describe, expect, it } from '@jest/globals';
import { type OptionSpec, optionsHelp, parseOptions, UsageError } from '../../cli/args.js';

const SPECS: OptionSpec[] = [
  { name: 'table', value: 'NAME', help: 'the table' },
  { name: 'field', value: 'ROLE=NAME', repeatable: true, help: 'a mapping' },
  { name: 'json', help: 'JSON' },
];

const parse = (argv: string[]) => parseOptions(argv, SPECS, 'status');

describe('parseOptions', () => {
  it('reads --name value, --name=value, flags and repeated options in order', () => {
    const options = parse([
      '--table',
      't1',
      '--json',
      '--field=clientId=key',
      '--field',
      'clientSecret=secret',
    ]);

    expect(options.get('table')).toBe('t1');
    expect(options.has('json')).toBe(true);
    expect(options.all('field')).toEqual(['clientId=key', 'clientSecret=secret']);
    expect(options.has('region')).toBe(false);
    expect(options.get('region')).toBeUndefined();
  });

  it('refuses an unknown option by its name only, never what follows its "="', () => {
    const error = catchUsage(() => parse(['--clientSecret=hunter2-is-a-secret']));

    expect(error.message).toBe(
      'status: unknown option --clientSecret (see: lambda-shared-token status --help)',
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a stray argument without showing it', () => {
    const error = catchUsage(() => parse(['--json', 'a-pasted-secret-value']));

    expect(error.message).toContain('unexpected argument 2 (not shown)');
    expect(error.message).not.toContain('a-pasted-secret-value');
  });

  it('refuses a missing or empty value, a value on a flag, and an option given twice', () => {
    expect(catchUsage(() => parse(['--table'])).message).toContain('--table needs a value: --table NAME');
    expect(catchUsage(() => parse(['--table', '--json'])).message).toContain('--table needs a value');
    expect(catchUsage(() => parse(['--table='])).message).toContain('--table needs a non-empty value');
    expect(catchUsage(() => parse(['--json=yes'])).message).toContain('--json takes no value');
    expect(catchUsage(() => parse(['--table', 'a', '--table', 'b'])).message).toContain(
      '--table is given twice; give it once',
    );
  });

  it('names an unknown option that is not a plain name by its length only', () => {
    expect(catchUsage(() => parse(['--a b c'])).message).toContain(
      'unknown option (not shown, 5 characters)',
    );
  });
});

describe('optionsHelp', () => {
  it('aligns the options and marks the repeatable ones', () => {
    expect(optionsHelp(SPECS).split('\n')).toEqual([
      '  --table NAME       the table',
      '  --field ROLE=NAME  a mapping (repeatable)',
      '  --json             JSON',
    ]);
  });
});

function catchUsage(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

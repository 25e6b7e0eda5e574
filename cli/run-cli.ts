/**
 * Dispatch: `lambda-shared-token <command> [options]`. Each command parses its own options and
 * returns its exit code; a {@link UsageError} anywhere is exit code 2 with the message on stderr.
 * Anything else that escapes a command is a bug: its name is printed, never its message (it
 * could quote a value), and the exit code is 1.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { type CliIo, EXIT, type ExitCode } from './cli-io.js';
import { DOCTOR_HELP, runDoctor } from './doctor/doctor-command.js';
import { runStatus, STATUS_HELP } from './status/status-command.js';

const COMMANDS: Record<
  string,
  { run: (argv: readonly string[], io: CliIo) => Promise<ExitCode>; help: string }
> = {
  status: { run: runStatus, help: STATUS_HELP },
  doctor: { run: runDoctor, help: DOCTOR_HELP },
};

export const MAIN_HELP = `Usage: lambda-shared-token <command> [options]

Operate the shared access tokens of lambda-shared-token (docs/operations.md).

Commands:
  status   list every tokenType in the token table: version, expiry, lease, back-off, key
  doctor   check a deployment (table, secret, KMS key, token endpoint) and say what to fix

Options:
  --help      this help; lambda-shared-token <command> --help for a command's options
  --version   the package's version

Exit codes: 0 done (doctor: all checks passed), 1 an AWS call or a check failed, 2 bad usage.
AWS region, endpoints and credentials come from the SDK's environment (AWS_REGION, AWS_PROFILE,
AWS_ENDPOINT_URL_DYNAMODB, ...) or --region.
`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? rest[0] : undefined;
      if (topic !== undefined && COMMANDS[topic] === undefined) {
        throw new UsageError(`help: unknown command ${shownCommand(topic)}: status or doctor`);
      }
      // No command at all is bad usage: the help goes to stderr, so a script's pipe gets nothing.
      if (first === undefined) {
        io.stderr(MAIN_HELP);
        return EXIT.usage;
      }
      io.stdout(topic === undefined ? MAIN_HELP : COMMANDS[topic]!.help);
      return EXIT.ok;
    }
    if (first === '--version') {
      io.stdout(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (command === undefined) {
      throw new UsageError(
        `unknown command ${shownCommand(first)}: status or doctor (lambda-shared-token --help)`,
      );
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(command.help);
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`lambda-shared-token: ${error.message}\n`);
      return EXIT.usage;
    }
    const name = error instanceof Error && /^[A-Za-z_$][\w$.]{0,99}$/.test(error.name) ? error.name : 'Error';
    io.stderr(`lambda-shared-token: unexpected ${name} (a bug: please report it with the command you ran)\n`);
    return EXIT.failed;
  }
}

function shownCommand(command: string): string {
  return /^[a-z-]{1,20}$/.test(command) ? `"${command}"` : '(not shown)';
}

/**
 * The version of the package this file belongs to: dist/cli/ and .build/cli/ sit two levels below
 * its package.json, the source (cli/) one level.
 */
function packageVersion(): string {
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
      if (manifest.name === 'lambda-shared-token' && typeof manifest.version === 'string')
        return manifest.version;
    } catch {
      // Not there: the other layout.
    }
  }
  return 'unknown';
}

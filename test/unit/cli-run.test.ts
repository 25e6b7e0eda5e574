/**
 * The command line before any AWS call (cli/run-cli.ts): help, version, usage errors with exit code
 * 2, and the table's name from --table or the layer's variable. Runs in-process with an injected io.
 */
import { describe, expect, it } from '@jest/globals';
import type { CliIo } from '../../cli/cli-io.js';
import { runCli } from '../../cli/run-cli.js';

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    now: () => Date.UTC(2030, 0, 1),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe('lambda-shared-token', () => {
  it('prints its help on --help (exit 0), and on stderr with no command (exit 2)', async () => {
    const help = await run(['--help']);
    const none = await run([]);

    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: lambda-shared-token <command> [options]');
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('Commands:');
  });

  it("prints a command's help with --help or help <command>", async () => {
    const status = await run(['status', '--help']);
    const doctor = await run(['help', 'doctor']);

    expect(status.stdout).toContain(
      'Usage: lambda-shared-token status [--table NAME] [--json] [--region REGION]',
    );
    expect(doctor.stdout).toContain('Usage: lambda-shared-token doctor');
    expect(doctor.stdout).toContain('--kms-key KEY');
  });

  it("prints the package's version", async () => {
    const { code, stdout } = await run(['--version']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('refuses an unknown command with exit 2, without echoing an odd one', async () => {
    expect(await run(['stauts'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command "stauts"'),
    });
    expect((await run(['--token=abc'])).stderr).toContain('unknown command (not shown)');
  });
});

describe('lambda-shared-token status, bad usage', () => {
  it('names --table and DYNAMODB_TABLE_ACCESS_TOKENS when neither is given', async () => {
    const { code, stderr } = await run(['status']);

    expect(code).toBe(2);
    expect(stderr).toBe(
      'lambda-shared-token: status: no table: pass --table NAME or set DYNAMODB_TABLE_ACCESS_TOKENS (the variable the functions read)\n',
    );
  });

  it("refuses a table name DynamoDB would refuse, from the option or the layer's variable, never echoing it", async () => {
    const option = await run(['status', '--table', 'a b']);
    const variable = await run(['status'], { DYNAMODB_TABLE_ACCESS_TOKENS: 'x' });

    expect(option).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--table must be a DynamoDB table name'),
    });
    expect(variable).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('DYNAMODB_TABLE_ACCESS_TOKENS is not a valid DynamoDB table name'),
    });
  });
});

describe('lambda-shared-token doctor, bad usage', () => {
  it.each([
    [['doctor'], 'doctor: nothing to check'],
    [['doctor', '--provider', 'webex'], '--provider must be one of salesforce, oauth2ClientCredentials'],
    [['doctor', '--token-url', 'https://x.example/token'], '--token-url goes with --provider'],
    [
      ['doctor', '--provider', 'salesforce', '--token-url', 'https://x.example/t'],
      '--token-url does not go with --provider salesforce',
    ],
    [
      ['doctor', '--provider', 'oauth2ClientCredentials', '--instance-url', 'https://x.example'],
      "it is Salesforce's",
    ],
    [
      ['doctor', '--provider', 'function', '--field', 'clientId=key'],
      'a functionProvider calls what your code calls',
    ],
    [
      ['doctor', '--provider', 'salesforce', '--field', 'apiKey=key'],
      '--field takes ROLE=NAME, ROLE one of clientId, clientSecret, instanceUrl',
    ],
    [
      ['doctor', '--provider', 'salesforce', '--auth-method', 'digest'],
      '--auth-method must be basic or body',
    ],
    [['doctor', '--kms-key', 'not a key'], '--kms-key: KmsCipher option "keyId" must be a KMS key id'],
    [['doctor', '--secret', 'has space'], '--secret: secret name (not shown, 9 characters) holds a space'],
    [['doctor', '--require', 'apiKey'], '--require checks a field of the secret: give --secret too'],
  ])('%j exits 2: %s', async (argv, message) => {
    const { code, stderr, stdout } = await run(argv);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it("refuses a --token-url holding a credential with the layer's own rule, never echoing it", async () => {
    const url = 'https://user:hunter2-password@x.example/token';

    const { code, stderr } = await run([
      'doctor',
      '--provider',
      'oauth2ClientCredentials',
      '--token-url',
      url,
    ]);

    expect(code).toBe(2);
    expect(stderr).toContain('OAuth2 provider option "tokenUrl"');
    expect(stderr).not.toContain('hunter2');
  });
});

/**
 * `lambda-shared-token status`: every tokenType of the token table with its version, expiry,
 * last refresh, lease, back-off, and the key its envelope names (docs/operations.md). Reads the
 * table with Scan only. Exit 0 with the list (items that do not parse included, with what is
 * wrong); 1 when the Scan fails; 2 on bad usage.
 */
import { type OptionSpec, optionsHelp, parseOptions } from '../args.js';
import { dynamoClient, regionOf } from '../aws/aws-clients.js';
import { classifyAwsFailure, describeAwsFailure } from '../aws/aws-failure.js';
import { type CliIo, EXIT, type ExitCode } from '../cli-io.js';
import { resolveTableName } from '../table-name.js';
import { scanItems } from './scan-table.js';
import { renderStatus } from './status-render.js';
import { tokenStatus } from './token-status.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'table', value: 'NAME', help: 'the token table (default: $DYNAMODB_TABLE_ACCESS_TOKENS)' },
  { name: 'region', value: 'REGION', help: "the AWS region (default: the SDK's, AWS_REGION)" },
  { name: 'json', help: 'a JSON array, one object per tokenType (fields: docs/operations.md)' },
];

export const STATUS_HELP = `Usage: lambda-shared-token status [--table NAME] [--json] [--region REGION]

Lists every tokenType in the token table: version, expiry, last refresh, lease holder, shared
back-off, refresh history, and the key the token's envelope names. Never a token, ciphertext or key.
Needs dynamodb:Scan on the table.

Options:
${optionsHelp(OPTIONS)}

Exit codes: 0 listed; 1 the Scan failed (the message names the table and the AWS error); 2 bad usage.
`;

export async function runStatus(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = parseOptions(argv, OPTIONS, 'status');
  const tableName = resolveTableName(options.get('table'), io.env, 'status', true)!;
  const client = dynamoClient({ region: options.get('region') });
  try {
    let items: Awaited<ReturnType<typeof scanItems>>;
    try {
      items = await scanItems(client, tableName);
    } catch (error) {
      const failure = classifyAwsFailure(error);
      const region = await regionOf(client);
      const { message, fix } = describeAwsFailure(
        { action: 'dynamodb:Scan', resource: `table "${tableName}"`, region },
        failure,
      );
      io.stderr(`lambda-shared-token status: ${message}\n  fix: ${fix}\n`);
      return EXIT.failed;
    }
    const now = io.now();
    const statuses = items.map((item) => tokenStatus(item, now));
    statuses.sort((a, b) => (a.tokenType < b.tokenType ? -1 : a.tokenType > b.tokenType ? 1 : 0));
    io.stdout(
      options.has('json') ? `${JSON.stringify(statuses, null, 2)}\n` : renderStatus(tableName, statuses, now),
    );
    return EXIT.ok;
  } finally {
    client.destroy();
  }
}

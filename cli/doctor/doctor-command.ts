/**
 * `lambda-shared-token doctor`: checks what it is given of a deployment, from where it runs, and
 * says what to fix (docs/operations.md): the table (DescribeTable, DescribeTimeToLive), the secret
 * (DescribeSecret, GetSecretValue), the KMS key (GenerateDataKey, Decrypt), the stored token of a
 * tokenType (GetItem), the token endpoint (one provider request). Exit 0 when every check passed
 * or was skipped, 1 when one failed, 2 on bad usage.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import { KmsCipher } from '../../layer/crypto/kms-cipher.js';
import { isSharedTokenError } from '../../layer/errors/error-classes.js';
import { validateSecretName } from '../../layer/secret/secret-name.js';
import { type OptionSpec, optionsHelp, parseOptions, UsageError } from '../args.js';
import { type AwsSettings, dynamoClient, kmsClient, loadKmsSdk, secretsClient } from '../aws/aws-clients.js';
import { type CliIo, EXIT, type ExitCode } from '../cli-io.js';
import { firstTokenType } from '../status/scan-table.js';
import { resolveTableName } from '../table-name.js';
import { type CheckResult, fail, skip } from './check.js';
import { checksJson, renderChecks } from './doctor-render.js';
import { checkEndpoint } from './endpoint-check.js';
import { checkKms } from './kms-check.js';
import { PROVIDER_KINDS, providerSetup } from './provider-kinds.js';
import { checkSecret, type SecretOutcome } from './secret-check.js';
import { checkStoredToken } from './stored-token-check.js';
import { checkTable } from './table-check.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'table', value: 'NAME', help: 'the token table (default: $DYNAMODB_TABLE_ACCESS_TOKENS)' },
  { name: 'secret', value: 'NAME', help: "the provider's secret: name or ARN, as the functions' secretName" },
  {
    name: 'provider',
    value: 'KIND',
    help: `${PROVIDER_KINDS.join(' | ')}: check its fields and its token endpoint`,
  },
  {
    name: 'token-url',
    value: 'URL',
    help: 'the tokenUrl of an oauth2ClientCredentials or oauth2RefreshToken provider',
  },
  {
    name: 'instance-url',
    value: 'URL',
    help: "Salesforce's My Domain URL (default: the secret's instanceUrl)",
  },
  { name: 'scope', value: 'SCOPES', help: "the OAuth2 provider's scope option" },
  {
    name: 'auth-method',
    value: 'basic|body',
    help: "the provider's authMethod option (default: the provider's)",
  },
  {
    name: 'field',
    value: 'ROLE=NAME',
    repeatable: true,
    help: "the factory's fields option: --field clientId=consumerKey",
  },
  {
    name: 'require',
    value: 'NAME',
    repeatable: true,
    help: "a secret field your code reads (a functionProvider's)",
  },
  { name: 'kms-key', value: 'KEY', help: "the KmsCipher's keyId: key id, key ARN, alias name or alias ARN" },
  { name: 'token-type', value: 'TYPE', help: 'the tokenType whose stored token and KMS context are checked' },
  { name: 'region', value: 'REGION', help: "the AWS region (default: the SDK's, AWS_REGION)" },
  { name: 'json', help: '{ "ok": boolean, "checks": [...] } (fields: docs/operations.md)' },
];

export const DOCTOR_HELP = `Usage: lambda-shared-token doctor [--table NAME] [--secret NAME] [--provider KIND]
         [--kms-key KEY] [--token-type TYPE] [--json] [options]

Checks a deployment from where it runs, one line each: ok, FAIL (with the cause and the fix) or
skip (with what it needs). Only what is given is checked:
  table        exists, key schema tokenType (S) with no sort key, TTL on expiresAt
  secret       exists, readable, a JSON object with a valid key, the fields --provider reads
  KMS key      GenerateDataKey and Decrypt with the encryption context of --token-type
               (or of the table's first tokenType)
  stored token with --token-type: the item's token opens with the secret's key or the KMS key
  endpoint     with --provider: one real token request (one provider call; the token is dropped),
               except oauth2RefreshToken: a request without credentials (reachability only)
Never prints a token, key, credential or ciphertext.

Options:
${optionsHelp(OPTIONS)}

Exit codes: 0 every check passed or was skipped; 1 a check failed; 2 bad usage.
`;

export async function runDoctor(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = parseOptions(argv, OPTIONS, 'doctor');
  const tableName = resolveTableName(options.get('table'), io.env, 'doctor', false);
  const secretName = checkedSecretName(options.get('secret'));
  const setup = providerSetup(options);
  const kmsKey = checkedKmsKey(options.get('kms-key'));
  const tokenTypeOption = options.get('token-type');
  if (options.has('require') && secretName === undefined) {
    throw new UsageError('doctor: --require checks a field of the secret: give --secret too');
  }
  if (tableName === undefined && secretName === undefined && kmsKey === undefined && setup === undefined) {
    throw new UsageError(
      'doctor: nothing to check: give --table (or set DYNAMODB_TABLE_ACCESS_TOKENS), --secret, --kms-key or --provider',
    );
  }
  const aws: AwsSettings = { region: options.get('region') };
  const dynamo = dynamoClient(aws);
  const secrets = secretsClient(aws);
  let kms: KMSClient | undefined;
  const results: CheckResult[] = [];
  try {
    let tableFound = false;
    if (tableName === undefined) {
      const why = 'no --table given and DYNAMODB_TABLE_ACCESS_TOKENS is not set';
      results.push(
        skip('table.exists', 'table', why),
        skip('table.keySchema', 'key schema', why),
        skip('table.ttl', 'TTL', why),
      );
    } else {
      const table = await checkTable(dynamo, tableName);
      results.push(...table.results);
      tableFound = table.found;
    }

    let outcome: SecretOutcome | undefined;
    if (secretName === undefined) {
      const why = 'no --secret given';
      for (const [id, title] of SECRET_CHECKS) results.push(skip(id, title, why));
    } else {
      outcome = await checkSecret(secrets, secretName, setup, io.now());
      results.push(...outcome.results);
    }
    const secretOrWhy =
      outcome?.secret ?? (secretName === undefined ? 'pass --secret to check it' : 'the secret check failed');

    let kmsOrWhy: { keyId: string; client: KMSClient } | string = 'pass --kms-key to check it';
    const tokenType =
      tokenTypeOption ??
      (kmsKey !== undefined && tableName !== undefined && tableFound
        ? await firstTokenType(dynamo, tableName).catch(() => undefined)
        : undefined);
    if (kmsKey === undefined) {
      results.push(skip('kms.dataKey', 'KMS key', 'no --kms-key given'));
    } else {
      const sdk = await loadKmsSdk();
      if (sdk === undefined) {
        results.push(
          fail(
            'kms.dataKey',
            'KMS key',
            '@aws-sdk/client-kms is not installed here',
            'doctor needs it to call KMS (the Lambda runtimes include it; KmsCipher loads it the same way)',
            'npm install @aws-sdk/client-kms',
          ),
        );
        kmsOrWhy = 'the KMS check could not run';
      } else if (tokenType === undefined) {
        results.push(
          skip(
            'kms.dataKey',
            'KMS key',
            'needs a tokenType for the encryption context: pass --token-type (none given, and none read from the table)',
          ),
        );
      } else {
        kms = kmsClient(sdk, aws);
        const result = await checkKms(kms, kmsKey, tokenType);
        results.push(result);
        kmsOrWhy = result.status === 'ok' ? { keyId: kmsKey, client: kms } : 'the KMS key check failed';
      }
    }

    if (tokenTypeOption === undefined || tableName === undefined || !tableFound) {
      const why =
        tokenTypeOption === undefined
          ? 'pass --token-type to check that its stored token opens'
          : tableName === undefined
            ? 'no table given'
            : 'the table was not found';
      results.push(skip('token.stored', 'stored token', why));
    } else {
      results.push(
        await checkStoredToken(
          dynamo,
          tableName,
          tokenTypeOption,
          { secret: secretOrWhy, kms: kmsOrWhy },
          io.now(),
        ),
      );
    }

    results.push(
      await checkEndpoint({
        setup,
        secret: secretOrWhy,
        provider: outcome?.provider,
        tokenType: tokenTypeOption ?? setup?.kind ?? 'doctor',
        nowMs: io.now(),
      }),
    );
  } finally {
    dynamo.destroy();
    secrets.destroy();
    kms?.destroy();
  }
  io.stdout(options.has('json') ? checksJson(results) : renderChecks(results));
  return results.some((result) => result.status === 'fail') ? EXIT.failed : EXIT.ok;
}

const SECRET_CHECKS = [
  ['secret.exists', 'secret'],
  ['secret.readable', 'secret value'],
  ['secret.content', 'secret content'],
  ['secret.providerFields', 'provider fields'],
] as const;

/** The layer's rule for secret names; its message never repeats the name. */
function checkedSecretName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  try {
    return validateSecretName(name);
  } catch (error) {
    if (isSharedTokenError(error, 'ConfigurationError'))
      throw new UsageError(`doctor: --secret: ${(error as Error).message}`);
    throw error;
  }
}

/** KmsCipher's own rule for a keyId (its constructor checks it, and calls nothing). */
function checkedKmsKey(keyId: string | undefined): string | undefined {
  if (keyId === undefined) return undefined;
  try {
    new KmsCipher({ keyId });
  } catch (error) {
    if (isSharedTokenError(error, 'ConfigurationError'))
      throw new UsageError(`doctor: --kms-key: ${(error as Error).message}`);
    throw error;
  }
  return keyId;
}

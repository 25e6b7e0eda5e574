/**
 * The provider's secret as the layer reads it: it exists (DescribeSecret: metadata only), its
 * current version is readable (GetSecretValue), it is a JSON object with a usable key
 * (`parseProviderSecret`, the layer's own parser and rules), and it has the fields the provider
 * reads (`require`, the layer's field rule, then the layer's factory). Messages come from the
 * layer's SecretError, which names the secret and the field and never a value.
 */
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { isSharedTokenError, type SecretError } from '../../layer/errors/error-classes.js';
import type { TokenProvider } from '../../layer/providers/token-provider.js';
import { type ProviderSecret, parseProviderSecret } from '../../layer/secret/provider-secret.js';
import { regionOf } from '../aws/aws-clients.js';
import { classifyAwsFailure, describeAwsFailure } from '../aws/aws-failure.js';
import { formatDuration } from '../text-format.js';
import { type CheckResult, fail, ok, skip } from './check.js';
import type { ProviderSetup } from './provider-kinds.js';
import { content, contentFailure, DOCS, providerFields } from './secret-content.js';
import { causeOf } from './table-check.js';

export interface SecretOutcome {
  results: CheckResult[];
  /** The parsed secret, when it is readable and sound; its values never leave it. */
  secret: ProviderSecret | undefined;
  /** The provider the layer's factory built from it, when `--provider` has a factory. */
  provider: TokenProvider | undefined;
}

export async function checkSecret(
  client: SecretsManagerClient,
  secretName: string,
  setup: ProviderSetup | undefined,
  nowMs: number,
): Promise<SecretOutcome> {
  const region = await regionOf(client);
  const results: CheckResult[] = [];
  const exists = await describe(client, secretName, region, nowMs);
  results.push(exists.result);
  const fieldsCheck = (why: string) => skip('secret.providerFields', 'provider fields', why);
  if (exists.gone !== undefined) {
    const why = `the secret ${exists.gone}`;
    results.push(
      skip('secret.readable', 'secret value', why),
      skip('secret.content', 'secret content', why),
      fieldsCheck(why),
    );
    return { results, secret: undefined, provider: undefined };
  }
  const read = await readValue(client, secretName, region);
  results.push(read.result);
  if (read.text === undefined) {
    const why = 'the secret could not be read';
    results.push(skip('secret.content', 'secret content', why), fieldsCheck(why));
    return { results, secret: undefined, provider: undefined };
  }
  let secret: ProviderSecret;
  try {
    secret = parseProviderSecret(secretName, read.text);
  } catch (error) {
    if (!isSharedTokenError(error, 'SecretError')) throw error;
    results.push(contentFailure(error as SecretError), fieldsCheck('the secret is not usable'));
    return { results, secret: undefined, provider: undefined };
  }
  results.push(content(secret));
  const fields = providerFields(secret, setup);
  results.push(fields.result);
  return { results, secret, provider: fields.provider };
}

/** DescribeSecret: exists, not scheduled for deletion; when it last changed, whether it rotates. */
async function describe(
  client: SecretsManagerClient,
  secretName: string,
  region: string | undefined,
  nowMs: number,
): Promise<{ result: CheckResult; gone?: string }> {
  const title = 'secret';
  let answer: DescribeSecretCommandOutput;
  try {
    answer = await client.send(new DescribeSecretCommand({ SecretId: secretName }));
  } catch (error) {
    const failure = classifyAwsFailure(error);
    if (failure.kind === 'not-found') {
      return {
        result: fail(
          'secret.exists',
          title,
          `secret "${secretName}" not found${region === undefined ? '' : ` in ${region}`}`,
          'every function fails at its first secret fetch with a SecretError (ResourceNotFoundException)',
          `check the name (the functions' secretName) and the region; create it as ${DOCS} shows`,
        ),
        gone: 'was not found',
      };
    }
    const { message, fix } = describeAwsFailure(
      { action: 'secretsmanager:DescribeSecret', resource: `secret "${secretName}"`, region },
      failure,
    );
    return { result: fail('secret.exists', title, message, causeOf(failure.kind, 'DescribeSecret'), fix) };
  }
  if (answer.DeletedDate !== undefined) {
    return {
      result: fail(
        'secret.exists',
        title,
        `secret "${secretName}" is scheduled for deletion (${ago(answer.DeletedDate, nowMs)})`,
        'GetSecretValue fails (InvalidRequestException) until it is restored: every cold start fails with a SecretError, and the secret is deleted for good at the end of its recovery window',
        `aws secretsmanager restore-secret --secret-id ${secretName}`,
      ),
      gone: 'is scheduled for deletion',
    };
  }
  const changed =
    answer.LastChangedDate === undefined ? '' : `, last changed ${ago(answer.LastChangedDate, nowMs)}`;
  const rotation = answer.RotationEnabled
    ? `, rotation on${answer.RotationRules?.AutomaticallyAfterDays ? ` (every ${answer.RotationRules.AutomaticallyAfterDays} days)` : ''}`
    : ', rotation off';
  const stages = Object.values(answer.VersionIdsToStages ?? {}).flat();
  const pending = stages.includes('AWSPENDING')
    ? '; a version is staged AWSPENDING (a rotation under way, or one that failed)'
    : '';
  return {
    result: ok('secret.exists', title, `secret "${secretName}" exists${changed}${rotation}${pending}`),
  };
}

/** GetSecretValue of the current version: the SecretString, or why not. */
async function readValue(
  client: SecretsManagerClient,
  secretName: string,
  region: string | undefined,
): Promise<{ result: CheckResult; text?: string }> {
  const title = 'secret value';
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretName }))).SecretString;
  } catch (error) {
    const failure = classifyAwsFailure(error);
    const { message, fix } = describeAwsFailure(
      { action: 'secretsmanager:GetSecretValue', resource: `secret "${secretName}"`, region },
      failure,
    );
    if (failure.kind === 'access-denied') {
      return {
        result: fail(
          'secret.readable',
          title,
          message,
          'the functions need the same permission: without it every cold start fails with a SecretError',
          `grant secretsmanager:GetSecretValue on the secret's ARN (and kms:Decrypt on its KMS key when that is a customer managed key): ${fix}`,
        ),
      };
    }
    if (failure.code === 'DecryptionFailure') {
      return {
        result: fail(
          'secret.readable',
          title,
          message,
          "Secrets Manager could not decrypt the secret with the secret's KMS key for this caller",
          "grant kms:Decrypt on the secret's KMS key (via secretsmanager), and check that the key is enabled",
        ),
      };
    }
    if (failure.code === 'InvalidRequestException') {
      return {
        result: fail(
          'secret.readable',
          title,
          message,
          'the secret is scheduled for deletion (or has no current version)',
          `aws secretsmanager restore-secret --secret-id ${secretName}`,
        ),
      };
    }
    return { result: fail('secret.readable', title, message, causeOf(failure.kind, 'GetSecretValue'), fix) };
  }
  if (text === undefined) {
    return {
      result: fail(
        'secret.readable',
        title,
        'the current version holds SecretBinary, no SecretString',
        'the layer reads the secret as JSON text (SecretString)',
        `store the secret as text: one JSON object (${DOCS})`,
      ),
    };
  }
  return { result: ok('secret.readable', title, 'the current version (AWSCURRENT) is readable'), text };
}

function ago(date: Date, nowMs: number): string {
  const delta = nowMs - date.getTime();
  return delta >= 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(delta)}`;
}

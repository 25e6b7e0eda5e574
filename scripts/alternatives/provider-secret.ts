/**
 * The provider secret as a user's own code reads it: GetSecretValue once per container, the
 * promise kept at module level (a failed read is forgotten, so the next invocation tries again).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The fields of the Salesforce secret the alternatives need. Values are secret: never print them. */
export interface ProviderSecretFields {
  clientId: string;
  clientSecret: string;
  key: string;
}

const FIELDS = ['clientId', 'clientSecret', 'key'] as const;

let cached: { secretName: string; fields: Promise<ProviderSecretFields> } | undefined;

/** The secret's fields, read once per container; the endpoint comes from AWS_ENDPOINT_URL_SECRETS_MANAGER. */
export function loadProviderSecret(secretName: string): Promise<ProviderSecretFields> {
  if (cached?.secretName !== secretName) {
    const fields = fetchProviderSecret(secretName);
    cached = { secretName, fields };
    fields.catch(() => {
      if (cached?.fields === fields) cached = undefined;
    });
  }
  return cached.fields;
}

async function fetchProviderSecret(secretName: string): Promise<ProviderSecretFields> {
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(SecretString ?? '');
    } catch {
      // The parser's message quotes the input: not kept.
      throw new Error(`secret ${secretName} is not JSON`);
    }
    const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    for (const field of FIELDS) {
      if (typeof record[field] !== 'string' || record[field] === '') {
        throw new Error(`secret ${secretName} has no string field "${field}"`);
      }
    }
    return record as unknown as ProviderSecretFields;
  } finally {
    client.destroy();
  }
}

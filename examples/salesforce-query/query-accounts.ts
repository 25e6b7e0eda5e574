/**
 * The Salesforce query and its shared-token options; handler.ts attaches them in one line.
 *
 * Environment: DYNAMODB_TABLE_ACCESS_TOKENS (the token table), SALESFORCE_SECRET_NAME
 * (`/{env}/{service}/oauth/salesforce`, JSON with clientId, clientSecret, key) and
 * SALESFORCE_INSTANCE_URL (the org's My Domain URL); optionally SALESFORCE_SESSION_SECONDS
 * (the org's session timeout, default 7200) and SHARED_TOKEN_KMS_KEY_ID (a KMS key id, ARN or
 * alias: the token is then sealed by KMS envelope encryption instead of the secret's key).
 */
import type { Context } from 'aws-lambda';
import {
  type AccessToken,
  kmsCipher,
  SalesforceApiError,
  type SharedTokenMiddlewareOptions,
  salesforce,
} from 'lambda-shared-token/middleware';

const instanceUrl = process.env.SALESFORCE_INSTANCE_URL;
if (!instanceUrl) throw new Error("SALESFORCE_INSTANCE_URL is not set: set it to the org's My Domain URL");
// Salesforce's token answers carry no expires_in: the session lasts the org's session timeout
// (Setup > Session Settings). Tell the provider, or a token is believed for the 2-hour default.
const sessionLifetimeSeconds = Number(process.env.SALESFORCE_SESSION_SECONDS ?? 7_200);
const API_VERSION = 'v60.0';
// Optional: seal the token with a KMS data key (kms:GenerateDataKey and kms:Decrypt on this key).
const kmsKeyId = process.env.SHARED_TOKEN_KMS_KEY_ID;

export interface QueryEvent {
  /** SOQL; the default lists five accounts. */
  soql?: string;
}

export interface QueryResult {
  totalSize: number;
  records: unknown[];
}

/**
 * The handler itself knows nothing of locks or secrets: it finds a valid token on the context
 * and throws `SalesforceApiError` on a failed call. An INVALID_SESSION_ID 401 makes the
 * middleware refresh once and run this again; REQUEST_LIMIT_EXCEEDED (403) surfaces as it is.
 */
export async function queryAccounts(event: QueryEvent, context: Context): Promise<QueryResult> {
  const token = (context as Context & { sharedToken: AccessToken }).sharedToken;
  const soql = event.soql ?? 'SELECT Name FROM Account LIMIT 5';
  const url = `${instanceUrl}/services/data/${API_VERSION}/query?q=${encodeURIComponent(soql)}`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token.value}`, accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw await SalesforceApiError.from(response);
  return (await response.json()) as QueryResult;
}

export const sharedTokenOptions: SharedTokenMiddlewareOptions = {
  tokenType: 'salesforce',
  secretName: process.env.SALESFORCE_SECRET_NAME ?? '',
  provider: salesforce({ instanceUrl, sessionLifetimeSeconds }),
  ...(kmsKeyId ? { cipher: kmsCipher({ keyId: kmsKeyId }) } : {}),
};

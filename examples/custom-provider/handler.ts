/**
 * Any token source the library has no provider for: a plain async function. Here, an API
 * that issues tokens for an API key (POST /tokens with `x-api-key`, answering
 * `{ "token": "...", "validForMinutes": 60 }`).
 *
 * Secret (`/{env}/{service}/api-key/reports`): `{ "apiKey": "...", "key": "..." }`.
 * Environment: DYNAMODB_TABLE_ACCESS_TOKENS, REPORTS_SECRET_NAME, REPORTS_BASE_URL.
 */
import type { Context } from 'aws-lambda';
import {
  type AccessToken,
  functionProvider,
  InvalidProviderResponseError,
  TokenRefreshError,
  withSharedToken,
} from 'lambda-shared-token/middleware';

const baseUrl = process.env.REPORTS_BASE_URL;
if (!baseUrl) throw new Error('REPORTS_BASE_URL is not set: set it to the reports API base URL');

const reportsTokens = functionProvider(async ({ tokenType, credentials, signal }) => {
  const response = await fetch(`${baseUrl}/tokens`, {
    method: 'POST',
    headers: { 'x-api-key': credentials.require('apiKey') },
    signal, // aborted before the lease ends: never outlive the lock
  });
  if (!response.ok) {
    // Status only: the body could echo the key.
    throw new TokenRefreshError(`The reports API answered HTTP ${response.status}`, tokenType, {
      status: response.status,
    });
  }
  const body = (await response.json()) as { token?: unknown; validForMinutes?: unknown };
  if (typeof body.token !== 'string' || typeof body.validForMinutes !== 'number') {
    throw new InvalidProviderResponseError(
      'The reports API answered without token or validForMinutes',
      tokenType,
    );
  }
  return { accessToken: body.token, expiresAt: Date.now() + body.validForMinutes * 60_000 };
});

/** Throws an error carrying `statusCode`, so a 401/403 is recognised as a rejected token. */
export async function latestReport(_event: unknown, context: Context): Promise<unknown> {
  const token = (context as Context & { sharedToken: AccessToken }).sharedToken;
  const response = await fetch(`${baseUrl}/reports/latest`, {
    headers: { authorization: `Bearer ${token.value}` },
  });
  if (!response.ok) {
    throw Object.assign(new Error(`reports API answered HTTP ${response.status}`), {
      statusCode: response.status,
    });
  }
  return response.json();
}

export const handler = withSharedToken(latestReport, {
  tokenType: 'reports',
  secretName: process.env.REPORTS_SECRET_NAME ?? '',
  provider: reportsTokens,
});

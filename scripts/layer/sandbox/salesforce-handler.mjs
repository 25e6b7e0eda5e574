/**
 * A Lambda function as a user writes it against the layer (the Salesforce example, in plain
 * ESM): both entry points imported by package name, nothing bundled, no node_modules of its own.
 * Copied into the sandbox's task directory as index.mjs; `_HANDLER` is `index.handler`.
 */
import { SalesforceApiError, salesforce } from 'lambda-shared-token';
import { withSharedToken } from 'lambda-shared-token/middleware';

const instanceUrl = process.env.SALESFORCE_INSTANCE_URL;
if (!instanceUrl) throw new Error("SALESFORCE_INSTANCE_URL is not set: set it to the org's My Domain URL");

/** Finds a valid token on the context; a failed call throws SalesforceApiError, which the middleware classifies. */
async function queryAccounts(event, context) {
  const soql = event.soql ?? 'SELECT Name FROM Account LIMIT 5';
  const url = `${instanceUrl}/services/data/v60.0/query?q=${encodeURIComponent(soql)}`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${context.sharedToken.value}`, accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw await SalesforceApiError.from(response);
  return response.json();
}

export const handler = withSharedToken(queryAccounts, {
  tokenType: 'salesforce',
  secretName: process.env.SALESFORCE_SECRET_NAME ?? '',
  provider: salesforce({ instanceUrl }),
});

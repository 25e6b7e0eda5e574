/**
 * A Lambda that queries Salesforce with the token every function shares.
 *
 * Environment: DYNAMODB_TABLE_ACCESS_TOKENS (the token table), SALESFORCE_SECRET_NAME
 * (`/{env}/{service}/oauth/salesforce`, JSON with clientId, clientSecret, key) and
 * SALESFORCE_INSTANCE_URL (the org's My Domain URL).
 */
import { withSharedToken } from 'lambda-shared-token/middleware';
import { queryAccounts, sharedTokenOptions } from './query-accounts.js';

export { queryAccounts, sharedTokenOptions };

// The one line: a valid shared token on every invocation, one refresh for all on a rejection.
export const handler = withSharedToken(queryAccounts, sharedTokenOptions);

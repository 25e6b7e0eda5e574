/**
 * The tokenTypes the scheduled refresher renews, read from the environment; handler.ts turns
 * them into the EventBridge handler in one line.
 *
 * Environment: DYNAMODB_TABLE_ACCESS_TOKENS (the token table); REFRESH_TOKEN_TYPES, a comma-
 * separated list of the kinds below (default `salesforce`); REFRESH_AHEAD_SECONDS (default 600);
 * SHARED_TOKEN_KMS_KEY_ID when the functions seal their tokens with KMS; and each kind's own variables:
 * - `salesforce`: SALESFORCE_SECRET_NAME, SALESFORCE_INSTANCE_URL, SALESFORCE_SESSION_SECONDS
 *   (optional, default 7200), as for examples/salesforce-query;
 * - `oauth2`: OAUTH2_TOKEN_TYPE (default `oauth2`), OAUTH2_SECRET_NAME, OAUTH2_TOKEN_URL: an OAuth2
 *   refresh-token grant with rotation (clientId, clientSecret, refreshToken and key in the secret).
 */
import { kmsCipher, oauth2RefreshToken, type SharedTokenOptions, salesforce } from 'lambda-shared-token';

const TARGET_BUILDERS: Record<string, () => SharedTokenOptions> = {
  salesforce: () => ({
    tokenType: 'salesforce',
    secretName: required('SALESFORCE_SECRET_NAME'),
    provider: salesforce({
      instanceUrl: required('SALESFORCE_INSTANCE_URL'),
      sessionLifetimeSeconds: Number(process.env.SALESFORCE_SESSION_SECONDS ?? 7_200),
    }),
  }),
  oauth2: () => ({
    tokenType: process.env.OAUTH2_TOKEN_TYPE ?? 'oauth2',
    secretName: required('OAUTH2_SECRET_NAME'),
    provider: oauth2RefreshToken({ tokenUrl: required('OAUTH2_TOKEN_URL') }),
  }),
};

// The same cipher as the functions that use the tokens (SHARED_TOKEN_KMS_KEY_ID, as in
// examples/salesforce-query): a token sealed otherwise would not decrypt there, and each side
// would refresh over the other's token.
const kmsKeyId = process.env.SHARED_TOKEN_KMS_KEY_ID;

// The refresher's window must be wider than the Lambdas' (300 s by default) by at least the
// schedule's interval (rate(5 minutes)): then it renews every token before a Lambda finds it due.
const refreshAheadMs = Number(process.env.REFRESH_AHEAD_SECONDS ?? 600) * 1000;

/** One SharedToken's options per kind in REFRESH_TOKEN_TYPES; an unknown kind fails at cold start. */
export const refreshTargetOptions: SharedTokenOptions[] = (process.env.REFRESH_TOKEN_TYPES ?? 'salesforce')
  .split(',')
  .map((kind) => kind.trim())
  .filter((kind) => kind !== '')
  .map((kind) => {
    const build = TARGET_BUILDERS[kind];
    if (!build) {
      throw new Error(
        `REFRESH_TOKEN_TYPES lists "${kind}"; known kinds: ${Object.keys(TARGET_BUILDERS).join(', ')}`,
      );
    }
    return {
      ...build(),
      refreshAheadMs,
      ...(kmsKeyId ? { cipher: kmsCipher({ keyId: kmsKeyId }) } : {}),
    };
  });

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (needed by REFRESH_TOKEN_TYPES)`);
  return value;
}

/**
 * The scheduled-refresh example's targets read their environment at import, as a Lambda's code
 * does at cold start: here with SHARED_TOKEN_KMS_KEY_ID set, as the functions using the tokens
 * would have it. Imported once, after the environment is set.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { SharedTokenOptions } from 'lambda-shared-token';

let targets: SharedTokenOptions[];

beforeAll(async () => {
  Object.assign(process.env, {
    DYNAMODB_TABLE_ACCESS_TOKENS: 'unit-access-tokens',
    REFRESH_TOKEN_TYPES: 'salesforce',
    SALESFORCE_SECRET_NAME: 'unit/salesforce',
    SALESFORCE_INSTANCE_URL: 'https://example.my.salesforce.com',
    SHARED_TOKEN_KMS_KEY_ID: 'alias/unit-tokens',
  });
  ({ refreshTargetOptions: targets } = await import('../../examples/scheduled-refresh/refresh-targets.js'));
});

describe('the scheduled-refresh example targets', () => {
  it('seal tokens with KMS when the functions do (SHARED_TOKEN_KMS_KEY_ID), so both read each other', () => {
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ tokenType: 'salesforce', refreshAheadMs: 600_000 });
    expect(typeof targets[0]!.cipher).toBe('function');
  });
});

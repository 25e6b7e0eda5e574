/** What a failed AWS call means to an operator (cli/aws/aws-failure.ts): the action, the resource, the AWS name, the fix. */
import { describe, expect, it } from '@jest/globals';
import { classifyAwsFailure, describeAwsFailure } from '../../cli/aws/aws-failure.js';

const call = { action: 'dynamodb:Scan', resource: 'table "tokens"', region: 'eu-west-1' };
const named = (name: string, message = 'an SDK message quoting a request') =>
  Object.assign(new Error(message), { name });

describe('classifyAwsFailure and describeAwsFailure', () => {
  it.each([
    [
      'AccessDeniedException',
      'access-denied',
      named('AccessDeniedException'),
      'the caller may not dynamodb:Scan on table "tokens": grant dynamodb:Scan on it',
    ],
    [
      'ResourceNotFoundException',
      'not-found',
      named('ResourceNotFoundException'),
      'check the name of the table and the region',
    ],
    ['CredentialsProviderError', 'no-credentials', named('CredentialsProviderError'), 'set AWS_PROFILE'],
    [
      'ECONNREFUSED',
      'network',
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      'AWS_ENDPOINT_URL_',
    ],
    ['RegionMissing', 'no-region', new Error('Region is missing'), 'pass --region or set AWS_REGION'],
    [
      'ProvisionedThroughputExceededException',
      'other',
      named('ProvisionedThroughputExceededException'),
      'retry',
    ],
  ])('%s is %s', (code, kind, error, fix) => {
    const failure = classifyAwsFailure(error);
    const described = describeAwsFailure(call, failure);

    expect(failure).toEqual({ code, kind });
    expect(described.message).toBe(`dynamodb:Scan on table "tokens" (eu-west-1) failed: ${code}`);
    expect(described.fix).toContain(fix);
    expect(JSON.stringify(described)).not.toContain('quoting');
  });
});

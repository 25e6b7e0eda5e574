/**
 * What a failed AWS call means to an operator. The message names the action (`dynamodb:Scan`),
 * the resource (`table "x"`) and the AWS error name or Node code, never the SDK's message (it can
 * quote a request) and never a value.
 */
import { awsErrorName } from '../../layer/aws/aws-error-name.js';

/** One AWS call, for messages: its IAM action and what it was about. */
export interface AwsCall {
  /** The IAM action: `dynamodb:Scan`. */
  action: string;
  /** What it was about, for a human: `table "x"`, `secret "/prod/orders/oauth/salesforce"`. */
  resource: string;
  /** The region the client called, when known. */
  region?: string | undefined;
}

export type FailureKind =
  | 'access-denied'
  | 'not-found'
  | 'no-region'
  | 'no-credentials'
  | 'network'
  | 'other';

/** A failed call, classified. */
export interface AwsFailure {
  /** The AWS error name (`AccessDeniedException`) or Node code (`ECONNREFUSED`); `Error` when neither. */
  code: string;
  kind: FailureKind;
}

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFoundException']);
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError']);
/** What a call that never reached AWS (or never came back) fails with. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

export function classifyAwsFailure(error: unknown): AwsFailure {
  const code = awsErrorName(error);
  // The SDK's region check throws a plain Error; its text is the SDK's own, not input.
  if (code === 'Error' && /^Region is missing/.test(String((error as { message?: unknown })?.message))) {
    return { code: 'RegionMissing', kind: 'no-region' };
  }
  if (ACCESS_DENIED.has(code)) return { code, kind: 'access-denied' };
  if (NOT_FOUND.has(code)) return { code, kind: 'not-found' };
  if (NO_CREDENTIALS.has(code)) return { code, kind: 'no-credentials' };
  if (NETWORK.has(code)) return { code, kind: 'network' };
  return { code, kind: 'other' };
}

/** `dynamodb:Scan on table "x" (us-east-1) failed: AccessDeniedException`, and what it means. */
export function describeAwsFailure(call: AwsCall, failure: AwsFailure): { message: string; fix: string } {
  const where = call.region === undefined ? '' : ` (${call.region})`;
  const message = `${call.action} on ${call.resource}${where} failed: ${failure.code}`;
  switch (failure.kind) {
    case 'access-denied':
      return {
        message,
        fix:
          `the caller may not ${call.action} on ${call.resource}: grant ${call.action} on it ` +
          '(the operator policy, docs/operations.md), or run with a role that has it',
      };
    case 'no-region':
      return { message, fix: 'no AWS region is configured: pass --region or set AWS_REGION' };
    case 'no-credentials':
      return {
        message,
        fix: 'no AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is attached',
      };
    case 'network':
      return {
        message,
        fix:
          'the endpoint did not answer: check the network (VPC endpoint, proxy, DNS) and any ' +
          'AWS_ENDPOINT_URL_* variable that points the SDK elsewhere',
      };
    case 'not-found':
      return {
        message,
        fix: `check the name of the ${call.resource.split(' ')[0]} and the region (--region, AWS_REGION)`,
      };
    default:
      return {
        message,
        fix: 'retry; if it persists, look the AWS error name up in the service documentation',
      };
  }
}

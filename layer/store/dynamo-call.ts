import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { awsErrorName } from '../aws/aws-error-name.js';
import { TableNotFoundError, TokenStoreError } from '../errors/error-classes.js';

/** One call of the token store to DynamoDB, named for its error messages. */
export interface DynamoCall {
  tableName: string;
  tokenType: string;
  /** The store's step: read, claim, commit, release. */
  step: string;
  operation: 'GetItem' | 'UpdateItem';
  /** Abandon the call (SDK retries and back-off included) after this many ms. @default no limit */
  timeoutMs: number | undefined;
}

/** The SDK's per-call options handed to `send`: an abort signal when the call is bounded. */
export interface SdkCallOptions {
  abortSignal?: AbortSignal;
}

/**
 * Runs `send` and turns its SDK failures into our errors; a condition failure passes through for
 * the caller to read. The message names the store's step, the DynamoDB operation and the
 * failure's class (AWS error name or Node code), never the SDK's message: that stays in `cause`.
 */
export async function callDynamo<T>(
  call: DynamoCall,
  send: (options: SdkCallOptions) => Promise<T>,
): Promise<T> {
  // AbortSignal.timeout's timer is unref'd: a bounded call never holds the process open.
  const options: SdkCallOptions =
    call.timeoutMs === undefined ? {} : { abortSignal: AbortSignal.timeout(Math.max(0, call.timeoutMs)) };
  try {
    return await send(options);
  } catch (error) {
    if (isConditionFailure(error)) throw error;
    const code = awsErrorName(error);
    if (code === 'ResourceNotFoundException') throw new TableNotFoundError(call.tableName, { cause: error });
    const what = `DynamoDB ${call.operation} (${call.step}) of "${call.tokenType}" in table "${call.tableName}"`;
    const abandoned = options.abortSignal?.aborted === true;
    const message = abandoned
      ? `${what} was abandoned after ${call.timeoutMs} ms, the time left before the caller's deadline (${code})`
      : `${what} failed: ${code}`;
    throw new TokenStoreError(message, call.tokenType, {
      cause: error,
      code,
      throttled: THROTTLING.has(code),
      abandoned,
      // Throttling is transient too: TokenStoreError adds it.
      transient: !abandoned && TRANSIENT.has(code),
    });
  }
}

/** DynamoDB's answers for "too many requests on this item or table", after the SDK's own retries. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * Failures that say nothing about the request, only about the moment: the engine or the network
 * was unavailable. (A call abandoned at the caller's deadline is not here: it has no time left.)
 */
const TRANSIENT = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'TransactionConflictException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

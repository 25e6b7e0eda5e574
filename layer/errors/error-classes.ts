/**
 * Typed errors. Messages name what is wrong and never echo a value that could be
 * secret (token, refresh token, salt, credential). Guard with `isSharedTokenError`
 * rather than `instanceof` alone: a copy of this module in a Lambda layer and one
 * bundled into a function are different classes with the same `name`.
 */
import { isIdentifier } from '../aws/aws-error-name.js';
import { foreignCause } from './foreign-error.js';

/**
 * Marks our errors on their prototype, so a copy of this module (layer and bundle) knows the
 * other's errors without trusting a name alone: a user's own `ConfigurationError` is not ours.
 */
const OURS = Symbol.for('lambda-shared-token.error');

/**
 * The base class. A `cause` that is not one of our errors is replaced by a `ForeignErrorCopy`
 * (layer/errors/foreign-error.ts): its name, code, HTTP status and fault, never its message, stack or
 * properties, which may quote a URL with credentials, a response body or a secret (I4). Our
 * errors as causes are kept: they were made safe when they were built.
 */
export class SharedTokenError extends Error {
  override name = 'SharedTokenError';
  constructor(message?: string, options?: ErrorOptions) {
    super(
      message,
      options !== undefined && 'cause' in options
        ? { cause: foreignCause(options.cause, isOurs) }
        : undefined,
    );
  }
}
Object.defineProperty(SharedTokenError.prototype, OURS, { value: true });

/** One of our errors, from this copy of the module or another one. */
function isOurs(value: unknown): boolean {
  return (
    value instanceof SharedTokenError ||
    (isSharedTokenError(value) && (value as unknown as Record<symbol, unknown>)[OURS] === true)
  );
}

/** An AWS error name or Node code, when it is an identifier; else nothing (it could quote input). */
function safeCode(code: string | undefined): string | undefined {
  return typeof code === 'string' && isIdentifier(code) ? code : undefined;
}

/** Bad environment, options, secret or table: fails at once, never retried. */
export class ConfigurationError extends SharedTokenError {
  override name = 'ConfigurationError';
}

/**
 * The provider's Secrets Manager secret is missing, unreadable, not JSON, or lacks a field.
 * Names the secret and the field; never echoes a value.
 */
export class SecretError extends ConfigurationError {
  override name = 'SecretError';
  constructor(
    message: string,
    readonly secretName: string,
    options?: ErrorOptions & { field?: string; abandoned?: boolean },
  ) {
    super(message, options);
    this.field = options?.field;
    this.abandoned = options?.abandoned === true;
  }
  /** The field that is missing or invalid, when one is. */
  readonly field: string | undefined;
  /** The read was abandoned at the caller's deadline, not failed by Secrets Manager. */
  readonly abandoned: boolean;
}

/** The DynamoDB table named by the configuration does not exist (or is not reachable as named). */
export class TableNotFoundError extends ConfigurationError {
  override name = 'TableNotFoundError';
  constructor(
    readonly tableName: string,
    options?: ErrorOptions,
  ) {
    super(
      `DynamoDB table "${tableName}" does not exist: create it (partition key tokenType, type S) or fix DYNAMODB_TABLE_ACCESS_TOKENS`,
      options,
    );
  }
}

/** A DynamoDB call failed for a reason other than a condition check. */
export class TokenStoreError extends SharedTokenError {
  override name = 'TokenStoreError';
  constructor(
    message: string,
    readonly tokenType: string,
    options?: ErrorOptions & { throttled?: boolean; transient?: boolean; code?: string; abandoned?: boolean },
  ) {
    super(message, options);
    this.abandoned = options?.abandoned === true;
    this.throttled = options?.throttled === true;
    this.transient = options?.transient === true || this.throttled;
    this.code = safeCode(options?.code);
  }
  /** The failure's class: the AWS error name (`ThrottlingException`) or a Node code (`ECONNREFUSED`), when known. */
  readonly code: string | undefined;
  /** The call was abandoned at the caller's deadline (its `timeoutMs`), not failed by DynamoDB. */
  readonly abandoned: boolean;
  /** DynamoDB throttled the call (the one item is hot): a waiter polls again instead of failing. */
  readonly throttled: boolean;
  /**
   * Worth trying again a moment later: throttling, a connection refused or reset, a DynamoDB 5xx
   * (the SDK has already retried it). Not a missing table, a denied action or a bad request.
   */
  readonly transient: boolean;
}

/** The provider could not give a new token (HTTP failure, timeout, bad answer, shared back-off). */
export class TokenRefreshError extends SharedTokenError {
  override name = 'TokenRefreshError';
  constructor(
    message: string,
    readonly tokenType: string,
    options?: ErrorOptions & {
      /** HTTP status of the provider's answer, when there was one. */
      status?: number;
      /** OAuth2 `error` code of the provider's answer (`invalid_client`, ...), when there was one. */
      oauthError?: string;
      /** Epoch ms before which no container will ask the provider again. */
      retryAfter?: number;
    },
  ) {
    super(message, options);
    this.status = options?.status;
    this.oauthError = options?.oauthError;
    this.retryAfter = options?.retryAfter;
  }
  readonly status: number | undefined;
  readonly oauthError: string | undefined;
  /** Set by the lease holder once it has recorded the shared back-off. */
  retryAfter: number | undefined;
}

/**
 * The provider refused the OAuth2 refresh token (`invalid_grant`): revoked, expired, or rotated
 * away. No retry can fix it; a person must put a new refresh token in the secret (see DEPLOY.md).
 * Counted as `RefreshTokenExpired` besides `TokenRefreshFailed`, and logged as `refresh token expired`.
 */
export class RefreshTokenExpiredError extends TokenRefreshError {
  override name = 'RefreshTokenExpiredError';
}

/** The provider answered, but not with a usable token (no access_token, nonsense expiry, not JSON). */
export class InvalidProviderResponseError extends TokenRefreshError {
  override name = 'InvalidProviderResponseError';
}

/** What the caller's deadline cut short, on a {@link LockWaitTimeoutError}. */
export type DeadlineReason =
  /** The wait for another container's lease. */
  | 'lease-held'
  /** A DynamoDB call still unanswered (the TokenStoreError is the `cause`): a slow DynamoDB, often a busy one. */
  | 'store-call-abandoned'
  /** A KMS or Secrets Manager call still unanswered (the KmsError or SecretError is the `cause`). */
  | 'aws-call-abandoned'
  /**
   * Nobody held the lease, but the time left could not cover a refresh (the provider's timeout
   * and the commit): this caller did not claim, so a provider that is merely slower than the
   * time left is not cut short and booked as failed. `neededMs` says how much a refresh needs.
   */
  | 'too-little-time'
  /** This caller's refresh ran into its deadline: released without a back-off (the provider did nothing wrong). */
  | 'refresh-cut-short';

const DEADLINE_MESSAGES: Record<DeadlineReason, (tokenType: string, waitedMs: number) => string> = {
  'lease-held': (tokenType, waitedMs) =>
    `Gave up waiting for the refresh of "${tokenType}" by another container after ${waitedMs} ms: the invocation's deadline is near`,
  'store-call-abandoned': (tokenType, waitedMs) =>
    `Gave up on the token of "${tokenType}" after ${waitedMs} ms: a DynamoDB call was still unanswered at the invocation's deadline`,
  'aws-call-abandoned': (tokenType, waitedMs) =>
    `Gave up on the token of "${tokenType}" after ${waitedMs} ms: a KMS or Secrets Manager call was still unanswered at the invocation's deadline`,
  'too-little-time': (tokenType) =>
    `Did not refresh "${tokenType}": the time left before the invocation's deadline cannot cover a refresh (see neededMs)`,
  'refresh-cut-short': (tokenType, waitedMs) =>
    `The refresh of "${tokenType}" was cut short by the invocation's deadline after ${waitedMs} ms; no back-off recorded`,
};

/**
 * The invocation's deadline came before a token did; `reason` says what it cut short, and a call
 * abandoned at it is the `cause`. Never a provider failure: no container backs off for it.
 */
export class LockWaitTimeoutError extends SharedTokenError {
  override name = 'LockWaitTimeoutError';
  constructor(
    readonly tokenType: string,
    readonly waitedMs: number,
    options?: ErrorOptions & { reason?: DeadlineReason; neededMs?: number; leftMs?: number },
  ) {
    const reason = options?.reason ?? 'lease-held';
    let message = DEADLINE_MESSAGES[reason](tokenType, waitedMs);
    if (reason === 'too-little-time' && options?.neededMs !== undefined) {
      message =
        `Did not refresh "${tokenType}": a refresh needs ${options.neededMs} ms (the provider's timeoutMs and 1 s to commit, ` +
        `at most leaseMs) and the invocation had ${options.leftMs ?? 0} ms before its deadline less deadlineMarginMs: ` +
        'give the function a longer timeout, or the provider a shorter timeoutMs';
    }
    super(message, options);
    this.reason = reason;
    this.neededMs = options?.neededMs;
  }
  /** What the deadline cut short. */
  readonly reason: DeadlineReason;
  /** For `too-little-time`: the time a refresh needs before the deadline (less deadlineMarginMs). */
  readonly neededMs: number | undefined;
}

/**
 * A rejection of a version that a rejection-driven refresh committed less than
 * `rejectionRefreshIntervalMs` ago: not refreshed again, so a handler that keeps answering 401/403
 * itself (or an API that refuses every token) costs the fleet one refresh per interval, not one
 * per request. The API's own error surfaces instead; counted as `RejectionRefreshLimited`.
 */
export class RejectionRefreshLimitedError extends SharedTokenError {
  override name = 'RejectionRefreshLimitedError';
  constructor(
    readonly tokenType: string,
    readonly version: number,
    /** Epoch ms from which a rejection of this version refreshes again. */
    readonly refreshAllowedAt: number,
  ) {
    super(
      `Version ${version} of "${tokenType}" replaced a rejected token moments ago; it is not refreshed again before ${new Date(refreshAllowedAt).toISOString()} (rejectionRefreshIntervalMs)`,
    );
  }
}

/** A ciphertext could not be decrypted for this tokenType (tampered, swapped, wrong key). Treated as missing. */
export class DecryptError extends SharedTokenError {
  override name = 'DecryptError';
}

/**
 * AWS KMS could not be asked, or refused to answer (unreachable, throttled, AccessDenied, key
 * disabled or missing). Never a `DecryptError`: a KMS outage must not make every container treat
 * the shared token as missing and refresh it. Carries the operation and the AWS error name; the
 * SDK error is the `cause`.
 */
export class KmsError extends SharedTokenError {
  override name = 'KmsError';
  constructor(
    message: string,
    /** The KMS operation that failed. */
    readonly operation: 'GenerateDataKey' | 'Decrypt',
    options?: ErrorOptions & { code?: string; abandoned?: boolean },
  ) {
    super(message, options);
    this.code = safeCode(options?.code);
    this.abandoned = options?.abandoned === true;
  }
  /** The AWS error name (`ThrottlingException`, `AccessDeniedException`, ...), when KMS answered one. */
  readonly code: string | undefined;
  /** The call was abandoned at the caller's deadline, not failed by KMS. */
  readonly abandoned: boolean;
}

/** True when `error` is one of ours named `name` (or any of ours without `name`), across module copies. */
export function isSharedTokenError(error: unknown, name?: string): error is SharedTokenError {
  try {
    if (!(error instanceof Error)) return false;
    if (name !== undefined) return error.name === name;
    return error instanceof SharedTokenError || KNOWN_NAMES.has(error.name);
  } catch {
    // `instanceof` and `.name` run a proxy's traps or a getter, which may throw (a revoked proxy
    // does). Such a value is not one of ours, and this guard runs in catch blocks: it must answer.
    return false;
  }
}

/**
 * A TokenRefreshError or one of its subclasses, told by name as `isSharedTokenError` does: a new
 * subclass is added here, beside the classes, not at each place that asks.
 */
export function isTokenRefreshError(error: unknown): error is TokenRefreshError {
  return REFRESH_ERROR_NAMES.some((name) => isSharedTokenError(error, name));
}

const REFRESH_ERROR_NAMES = ['TokenRefreshError', 'RefreshTokenExpiredError', 'InvalidProviderResponseError'];

const KNOWN_NAMES = new Set([
  'SharedTokenError',
  'ConfigurationError',
  'SecretError',
  'TableNotFoundError',
  'TokenStoreError',
  'TokenRefreshError',
  'RefreshTokenExpiredError',
  'InvalidProviderResponseError',
  'LockWaitTimeoutError',
  'RejectionRefreshLimitedError',
  'DecryptError',
  'KmsError',
]);

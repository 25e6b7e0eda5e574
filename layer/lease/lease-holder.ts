import { AccessToken } from '../access-token.js';
import {
  InvalidProviderResponseError,
  isSharedTokenError,
  isTokenRefreshError,
  LockWaitTimeoutError,
  TokenRefreshError,
} from '../errors/error-classes.js';
import type { ProviderToken } from '../providers/token-provider.js';
import type { TokenRecord } from '../store/token-record.js';
import { AuditEvent, auditFields } from '../telemetry/audit.js';
import { MetricName } from '../telemetry/telemetry.js';
import { fromEpochSeconds, toEpochSeconds } from '../time/clock.js';
import { cutoffSignal, heldTimeout, MIN_CALL_MS } from '../time/deadline.js';
import { commitWithinLease } from './commit-within-lease.js';
import { providerBudgetMs } from './lease-timing.js';
import { nextRefreshDuration } from './refresh-duration.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';

/** The one log line of a dead refresh token (level error): CloudWatch metric filters can match it. */
export const REFRESH_TOKEN_EXPIRED_MESSAGE = 'refresh token expired';
const REFRESH_TOKEN_EXPIRED_ACTION =
  'put a new refresh token in the secret and delete the item of this tokenType (see the deploy guide)';

/**
 * AAD of the refresh token: NUL cannot occur in a tokenType, so no access-token AAD equals it
 * and the two ciphertexts cannot be swapped within an item.
 */
export const refreshTokenContext = (tokenType: string): string => `${tokenType}\u0000refreshToken`;

/**
 * Step 5, for the container that holds the lease: call the provider within the lease,
 * encrypt, and commit fenced by `lockOwner = owner`. Returns the new token, or
 * `undefined` when the lease was taken over meanwhile (I3: nothing was overwritten).
 * A provider failure releases the lease with the shared back-off and throws.
 */
export async function refreshAsHolder(
  options: ResolvedTokenManagerOptions,
  claimed: TokenRecord,
  lease: HeldLease,
): Promise<AccessToken | undefined> {
  const { tokenType, cipher, provider, clock, logger, metrics } = options;
  const { owner, leaseExpiresAt, cutoff, rejectedVersion } = lease;
  const startedAt = clock.now();
  // The fields of this refresh's one audit line, whatever its outcome.
  const refreshAudit = (outcome: string, version = claimed.version) =>
    auditFields(AuditEvent.Refresh, tokenType, { version, lockOwner: owner, outcome });
  const providerBudget = providerBudgetMs(leaseExpiresAt - startedAt);
  const budget = heldTimeout(providerBudget);

  let fresh: ProviderToken;
  let sentRefreshToken: string | undefined;
  try {
    const stored = await storedRefreshToken(options, claimed, cutoff);
    sentRefreshToken = stored.refreshToken;
    fresh = await provider.fetchToken({ tokenType, ...stored, signal: budget.signal });
    validateProviderToken(options, fresh, clock.now());
  } catch (error) {
    const budgetSpent = budget.signal.aborted || clock.now() - startedAt >= providerBudget;
    if (lease.cutByDeadline && isBudgetAbort(error, budgetSpent)) {
      throw await cutShort(options, owner, clock.now() - startedAt, error, cutoff);
    }
    const failure = asRefreshError(tokenType, error, providerBudget);
    const failures = (claimed.failures ?? 0) + 1;
    const backoff = Math.min(options.failureBackoffMaxMs, options.failureBackoffMs * 2 ** (failures - 1));
    const retryAfter = clock.now() + backoff;
    await releaseLease(options, owner, retryAfter, cutoff);
    metrics.record(MetricName.TokenRefreshFailed, 1, tokenType);
    const fields = {
      ...refreshAudit('failed'),
      error: failure.name,
      // The class of what went wrong underneath (TimeoutError, TypeError of a failed fetch...):
      // without it a timeout and a refused connection log alike. A name, never a message.
      cause: failure.cause instanceof Error ? failure.cause.name : undefined,
      status: failure.status,
      oauthError: failure.oauthError,
      failures,
      backoffMs: backoff,
    };
    if (isSharedTokenError(failure, 'RefreshTokenExpiredError')) {
      // Its own metric and its own message, so an alarm (or a metric filter on the message) can
      // page a person: no retry fixes a dead refresh token.
      metrics.record(MetricName.RefreshTokenExpired, 1, tokenType);
      logger.error(REFRESH_TOKEN_EXPIRED_MESSAGE, { ...fields, action: REFRESH_TOKEN_EXPIRED_ACTION });
    } else {
      logger.error('token refresh failed', fields);
    }
    failure.retryAfter = retryAfter;
    throw failure;
  } finally {
    budget.clear();
  }

  const rotated = fresh.refreshToken !== undefined && fresh.refreshToken !== sentRefreshToken;
  let committed: TokenRecord | undefined;
  const expiresAt = toEpochSeconds(fresh.expiresAt);
  const updatedAt = toEpochSeconds(clock.now());
  try {
    const signal = cutoffSignal(cutoff, clock.now());
    const accessToken = await cipher.encrypt(fresh.accessToken, tokenType, { signal });
    const refreshToken =
      fresh.refreshToken === undefined
        ? undefined
        : await cipher.encrypt(fresh.refreshToken, refreshTokenContext(tokenType), { signal });
    // From the claim granted to the commit, on this container's clock: what the next waiters
    // sleep by, counted from the lease's lockClaimedAt. The claim's own time in DynamoDB is left
    // out: it is the storm's, not the provider's, and a waiter that wakes early only polls.
    const refreshDuration = nextRefreshDuration(claimed, clock.now() - startedAt);
    committed = await commitWithinLease(
      options,
      {
        owner,
        accessToken,
        expiresAt,
        updatedAt,
        ...(refreshToken !== undefined && { refreshToken }),
        ...(refreshDuration !== undefined && { refreshDuration }),
        ...(rejectedVersion !== undefined && { rejectedVersion }),
      },
      cutoff,
    );
  } catch (error) {
    // Encryption or DynamoDB failed past every retry the caller's deadline allowed: the
    // provider's answer is lost, and the lease stays until it runs out. Counted as a failed
    // refresh, so every provider call is accounted for (I1); no back-off is recorded, the
    // provider did nothing wrong.
    metrics.record(MetricName.TokenRefreshFailed, 1, tokenType);
    logger.error('token refresh failed', {
      ...refreshAudit('commit-failed'),
      error: error instanceof Error ? error.name : 'unknown',
    });
    if (rotated) rotatedRefreshTokenLost(options, owner, 'commit-failed');
    throw error;
  }
  if (!committed) {
    metrics.record(MetricName.LeaseLost, 1, tokenType);
    logger.warn('lease lost before commit; the newer token stays', refreshAudit('lease-lost'));
    if (rotated) rotatedRefreshTokenLost(options, owner, 'lease-lost');
    return undefined;
  }
  metrics.record(MetricName.TokenRefreshed, 1, tokenType);
  logger.info('token refreshed', {
    ...refreshAudit('committed', committed.version),
    expiresAt,
    providerMs: clock.now() - startedAt,
  });
  return new AccessToken(
    tokenType,
    fresh.accessToken,
    fromEpochSeconds(expiresAt),
    committed.version,
    fromEpochSeconds(committed.updatedAt ?? updatedAt),
  );
}

/** The lease a container holds for one refresh, and the caller's bounds on it. */
export interface HeldLease {
  /** The claim's `lockOwner`: the commit is fenced by it (I3). */
  owner: string;
  /** Epoch ms: when the lease ends; the provider call ends before it. */
  leaseExpiresAt: number;
  /**
   * Epoch ms: the caller's deadline less `deadlineMarginMs`. Encryption and the commit may go on
   * past the lease until then (the commit stays fenced by `owner`), never past it (I2).
   */
  cutoff: number;
  /** The lease was cut to the time the caller had left (shorter than `leaseMs`). */
  cutByDeadline: boolean;
  /** The version a provider rejected, when that rejection is why this refresh runs. */
  rejectedVersion?: number | undefined;
}

/** The one log line of a rotated refresh token that could not be stored (level error), and its metric. */
export const ROTATED_REFRESH_TOKEN_LOST_MESSAGE = 'rotated refresh token lost';
const ROTATED_REFRESH_TOKEN_LOST_ACTION =
  'if the next refreshes fail with invalid_grant, put a new refresh token in the secret and delete the item of this tokenType (see the deploy guide)';

/**
 * The provider rotated the refresh token and this holder could not store the new one: the item
 * keeps the old one, which the next holder sends and the provider may refuse as rotated away (or
 * answer by revoking the whole family). Never silent: a metric an alarm watches, and one line.
 */
function rotatedRefreshTokenLost(options: ResolvedTokenManagerOptions, owner: string, outcome: string): void {
  options.metrics.record(MetricName.RotatedRefreshTokenLost, 1, options.tokenType);
  options.logger.error(ROTATED_REFRESH_TOKEN_LOST_MESSAGE, {
    tokenType: options.tokenType,
    lockOwner: owner,
    outcome,
    action: ROTATED_REFRESH_TOKEN_LOST_ACTION,
  });
}

/**
 * The provider call ran into the lease this caller cut to its own deadline: the lease goes back
 * without a back-off (the provider did nothing wrong, and the next container with more time may
 * ask at once), and the caller gets the deadline error it would have got waiting.
 */
async function cutShort(
  options: ResolvedTokenManagerOptions,
  owner: string,
  elapsedMs: number,
  error: unknown,
  cutoff: number,
): Promise<LockWaitTimeoutError> {
  await releaseLease(options, owner, undefined, cutoff);
  options.metrics.record(MetricName.RefreshCutShort, 1, options.tokenType);
  options.logger.warn("token refresh cut short by the caller's deadline; lease released, no back-off", {
    ...auditFields(AuditEvent.Refresh, options.tokenType, { lockOwner: owner, outcome: 'cut-short' }),
    elapsedMs,
  });
  return new LockWaitTimeoutError(options.tokenType, elapsedMs, {
    reason: 'refresh-cut-short',
    cause: error,
  });
}

/** Gives the lease back (with the shared back-off when `retryAfter` is set); a failure is only logged. */
async function releaseLease(
  options: ResolvedTokenManagerOptions,
  owner: string,
  retryAfter: number | undefined,
  /** Epoch ms: the caller's deadline less `deadlineMarginMs`. */
  cutoff: number,
): Promise<void> {
  const { tokenType, store, logger, clock } = options;
  // Bounded by the caller's cutoff like every AWS call: the lease runs out by itself if this one never answers.
  const timeoutMs = Math.max(MIN_CALL_MS, cutoff - clock.now());
  const request = { owner, timeoutMs, ...(retryAfter !== undefined && { retryAfter }) };
  await store.release(tokenType, request).catch((releaseError: unknown) => {
    // The lease runs out by itself; the refresh error is the one the caller needs.
    logger.warn('could not release the lease after a failed refresh', {
      tokenType,
      error: releaseError instanceof Error ? releaseError.name : 'unknown',
    });
  });
}

/** The provider's failure is the abort of the holder's own budget, not the provider's own timeout. */
function isBudgetAbort(error: unknown, budgetSpent: boolean): boolean {
  // By name: a DOMException may come from another realm, and a provider may wrap the abort.
  const nameOf = (value: unknown) => (value as { name?: unknown } | null | undefined)?.name;
  const aborted = [nameOf(error), nameOf((error as { cause?: unknown } | null)?.cause)].some(
    (name) => name === 'TimeoutError' || name === 'AbortError',
  );
  return aborted && budgetSpent;
}

/**
 * The item's refresh token for the provider. One that does not decrypt is reported as such, so a
 * refresh-token provider does not fall back to its bootstrap token (rotated away: a replay).
 */
async function storedRefreshToken(
  options: ResolvedTokenManagerOptions,
  claimed: TokenRecord,
  cutoff: number,
): Promise<{ refreshToken?: string; refreshTokenUndecryptable?: true }> {
  if (claimed.refreshToken === undefined) return {};
  try {
    return {
      refreshToken: await options.cipher.decrypt(
        claimed.refreshToken,
        refreshTokenContext(options.tokenType),
        { signal: cutoffSignal(cutoff, options.clock.now()) },
      ),
    };
  } catch (error) {
    if (!isSharedTokenError(error, 'DecryptError')) throw error;
    options.metrics.record(MetricName.DecryptFailed, 1, options.tokenType);
    options.logger.warn(
      'stored refresh token does not decrypt; the provider is told so',
      auditFields(AuditEvent.DecryptFailure, options.tokenType, {
        version: claimed.version,
        outcome: 'provider-told',
      }),
    );
    return { refreshTokenUndecryptable: true };
  }
}

/** A token that is stale on arrival would make every container refresh again at once. */
function validateProviderToken(
  options: ResolvedTokenManagerOptions,
  token: ProviderToken,
  now: number,
): void {
  const { tokenType, skewMs } = options;
  if (typeof token?.accessToken !== 'string' || token.accessToken === '') {
    throw new InvalidProviderResponseError('The provider returned no access token', tokenType);
  }
  if (typeof token.expiresAt !== 'number' || !Number.isFinite(token.expiresAt)) {
    throw new InvalidProviderResponseError('The provider returned no usable expiry', tokenType);
  }
  // Judged on what the store will hold: whole seconds, rounded down.
  const lifetimeMs = fromEpochSeconds(toEpochSeconds(token.expiresAt)) - now;
  if (lifetimeMs <= skewMs) {
    throw new InvalidProviderResponseError(
      `The provider's token lives ${Math.round(lifetimeMs)} ms, not longer than skewMs (${skewMs} ms): it would be stale on arrival`,
      tokenType,
    );
  }
}

function asRefreshError(tokenType: string, error: unknown, budgetMs: number): TokenRefreshError {
  if (isTokenRefreshError(error)) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new TokenRefreshError(
      `The provider of "${tokenType}" did not answer within ${Math.round(budgetMs)} ms (inside the lease)`,
      tokenType,
      { cause: error },
    );
  }
  return new TokenRefreshError(`The provider of "${tokenType}" failed to issue a token`, tokenType, {
    cause: error,
  });
}

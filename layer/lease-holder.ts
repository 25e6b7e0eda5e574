import { AccessToken } from './access-token.js';
import { AuditEvent, auditFields } from './audit.js';
import { fromEpochSeconds, toEpochSeconds } from './clock.js';
import { commitWithinLease } from './commit-within-lease.js';
import {
  InvalidProviderResponseError,
  isSharedTokenError,
  isTokenRefreshError,
  TokenRefreshError,
} from './errors.js';
import type { ProviderToken } from './providers/token-provider.js';
import { MetricName } from './telemetry.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';
import type { TokenRecord } from './token-store.js';

/** Time kept between the end of the provider call and the end of the lease, for encrypt + commit. */
const COMMIT_SHARE = 0.2;
const COMMIT_MARGIN_MAX_MS = 1_000;

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
  owner: string,
  leaseExpiresAt: number,
  /** The version a provider rejected, when that rejection is why this refresh runs. */
  rejectedVersion?: number,
): Promise<AccessToken | undefined> {
  const { tokenType, store, cipher, provider, clock, logger, metrics } = options;
  const startedAt = clock.now();
  // The fields of this refresh's one audit line, whatever its outcome.
  const refreshAudit = (outcome: string, version = claimed.version) =>
    auditFields(AuditEvent.Refresh, tokenType, { version, lockOwner: owner, outcome });
  const leaseLeft = leaseExpiresAt - startedAt;
  // AbortSignal.timeout takes whole milliseconds only.
  const providerBudget = Math.max(
    1,
    Math.floor(leaseLeft - Math.min(COMMIT_MARGIN_MAX_MS, leaseLeft * COMMIT_SHARE)),
  );

  let fresh: ProviderToken;
  let sentRefreshToken: string | undefined;
  try {
    const stored = await storedRefreshToken(options, claimed);
    sentRefreshToken = stored.refreshToken;
    fresh = await provider.fetchToken({
      tokenType,
      ...stored,
      signal: AbortSignal.timeout(providerBudget),
    });
    validateProviderToken(options, fresh, clock.now());
  } catch (error) {
    const failure = asRefreshError(tokenType, error, providerBudget);
    const failures = (claimed.failures ?? 0) + 1;
    const backoff = Math.min(options.failureBackoffMaxMs, options.failureBackoffMs * 2 ** (failures - 1));
    const retryAfter = clock.now() + backoff;
    await store.release(tokenType, { owner, retryAfter }).catch((releaseError: unknown) => {
      // The lease runs out by itself; the refresh error is the one the caller needs.
      logger.warn('could not release the lease after a failed refresh', {
        tokenType,
        error: releaseError instanceof Error ? releaseError.name : 'unknown',
      });
    });
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
  }

  const expiresAt = toEpochSeconds(fresh.expiresAt);
  const accessToken = await cipher.encrypt(fresh.accessToken, tokenType);
  const refreshToken =
    fresh.refreshToken === undefined
      ? undefined
      : await cipher.encrypt(fresh.refreshToken, refreshTokenContext(tokenType));
  const updatedAt = toEpochSeconds(clock.now());
  let committed: TokenRecord | undefined;
  try {
    committed = await commitWithinLease(
      options,
      {
        owner,
        accessToken,
        expiresAt,
        updatedAt,
        ...(refreshToken !== undefined && { refreshToken }),
        ...(rejectedVersion !== undefined && { rejectedVersion }),
      },
      leaseExpiresAt,
    );
  } catch (error) {
    // DynamoDB failed the commit past the SDK's retries and ours within the lease: the provider's
    // answer is lost, and the lease stays until it runs out. Counted as a failed refresh, so every
    // provider call is accounted for (I1); no back-off is recorded, the provider did nothing wrong.
    metrics.record(MetricName.TokenRefreshFailed, 1, tokenType);
    logger.error('token refresh failed', {
      ...refreshAudit('commit-failed'),
      error: error instanceof Error ? error.name : 'unknown',
    });
    throw error;
  }
  if (!committed) {
    metrics.record(MetricName.LeaseLost, 1, tokenType);
    logger.warn('lease lost before commit; the newer token stays', refreshAudit('lease-lost'));
    if (fresh.refreshToken !== undefined && fresh.refreshToken !== sentRefreshToken) {
      // The provider rotated the refresh token and this holder cannot store the new one: the
      // item keeps the old one, which the provider may refuse as rotated away.
      logger.error(
        'lease lost holding a rotated refresh token; if refreshes now fail with invalid_grant, put a new refresh token in the secret and delete the item',
        {
          tokenType,
          lockOwner: owner,
        },
      );
    }
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

/**
 * The item's refresh token for the provider. One that does not decrypt is reported as such, so a
 * refresh-token provider does not fall back to its bootstrap token (rotated away: a replay).
 */
async function storedRefreshToken(
  options: ResolvedTokenManagerOptions,
  claimed: TokenRecord,
): Promise<{ refreshToken?: string; refreshTokenUndecryptable?: true }> {
  if (claimed.refreshToken === undefined) return {};
  try {
    return {
      refreshToken: await options.cipher.decrypt(
        claimed.refreshToken,
        refreshTokenContext(options.tokenType),
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

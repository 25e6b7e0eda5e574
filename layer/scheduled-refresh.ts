/**
 * The scheduled refresher: an EventBridge-invoked Lambda that renews every configured token
 * before it expires, so the functions on the request path find a fresh one. It goes through
 * the same lease and fence as every other caller (`refreshIfDue`), so the refresher and the
 * Lambdas together still make one provider call per token generation (I1).
 */
import {
  ConfigurationError,
  isSharedTokenError,
  SharedTokenError,
  type TokenRefreshError,
} from './errors/error-classes.js';
import type { DeferReason, RefreshOutcome } from './lease/refresh-outcome.js';
import type { GetTokenOptions } from './lease/token-manager.js';
import {
  aDuration,
  anObject,
  aWholeNumber,
  type OptionRules,
  omitOptions,
  validateOptions,
} from './options/option-rules.js';
import { addLambdaContext } from './telemetry/lambda-context.js';
import { createPowertoolsLogger } from './telemetry/powertools-logger.js';
import { silentLogger, type TokenLogger } from './telemetry/telemetry.js';

/** What the refresher needs of a token: a `SharedToken` (or a `TokenManager`) is one. */
export interface RefreshTarget {
  readonly tokenType: string;
  refreshIfDue(options?: GetTokenOptions): Promise<RefreshOutcome>;
  /** Publishes buffered metrics; called once per run when present. */
  flushMetrics?(): void;
}

export interface RefreshTokensOptions {
  /**
   * Epoch ms by which the run ends (Lambda: `Date.now() + context.getRemainingTimeInMillis()`).
   * No lease is held past it minus the manager's `deadlineMarginMs`.
   * @default each manager's own default (now + maxWaitMs)
   */
  deadline?: number;
  /** How many tokenTypes refresh at the same time. @default 4 */
  concurrency?: number;
  /** Receives the one summary line (info, `scheduled refresh`). @default silent */
  logger?: TokenLogger;
}

/** Epoch ms throughout; never a token value. */
export interface RefreshSummary {
  /** Refreshed by this run: one provider call each. */
  refreshed: { tokenType: string; version: number; expiresAt: number }[];
  /** Nothing to do: outside the refresh-ahead window, or another container just refreshed it. */
  fresh: { tokenType: string; version: number; expiresAt: number; refreshedByOther: boolean }[];
  /** Due, but left for now (another container's live lease, shared back-off, ...); not a failure. */
  deferred: { tokenType: string; reason: DeferReason }[];
  /** The refresh failed: the error's name and OAuth2 code only (details are in the error log line). */
  failed: { tokenType: string; error: string; oauthError?: string; status?: number }[];
  counts: { refreshed: number; fresh: number; deferred: number; failed: number };
}

/** Message of the summary log line (info). */
export const SCHEDULED_REFRESH_MESSAGE = 'scheduled refresh';

/**
 * Runs `refreshIfDue` for every target, at most `concurrency` at once, each isolated from the
 * others' failures; logs one summary line and returns the summary. Never throws for a target.
 */
export async function refreshTokens(
  targets: readonly RefreshTarget[],
  options: RefreshTokensOptions = {},
): Promise<RefreshSummary> {
  validateOptions('refreshTokens', options, REFRESH_TOKENS_OPTIONS);
  const { deadline, concurrency = 4, logger = silentLogger } = options;
  checkTargets(targets);
  const settled: { target: RefreshTarget; result: PromiseSettledResult<RefreshOutcome> }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const target = targets[next++]!;
      try {
        const outcome = await target.refreshIfDue(deadline === undefined ? {} : { deadline });
        settled.push({ target, result: { status: 'fulfilled', value: outcome } });
      } catch (reason) {
        settled.push({ target, result: { status: 'rejected', reason } });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  const summary = summarize(settled);
  logger.info(SCHEDULED_REFRESH_MESSAGE, summaryAttributes(summary));
  return summary;
}

/** The part of Lambda's context the handler reads. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** Every option refreshTokens accepts, with what its value must be. */
const REFRESH_TOKENS_OPTIONS: OptionRules = {
  deadline: aDuration(),
  concurrency: aWholeNumber(1),
  logger: anObject,
};

export interface ScheduledRefreshHandlerOptions extends Omit<RefreshTokensOptions, 'deadline'> {
  /** @default a Powertools Logger (service from POWERTOOLS_SERVICE_NAME) */
  logger?: TokenLogger;
}

/** Thrown by the handler after a run in which some target failed; Lambda counts it as an Error. */
export class ScheduledRefreshError extends SharedTokenError {
  override name = 'ScheduledRefreshError';
  constructor(readonly summary: RefreshSummary) {
    super(
      `Scheduled refresh failed for ${summary.failed
        .map(({ tokenType, error }) => `"${tokenType}" (${error})`)
        .join(', ')}; the other tokenTypes were handled`,
    );
  }
}

/**
 * An EventBridge target: `export const handler = scheduledRefreshHandler([salesforceToken])`.
 * Each run ends by the Lambda's deadline, logs the summary, flushes the targets' metrics and
 * returns the summary. When a target FAILED it throws `ScheduledRefreshError` after all of
 * that, so the function's `Errors` metric (the module's refresher_errors alarm) sees it; a
 * deferred target is not a failure.
 */
export function scheduledRefreshHandler(
  targets: readonly RefreshTarget[],
  options: ScheduledRefreshHandlerOptions = {},
): (event: unknown, context: RemainingTime) => Promise<RefreshSummary> {
  validateOptions('scheduledRefreshHandler', options, omitOptions(REFRESH_TOKENS_OPTIONS, 'deadline'));
  checkTargets(targets);
  const logger = options.logger ?? createPowertoolsLogger();
  return async function scheduledRefresh(_event, context) {
    // Its summary line carries the invocation's context, as the middleware's lines do.
    addLambdaContext(logger, context);
    const deadline = Date.now() + context.getRemainingTimeInMillis();
    let summary: RefreshSummary;
    try {
      summary = await refreshTokens(targets, { ...options, logger, deadline });
    } finally {
      for (const target of targets) target.flushMetrics?.();
    }
    if (summary.failed.length > 0) throw new ScheduledRefreshError(summary);
    return summary;
  };
}

function checkTargets(targets: readonly RefreshTarget[]): void {
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new ConfigurationError('The scheduled refresher needs at least one target (a SharedToken)');
  }
  const seen = new Set<string>();
  for (const target of targets) {
    if (typeof target?.refreshIfDue !== 'function') {
      throw new ConfigurationError(
        'Every scheduled refresh target must have refreshIfDue() (a SharedToken does)',
      );
    }
    // Two targets of one tokenType would only contend for one lease.
    if (seen.has(target.tokenType)) {
      throw new ConfigurationError(
        `tokenType "${target.tokenType}" is listed twice for the scheduled refresher`,
      );
    }
    seen.add(target.tokenType);
  }
}

function summarize(
  settled: { target: RefreshTarget; result: PromiseSettledResult<RefreshOutcome> }[],
): RefreshSummary {
  const summary: RefreshSummary = {
    refreshed: [],
    fresh: [],
    deferred: [],
    failed: [],
    counts: { refreshed: 0, fresh: 0, deferred: 0, failed: 0 },
  };
  for (const { target, result } of settled) {
    const { tokenType } = target;
    if (result.status === 'rejected') {
      summary.failed.push({ tokenType, ...describeError(result.reason) });
      continue;
    }
    const outcome = result.value;
    if (outcome.outcome === 'deferred') summary.deferred.push({ tokenType, reason: outcome.reason });
    else if (outcome.outcome === 'refreshed') {
      summary.refreshed.push({ tokenType, version: outcome.version, expiresAt: outcome.expiresAt });
    } else {
      summary.fresh.push({
        tokenType,
        version: outcome.version,
        expiresAt: outcome.expiresAt,
        refreshedByOther: outcome.outcome === 'refreshed-by-other',
      });
    }
  }
  for (const list of ['refreshed', 'fresh', 'deferred', 'failed'] as const) {
    summary[list].sort((a, b) => a.tokenType.localeCompare(b.tokenType));
    summary.counts[list] = summary[list].length;
  }
  return summary;
}

/** Name, OAuth2 code and HTTP status: never the message of an error that is not ours. */
function describeError(error: unknown): { error: string; oauthError?: string; status?: number } {
  if (!(error instanceof Error)) return { error: typeof error };
  if (!isSharedTokenError(error)) return { error: (error as Error).name };
  const { oauthError, status } = error as Partial<TokenRefreshError>;
  return {
    error: error.name,
    ...(typeof oauthError === 'string' && { oauthError }),
    ...(typeof status === 'number' && { status }),
  };
}

/** Log attributes are flat: counts, and the tokenTypes of each list joined by commas. */
function summaryAttributes(summary: RefreshSummary) {
  const names = (list: { tokenType: string }[]) => list.map(({ tokenType }) => tokenType).join(',');
  return {
    refreshed: summary.counts.refreshed,
    fresh: summary.counts.fresh,
    deferred: summary.counts.deferred,
    failed: summary.counts.failed,
    refreshedTokenTypes: names(summary.refreshed),
    freshTokenTypes: names(summary.fresh),
    deferredTokenTypes: summary.deferred.map(({ tokenType, reason }) => `${tokenType}:${reason}`).join(','),
    failedTokenTypes: summary.failed.map(({ tokenType, error }) => `${tokenType}:${error}`).join(','),
  };
}

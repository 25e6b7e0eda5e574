import type { AccessToken } from '../access-token.js';
import { LockWaitTimeoutError } from '../errors/error-classes.js';
import { errorName } from '../errors/error-name.js';
import type { TokenRecord } from '../store/token-record.js';
import { AuditEvent, auditFields } from '../telemetry/audit.js';
import { MetricName } from '../telemetry/telemetry.js';
import { asDeadlineReached, cutoffSignal } from '../time/deadline.js';
import { callDeadline } from './call-deadline.js';
import { ContainerMemory } from './container-memory.js';
import { LeaseRounds } from './lease-rounds.js';
import { leaseIsLive, refreshAheadFrom } from './lease-timing.js';
import { RefreshAhead } from './refresh-ahead.js';
import type { DeferReason, RefreshOutcome } from './refresh-outcome.js';
import { rejectionRefreshLimit } from './rejection-bound.js';
import {
  type ResolvedTokenManagerOptions,
  resolveTokenManagerOptions,
  type TokenManagerOptions,
} from './token-manager-options.js';

export interface GetTokenOptions {
  /**
   * Epoch ms when the caller's invocation ends (Lambda: `Date.now() + context.getRemainingTimeInMillis()`).
   * Nobody waits or holds a lease past it minus `deadlineMarginMs`.
   * @default now + maxWaitMs
   */
  deadline?: number;
}

/**
 * The protocol of docs/how-it-works.md, steps 1 to 7, for one tokenType in one container.
 * Keeps the per-container memory cache; everything shared goes through the store.
 */
export class TokenManager {
  readonly tokenType: string;
  private readonly options: ResolvedTokenManagerOptions;
  private readonly memory: ContainerMemory;
  private readonly rounds: LeaseRounds;
  private readonly refreshAhead: RefreshAhead;
  /** Single flight: one store round per reason (`fresh`, or the rejected version) at a time. */
  private readonly inflight = new Map<string, Promise<AccessToken>>();

  constructor(options: TokenManagerOptions) {
    this.options = resolveTokenManagerOptions(options);
    this.tokenType = this.options.tokenType;
    this.memory = new ContainerMemory(this.options);
    this.rounds = new LeaseRounds(this.options, this.memory);
    this.refreshAhead = new RefreshAhead(this.options, this.memory, this.rounds);
  }

  /** Step 1 to 6: a valid token, from memory when it can (zero network calls). */
  async getToken(options: GetTokenOptions = {}): Promise<AccessToken> {
    const now = this.options.clock.now();
    const deadline = this.deadline(options, now);
    const cached = this.memory.cached;
    if (cached && this.memory.isFresh(cached.expiresAt, now)) {
      this.rounds.metric(MetricName.TokenCacheHit);
      if (now >= refreshAheadFrom(cached, this.options.refreshAheadMs)) {
        await this.refreshAhead.once(cached, deadline);
        return this.memory.cached ?? cached;
      }
      return cached;
    }
    return this.singleFlight('fresh', deadline, () => this.acquire(deadline, this.memory.rejectedUpTo));
  }

  /**
   * Step 1 alone, synchronously: the token in memory when it is fresh and outside the
   * refresh-ahead window (counted as a TokenCacheHit), else `undefined` and nothing counted:
   * the caller then calls `getToken`. The warm path of an invocation is this call.
   */
  cachedToken(options: GetTokenOptions = {}): AccessToken | undefined {
    const now = this.options.clock.now();
    this.deadline(options, now);
    const cached = this.memory.cached;
    if (
      !cached ||
      !this.memory.isFresh(cached.expiresAt, now) ||
      now >= refreshAheadFrom(cached, this.options.refreshAheadMs)
    ) {
      return undefined;
    }
    this.rounds.metric(MetricName.TokenCacheHit);
    return cached;
  }

  /**
   * Step 7: the provider answered 401/403 to `rejected`. Returns a token of a newer
   * generation; however many callers reject the same version, one provider call is made.
   */
  async refreshRejected(rejected: AccessToken | number, options: GetTokenOptions = {}): Promise<AccessToken> {
    const version = typeof rejected === 'number' ? rejected : rejected.version;
    const now = this.options.clock.now();
    const deadline = this.deadline(options, now);
    this.rounds.metric(MetricName.ProviderRejected);
    const alreadyNewer =
      this.memory.cached !== undefined &&
      this.memory.cached.version > version &&
      this.memory.isFresh(this.memory.cached.expiresAt, now);
    this.options.logger.warn(
      'provider rejected token',
      auditFields(AuditEvent.Rejection, this.tokenType, {
        version,
        outcome: alreadyNewer ? 'already-newer' : 'refreshing',
      }),
    );
    // A getToken made while this refresh runs must not pick the rejected version from the store;
    // kept aside, for a rejection the fleet-wide bound turns away.
    const before = { cached: this.memory.cached, rejectedUpTo: this.memory.rejectedUpTo };
    this.memory.rejectedUpTo = Math.max(this.memory.rejectedUpTo ?? version, version);
    if (alreadyNewer && this.memory.cached) return this.memory.cached;
    if (this.memory.cached && this.memory.cached.version <= version) this.memory.cached = undefined;
    return this.singleFlight(`rejected:${version}`, deadline, () =>
      this.refreshRejectedVersion(version, deadline, before),
    );
  }

  /**
   * Step 7 behind the fleet-wide bound: a version that itself replaced a rejected token less than
   * `rejectionRefreshIntervalMs` ago is not refreshed again. The rejection surfaces, and this
   * container goes on serving that version as before.
   */
  private async refreshRejectedVersion(
    version: number,
    deadline: number,
    before: { cached: AccessToken | undefined; rejectedUpTo: number | undefined },
  ): Promise<AccessToken> {
    const startedAt = this.options.clock.now();
    const record = await this.rounds
      .read(deadline - this.options.deadlineMarginMs)
      .catch((error: unknown) => {
        throw asDeadlineReached(error, this.tokenType, this.options.clock.now() - startedAt);
      });
    const limited = rejectionRefreshLimit(
      record,
      { tokenType: this.tokenType, version },
      this.options.rejectionRefreshIntervalMs,
      this.options.clock.now(),
    );
    if (!limited) return this.acquire(deadline, version, { record });
    if (this.memory.rejectedUpTo === version) this.memory.rejectedUpTo = before.rejectedUpTo;
    if (before.cached && this.memory.cached === undefined) this.memory.cached = before.cached;
    this.rounds.metric(MetricName.RejectionRefreshLimited);
    this.options.logger.warn('rejection not refreshed: its version replaced a rejected token moments ago', {
      ...auditFields(AuditEvent.Rejection, this.tokenType, { version, outcome: 'limited' }),
      refreshAllowedAt: limited.refreshAllowedAt,
    });
    throw limited;
  }

  /**
   * A call with `token` succeeded where the version before it was rejected: the new token cured
   * the rejection, so it was a real one. When this container committed that generation, the
   * bound on it is lifted (one conditional write), and a later revocation of it is refreshed at
   * once. A rejection the new token did not cure (the handler's own 403) is never confirmed and
   * stays bounded. Never throws: the caller's call has already succeeded.
   */
  async confirmRejectionRefresh(token: AccessToken, options: GetTokenOptions = {}): Promise<void> {
    if (this.memory.unconfirmedRejectionRefresh !== token.version) return;
    this.memory.unconfirmedRejectionRefresh = undefined;
    const cutoff = this.deadline(options, this.options.clock.now()) - this.options.deadlineMarginMs;
    try {
      await this.options.store.confirmRejectionRefresh?.(this.tokenType, {
        version: token.version,
        // Until the caller's cutoff, like every call: a confirmation lost to a slow DynamoDB
        // leaves the next rejection of this version bounded.
        timeoutMs: this.rounds.timeLeft(cutoff),
      });
    } catch (error) {
      this.options.logger.debug('could not confirm the refresh after a rejection; it stays bounded', {
        tokenType: this.tokenType,
        version: token.version,
        error: errorName(error),
      });
    }
  }

  /** Forget the in-memory token (the next call reads the store). */
  clearCache(): void {
    this.memory.cached = undefined;
  }

  /**
   * The scheduled refresher's call. Reads the item (consistent read) and, when its token is
   * missing, expired, undecryptable, rejected or inside `[expiresAt - refreshAheadMs, ...)`,
   * refreshes it through the same claim, provider call and fenced commit as `getToken`, so the
   * refresher and the Lambdas together still make one provider call per generation (I1). Outside
   * the window the provider is never asked. Another container's live lease is not waited for
   * (`deferred: lease-held`): the refresher has nothing to gain from that token, and the holder
   * reports its own failure. A failed refresh throws, like `getToken`'s.
   */
  async refreshIfDue(options: GetTokenOptions = {}): Promise<RefreshOutcome> {
    const startedAt = this.options.clock.now();
    const cutoff = this.deadline(options, startedAt) - this.options.deadlineMarginMs;
    try {
      return await this.refreshIfDueBy(cutoff);
    } catch (error) {
      throw asDeadlineReached(error, this.tokenType, this.options.clock.now() - startedAt);
    }
  }

  /**
   * Runs `work` (a call the token needs before the manager's own: reading the provider's secret)
   * with a signal aborted at the caller's cutoff; a call abandoned then is the deadline reached.
   */
  async withinDeadline<T>(options: GetTokenOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const startedAt = this.options.clock.now();
    const cutoff = this.deadline(options, startedAt) - this.options.deadlineMarginMs;
    try {
      return await work(cutoffSignal(cutoff, startedAt));
    } catch (error) {
      throw asDeadlineReached(error, this.tokenType, this.options.clock.now() - startedAt);
    }
  }

  private async refreshIfDueBy(cutoff: number): Promise<RefreshOutcome> {
    let record = await this.rounds.read(cutoff);
    const seenVersion = record?.version;
    // Each round is one conditional write that somebody else's write made fail; three are plenty.
    for (let round = 0; round < 3; round++) {
      const now = this.options.clock.now();
      const token = await this.rounds.usableToken(
        record,
        now,
        this.memory.rejectionStillApplies(record, this.memory.rejectedUpTo),
        cutoff,
      );
      if (token && round > 0 && token.version !== seenVersion) {
        return { outcome: 'refreshed-by-other', version: token.version, expiresAt: token.expiresAt };
      }
      if (token && now < refreshAheadFrom(token, this.options.refreshAheadMs, REFRESHER_LIFE_SHARE)) {
        this.memory.adopt(token);
        return { outcome: 'fresh', version: token.version, expiresAt: token.expiresAt };
      }
      if (record && leaseIsLive(record, now)) return deferred('lease-held', token);
      if (record?.retryAfter !== undefined && record.retryAfter > now) return deferred('backing-off', token);
      const timeLeft = cutoff - now;
      if (timeLeft < this.rounds.leaseNeeded()) return deferred('no-time-left', token);
      // The rule of refresh-ahead (RefreshAhead.tryOnce): a still-valid token is only replaced early
      // when it outlives the lease; TTL is held off only for a token that is already unusable.
      if (token && !this.rounds.outlivesItsLease(token, now, timeLeft))
        return deferred('expires-within-lease', token);
      const claimed = await this.rounds.claimAndRefresh(record, record?.version, now, timeLeft, {
        holdTtl: !token,
      });
      if (claimed.claimed && claimed.token) {
        return { outcome: 'refreshed', version: claimed.token.version, expiresAt: claimed.token.expiresAt };
      }
      // Lost the claim, or the lease before the commit (I3): look at what the other one left.
      record = claimed.claimed ? await this.rounds.read(cutoff) : claimed.current;
    }
    return deferred('lease-held', undefined);
  }

  /**
   * Concurrent callers share one round; a caller that joins it still gets its answer, or a
   * LockWaitTimeoutError, by its own deadline (the round may belong to a caller with more time).
   */
  private singleFlight(key: string, deadline: number, run: () => Promise<AccessToken>): Promise<AccessToken> {
    const pending = this.inflight.get(key);
    if (!pending) {
      const started = run().finally(() => this.inflight.delete(key));
      this.inflight.set(key, started);
      return started;
    }
    const waitMs = Math.max(0, deadline - this.options.deadlineMarginMs - this.options.clock.now());
    // Through the injectable sleep, so the caller's cutoff runs on the same clock as everything else.
    const timeout = this.options.sleep(waitMs).then((): never => {
      throw new LockWaitTimeoutError(this.tokenType, waitMs);
    });
    timeout.catch(() => {}); // The race may already be settled when this fires.
    return Promise.race([pending, timeout]);
  }

  /**
   * Steps 2, 4, 5 and 6, bounded by the caller's deadline. Every store call in them is abandoned
   * at the deadline; for the caller that is the deadline reached (a claim or poll that a busy
   * DynamoDB answered too late), so it surfaces as LockWaitTimeoutError, the abandoned call as its
   * cause, like a wait that ran out between two polls.
   */
  private async acquire(
    deadline: number,
    rejected: number | undefined,
    /** The item, when the caller has just read it. */
    known?: { record: TokenRecord | undefined },
  ): Promise<AccessToken> {
    const startedAt = this.options.clock.now();
    try {
      return await this.rounds.acquireUntilDeadline(deadline, rejected, known);
    } catch (error) {
      throw asDeadlineReached(error, this.tokenType, this.options.clock.now() - startedAt);
    }
  }

  private deadline(options: GetTokenOptions, now: number): number {
    return callDeadline(options, now, this.options.maxWaitMs);
  }
}

/**
 * The scheduled refresher's bound on its window, as a share of the token's life: wider than the
 * containers' half, so it still refreshes before their window opens (it runs on a schedule).
 */
const REFRESHER_LIFE_SHARE = 0.75;

function deferred(reason: DeferReason, token: AccessToken | undefined): RefreshOutcome {
  return {
    outcome: 'deferred',
    reason,
    ...(token && { version: token.version, expiresAt: token.expiresAt }),
  };
}

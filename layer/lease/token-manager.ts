import { randomBytes } from 'node:crypto';
import { AccessToken } from '../access-token.js';
import {
  ConfigurationError,
  isSharedTokenError,
  LockWaitTimeoutError,
  TokenRefreshError,
} from '../errors/error-classes.js';
import { errorName } from '../errors/error-name.js';
import type { TokenRecord } from '../store/token-store.js';
import { AuditEvent, auditFields } from '../telemetry/audit.js';
import { MetricName } from '../telemetry/telemetry.js';
import { fromEpochSeconds, toEpochSeconds } from '../time/clock.js';
import { asDeadlineReached, cutoffSignal, MIN_CALL_MS } from '../time/deadline.js';
import { refreshAsHolder } from './lease-holder.js';
import {
  leaseIsLive,
  leaseNeededMs,
  outlivesLease,
  pollDelay,
  refreshAheadFrom,
  TTL_MARGIN_MS,
} from './lease-timing.js';
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
 * The protocol of DESIGN.md, steps 1 to 7, for one tokenType in one container.
 * Keeps the per-container memory cache; everything shared goes through the store.
 */
export class TokenManager {
  readonly tokenType: string;
  private readonly options: ResolvedTokenManagerOptions;
  private cached: AccessToken | undefined;
  /** Single flight: one store round per reason (`fresh`, or the rejected version) at a time. */
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  private refreshAhead: Promise<void> | undefined;
  /** Epoch ms before which this container does not try another refresh-ahead claim. */
  private refreshAheadNotBefore = 0;
  private claims = 0;
  /** Highest version a provider rejected in this container: never served again. */
  private rejectedUpTo: number | undefined;
  private lastDecryptFailure: string | undefined;
  /**
   * Unique to this manager, between `ownerId` and the claim counter: the store grants a claim
   * whose lease is in the claim's own owner (an earlier attempt applied, its answer lost), so two
   * containers given the same `ownerId` must still never claim under the same owner.
   */
  private readonly instance = randomBytes(4).toString('hex');
  /** The generation this container committed because of a rejection, until a retry confirms it. */
  private unconfirmedRejectionRefresh: number | undefined;

  constructor(options: TokenManagerOptions) {
    this.options = resolveTokenManagerOptions(options);
    this.tokenType = this.options.tokenType;
  }

  /** Step 1 to 6: a valid token, from memory when it can (zero network calls). */
  async getToken(options: GetTokenOptions = {}): Promise<AccessToken> {
    const now = this.options.clock.now();
    const deadline = this.deadline(options, now);
    const cached = this.cached;
    if (cached && this.isFresh(cached.expiresAt, now)) {
      this.metric(MetricName.TokenCacheHit);
      if (now >= refreshAheadFrom(cached, this.options.refreshAheadMs)) {
        await this.refreshAheadOnce(cached, deadline);
        return this.cached ?? cached;
      }
      return cached;
    }
    return this.singleFlight('fresh', deadline, () => this.acquire(deadline, this.rejectedUpTo));
  }

  /**
   * Step 1 alone, synchronously: the token in memory when it is fresh and outside the
   * refresh-ahead window (counted as a TokenCacheHit), else `undefined` and nothing counted:
   * the caller then calls `getToken`. The warm path of an invocation is this call.
   */
  cachedToken(options: GetTokenOptions = {}): AccessToken | undefined {
    const now = this.options.clock.now();
    this.deadline(options, now);
    const cached = this.cached;
    if (
      !cached ||
      !this.isFresh(cached.expiresAt, now) ||
      now >= refreshAheadFrom(cached, this.options.refreshAheadMs)
    ) {
      return undefined;
    }
    this.metric(MetricName.TokenCacheHit);
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
    this.metric(MetricName.ProviderRejected);
    const alreadyNewer =
      this.cached !== undefined && this.cached.version > version && this.isFresh(this.cached.expiresAt, now);
    this.options.logger.warn(
      'provider rejected token',
      auditFields(AuditEvent.Rejection, this.tokenType, {
        version,
        outcome: alreadyNewer ? 'already-newer' : 'refreshing',
      }),
    );
    // A getToken made while this refresh runs must not pick the rejected version from the store;
    // kept aside, for a rejection the fleet-wide bound turns away.
    const before = { cached: this.cached, rejectedUpTo: this.rejectedUpTo };
    this.rejectedUpTo = Math.max(this.rejectedUpTo ?? version, version);
    if (alreadyNewer && this.cached) return this.cached;
    if (this.cached && this.cached.version <= version) this.cached = undefined;
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
    const record = await this.read(deadline - this.options.deadlineMarginMs).catch((error: unknown) => {
      throw asDeadlineReached(error, this.tokenType, this.options.clock.now() - startedAt);
    });
    const limited = rejectionRefreshLimit(
      record,
      { tokenType: this.tokenType, version },
      this.options.rejectionRefreshIntervalMs,
      this.options.clock.now(),
    );
    if (!limited) return this.acquire(deadline, version, { record });
    if (this.rejectedUpTo === version) this.rejectedUpTo = before.rejectedUpTo;
    if (before.cached && this.cached === undefined) this.cached = before.cached;
    this.metric(MetricName.RejectionRefreshLimited);
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
    if (this.unconfirmedRejectionRefresh !== token.version) return;
    this.unconfirmedRejectionRefresh = undefined;
    const cutoff = this.deadline(options, this.options.clock.now()) - this.options.deadlineMarginMs;
    try {
      await this.options.store.confirmRejectionRefresh?.(this.tokenType, {
        version: token.version,
        // Until the caller's cutoff, like every call: a confirmation lost to a slow DynamoDB
        // leaves the next rejection of this version bounded.
        timeoutMs: this.timeLeft(cutoff),
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
    this.cached = undefined;
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
    let record = await this.read(cutoff);
    const seenVersion = record?.version;
    // Each round is one conditional write that somebody else's write made fail; three are plenty.
    for (let round = 0; round < 3; round++) {
      const now = this.options.clock.now();
      const token = await this.usableToken(
        record,
        now,
        this.rejectionStillApplies(record, this.rejectedUpTo),
        cutoff,
      );
      if (token && round > 0 && token.version !== seenVersion) {
        return { outcome: 'refreshed-by-other', version: token.version, expiresAt: token.expiresAt };
      }
      if (token && now < refreshAheadFrom(token, this.options.refreshAheadMs, REFRESHER_LIFE_SHARE)) {
        this.adopt(token);
        return { outcome: 'fresh', version: token.version, expiresAt: token.expiresAt };
      }
      if (record && leaseIsLive(record, now)) return deferred('lease-held', token);
      if (record?.retryAfter !== undefined && record.retryAfter > now) return deferred('backing-off', token);
      const timeLeft = cutoff - now;
      if (timeLeft < this.leaseNeeded()) return deferred('no-time-left', token);
      // The rule of refresh-ahead (tryRefreshAhead): a still-valid token is only replaced early
      // when it outlives the lease; TTL is held off only for a token that is already unusable.
      if (token && !this.outlivesItsLease(token, now, timeLeft))
        return deferred('expires-within-lease', token);
      const claimed = await this.claimAndRefresh(record, record?.version, now, timeLeft, { holdTtl: !token });
      if (claimed.claimed && claimed.token) {
        return { outcome: 'refreshed', version: claimed.token.version, expiresAt: claimed.token.expiresAt };
      }
      // Lost the claim, or the lease before the commit (I3): look at what the other one left.
      record = claimed.claimed ? await this.read(cutoff) : claimed.current;
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
      return await this.acquireUntilDeadline(deadline, rejected, known);
    } catch (error) {
      throw asDeadlineReached(error, this.tokenType, this.options.clock.now() - startedAt);
    }
  }

  /** Steps 2, 4, 5 and 6 as one loop: read, then use, wait, or claim, until a usable token or the deadline. */
  private async acquireUntilDeadline(
    deadline: number,
    rejected: number | undefined,
    known: { record: TokenRecord | undefined } | undefined,
  ): Promise<AccessToken> {
    let rejectedVersion = rejected;
    const cutoff = deadline - this.options.deadlineMarginMs;
    let record = known ? known.record : await this.read(cutoff);
    rejectedVersion = this.rejectionStillApplies(record, rejectedVersion);
    let waitStartedAt: number | undefined;
    let polls = 0;
    for (;;) {
      const now = this.options.clock.now();
      const token = await this.usableToken(record, now, rejectedVersion, cutoff);
      if (token) {
        if (waitStartedAt !== undefined) this.metric(MetricName.LockWaitMs, now - waitStartedAt);
        return this.adopt(token);
      }
      if (now >= cutoff) throw new LockWaitTimeoutError(this.tokenType, now - (waitStartedAt ?? now));
      if (record && leaseIsLive(record, now)) {
        // Step 6: somebody else is refreshing. Wait, but never past our cutoff, and wake
        // up right after their lease ends so a crashed holder costs one lease plus one poll.
        if (waitStartedAt === undefined) {
          waitStartedAt = now;
          this.metric(MetricName.LockContended);
        }
        await this.options.sleep(pollDelay(this.options, polls++, record, now, cutoff));
        const polled = await this.poll(cutoff);
        if (polled !== null) record = polled;
        continue;
      }
      if (record?.retryAfter !== undefined && record.retryAfter > now)
        throw this.backingOff(record.retryAfter);
      if (cutoff - now < this.leaseNeeded()) throw this.tooLittleTime(cutoff - now, waitStartedAt ?? now);
      const round = await this.claimAndRefresh(record, record?.version, now, cutoff - now, {
        // Recorded with the new generation: it bounds the next rejection-driven refresh.
        rejectedVersion:
          rejectedVersion !== undefined && record?.version === rejectedVersion ? rejectedVersion : undefined,
      });
      if (!round.claimed) {
        record = round.current; // Step 6: a loser re-evaluates what the winner left.
        rejectedVersion = this.rejectionStillApplies(record, rejectedVersion);
        continue;
      }
      if (round.token) return round.token;
      record = await this.read(cutoff); // Lease lost (I3): somebody took over; use what they commit.
      rejectedVersion = this.rejectionStillApplies(record, rejectedVersion);
    }
  }

  /**
   * Step 3: inside the refresh-ahead window one container claims and refreshes; the
   * others, and this container's other callers, keep the still-valid token.
   */
  private async refreshAheadOnce(cached: AccessToken, deadline: number): Promise<void> {
    const now = this.options.clock.now();
    if (this.refreshAhead || now < this.refreshAheadNotBefore) return;
    this.refreshAhead = this.tryRefreshAhead(cached, deadline)
      .catch((error: unknown) => {
        // The token is still valid: a failed early refresh must not fail the caller.
        const retryAfter = (error as { retryAfter?: unknown } | undefined)?.retryAfter;
        this.refreshAheadNotBefore = Math.max(
          this.options.clock.now() + this.options.pollMaxMs,
          typeof retryAfter === 'number' ? retryAfter : 0,
        );
        this.options.logger.warn('refresh ahead of expiry failed; still serving the current token', {
          tokenType: this.tokenType,
          version: cached.version,
          error: errorName(error),
        });
      })
      .finally(() => {
        this.refreshAhead = undefined;
      });
    await this.refreshAhead;
  }

  private async tryRefreshAhead(cached: AccessToken, deadline: number): Promise<void> {
    const now = this.options.clock.now();
    // The lease is NOT capped by the token's expiry: a lease cut that short would end before
    // the provider answers, and a second container would refresh the same generation again.
    const timeLeft = deadline - this.options.deadlineMarginMs - now;
    // Not enough time for the provider's timeout and the commit: a caller with more time will.
    if (timeLeft < this.leaseNeeded()) return;
    // A lease that would outlive the token could lose its item to TTL, and a second container
    // would refresh again (I1); the token cannot be removed either, others still use it. So the
    // early refresh is left out, and the refresh after expiry holds TTL off (claimLease).
    if (!this.outlivesItsLease(cached, now, timeLeft)) {
      this.refreshAheadNotBefore = cached.expiresAt;
      return;
    }
    // No TTL hold: the token outlives the lease, and the others keep using it meanwhile.
    const round = await this.claimAndRefresh(undefined, cached.version, now, timeLeft);
    if (round.claimed) return;
    const current = round.current;
    const newer =
      current && current.version > cached.version
        ? await this.usableToken(current, now, undefined, now + timeLeft)
        : undefined;
    if (newer) {
      this.adopt(newer);
      return;
    }
    // Somebody holds the lease or the provider is backing off: do not ask again before that ends.
    this.refreshAheadNotBefore = Math.max(
      now + this.options.pollMaxMs,
      current?.lockExpiresAt ?? 0,
      current?.retryAfter ?? 0,
    );
  }

  /**
   * Steps 4 and 5, the one path to a commit for every caller: claim the lease over `seenVersion`
   * and, when granted, refresh as its holder (provider call, commit fenced by lockOwner). `token`
   * is undefined when the lease was lost before the commit (I3). `record` is the item as the
   * caller saw it: a live-looking `updating` on it makes this a takeover, and `holdTtl` lets the
   * claim hold TTL off an item whose token expires before the lease ends.
   */
  private async claimAndRefresh(
    record: TokenRecord | undefined,
    seenVersion: number | undefined,
    now: number,
    timeLeftMs: number,
    { holdTtl = true, rejectedVersion }: { holdTtl?: boolean; rejectedVersion?: number | undefined } = {},
  ): Promise<
    { claimed: true; token: AccessToken | undefined } | { claimed: false; current: TokenRecord | undefined }
  > {
    const { claim, owner, leaseExpiresAt } = await this.claimLease(
      seenVersion,
      now,
      timeLeftMs,
      holdTtl ? record : undefined,
    );
    if (!claim.claimed) return { claimed: false, current: claim.current };
    if (record?.updating) {
      this.metric(MetricName.LockTakeover);
      this.options.logger.warn(
        'lease taken over',
        auditFields(AuditEvent.Takeover, this.tokenType, {
          version: record.version,
          lockOwner: owner,
          outcome: 'claimed',
        }),
      );
    }
    const fresh = await refreshAsHolder(this.options, claim.record, {
      owner,
      leaseExpiresAt,
      cutoff: now + timeLeftMs,
      cutByDeadline: timeLeftMs < this.options.leaseMs,
      rejectedVersion,
    });
    if (fresh && rejectedVersion !== undefined) this.unconfirmedRejectionRefresh = fresh.version;
    return { claimed: true, token: fresh && this.adopt(fresh) };
  }

  /** When a lease claimed now would end: the configured lease, cut to the time the caller has left. */
  private leaseEnd(now: number, timeLeftMs: number): number {
    return now + Math.min(this.options.leaseMs, timeLeftMs);
  }

  /**
   * The rule of refresh-ahead: a still-valid token is only replaced early when it outlives the
   * lease a claim now would take (the token's expiry is compared as stored, in whole seconds).
   */
  private outlivesItsLease(token: AccessToken, now: number, timeLeftMs: number): boolean {
    return outlivesLease(toEpochSeconds(token.expiresAt), this.leaseEnd(now, timeLeftMs), 0);
  }

  /**
   * Step 4: one conditional write; the lease is the configured one, cut to the time the caller
   * has left. When the item's token would expire before the lease ends (it is being replaced
   * because it expired, or was rejected near its end), the claim also holds TTL off the item.
   */
  private async claimLease(
    seenVersion: number | undefined,
    now: number,
    timeLeftMs: number,
    record?: TokenRecord,
  ) {
    const owner = `${this.options.ownerId}:${this.instance}:${++this.claims}`;
    const leaseExpiresAt = this.leaseEnd(now, timeLeftMs);
    const holdUntil =
      record?.expiresAt !== undefined && !outlivesLease(record.expiresAt, leaseExpiresAt, TTL_MARGIN_MS)
        ? Math.ceil((leaseExpiresAt + TTL_MARGIN_MS) / 1000)
        : undefined;
    const claim = await this.options.store.claim(this.tokenType, {
      seenVersion,
      owner,
      leaseExpiresAt,
      now,
      timeoutMs: Math.max(timeLeftMs, MIN_CALL_MS),
      ...(holdUntil !== undefined && { holdUntil }),
    });
    return { claim, owner, leaseExpiresAt };
  }

  /**
   * A rejected version, unless a strongly consistent read shows the item gone or at a lower
   * version: TTL deleted it and versions started again at 1, so the rejection was of a token
   * that no longer exists. Kept, it would make this container refuse every new token up to
   * that number and refresh tokens the others are using.
   */
  private rejectionStillApplies(
    record: TokenRecord | undefined,
    rejected: number | undefined,
  ): number | undefined {
    if (rejected === undefined || (record !== undefined && record.version >= rejected)) return rejected;
    if (this.rejectedUpTo !== undefined && this.rejectedUpTo <= rejected) this.rejectedUpTo = undefined;
    return undefined;
  }

  /** Usable by this container: not within `skewMs` of its expiry (epoch ms). */
  private isFresh(expiresAt: number, now: number): boolean {
    return now < expiresAt - this.options.skewMs;
  }

  /** A consistent read, abandoned at `cutoff` (epoch ms): DynamoDB's retries must not outlast the caller. */
  private async read(cutoff: number): Promise<TokenRecord | undefined> {
    this.metric(MetricName.TokenStoreRead);
    return this.options.store.read(this.tokenType, { timeoutMs: this.timeLeft(cutoff) });
  }

  /** Time left before `cutoff` for one store call; one short chance even when none is left. */
  private timeLeft(cutoff: number): number {
    return Math.max(cutoff - this.options.clock.now(), MIN_CALL_MS);
  }

  /** The least time before the cutoff a claim needs; see leaseNeededMs. */
  private leaseNeeded(): number {
    return leaseNeededMs(this.options.leaseMs, this.options.provider.timeoutMs);
  }

  /** No lease was held, but the time left could not cover a refresh: this caller does not claim. */
  private tooLittleTime(leftMs: number, waitStartedAt: number): LockWaitTimeoutError {
    const neededMs = this.leaseNeeded();
    this.options.logger.warn('not refreshing: too little time left before the deadline', {
      tokenType: this.tokenType,
      neededMs,
      leftMs,
    });
    return new LockWaitTimeoutError(this.tokenType, this.options.clock.now() - waitStartedAt, {
      reason: 'too-little-time',
      neededMs,
      leftMs,
    });
  }

  /**
   * A waiter's read (step 6): eventually consistent, as a moment's lag only delays the waiter,
   * and a throttled one is a poll that saw nothing new (`null`): with thousands of waiters on
   * one item, throttling must cost time, not the invocation.
   */
  private async poll(cutoff: number): Promise<TokenRecord | undefined | null> {
    this.metric(MetricName.TokenStoreRead);
    try {
      return await this.options.store.read(this.tokenType, {
        consistent: false,
        timeoutMs: this.timeLeft(cutoff),
      });
    } catch (error) {
      if (!isSharedTokenError(error, 'TokenStoreError') || !(error as { throttled?: boolean }).throttled)
        throw error;
      this.options.logger.debug('token read throttled while waiting; polling again', {
        tokenType: this.tokenType,
      });
      return null;
    }
  }

  /** The record's token if it is present, unexpired, newer than a rejected version, and decrypts (I5). */
  private async usableToken(
    record: TokenRecord | undefined,
    now: number,
    rejectedVersion: number | undefined,
    /** Epoch ms: a cipher that calls KMS stops waiting then. */
    cutoff: number,
  ): Promise<AccessToken | undefined> {
    if (!record?.accessToken || record.expiresAt === undefined) return undefined;
    const expiresAt = fromEpochSeconds(record.expiresAt);
    if (!this.isFresh(expiresAt, now)) return undefined;
    if (rejectedVersion !== undefined && record.version <= rejectedVersion) return undefined;
    try {
      const value = await this.options.cipher.decrypt(record.accessToken, this.tokenType, {
        signal: cutoffSignal(cutoff, now),
      });
      const issuedAt = record.updatedAt === undefined ? undefined : fromEpochSeconds(record.updatedAt);
      return new AccessToken(this.tokenType, value, expiresAt, record.version, issuedAt);
    } catch (error) {
      if (!isSharedTokenError(error, 'DecryptError')) throw error;
      // Undecryptable counts as missing: the caller refreshes. Count it once per generation.
      const key = `${record.version}:${record.accessToken.length}`;
      if (this.lastDecryptFailure !== key) {
        this.lastDecryptFailure = key;
        this.metric(MetricName.DecryptFailed);
        this.options.logger.warn('stored token does not decrypt; refreshing it', {
          ...auditFields(AuditEvent.DecryptFailure, this.tokenType, {
            version: record.version,
            outcome: 'refreshing',
          }),
          reason: error.message,
        });
      }
      return undefined;
    }
  }

  private adopt(token: AccessToken): AccessToken {
    // A lower version replaces an expired one: TTL may have deleted the item and versions restarted.
    const cached = this.cached;
    if (
      !cached ||
      !this.isFresh(cached.expiresAt, this.options.clock.now()) ||
      token.version >= cached.version
    ) {
      this.cached = token;
    }
    return token;
  }

  private backingOff(retryAfter: number): TokenRefreshError {
    const seconds = Math.ceil((retryAfter - this.options.clock.now()) / 1000);
    return new TokenRefreshError(
      `The provider of "${this.tokenType}" failed recently; no container asks it again for ${seconds} s (shared back-off)`,
      this.tokenType,
      { retryAfter },
    );
  }

  private deadline(options: GetTokenOptions, now: number): number {
    const { deadline } = options;
    if (deadline === undefined) return now + this.options.maxWaitMs;
    if (typeof deadline !== 'number' || !Number.isFinite(deadline)) {
      throw new ConfigurationError('getToken option "deadline" must be an epoch-milliseconds number');
    }
    // Epoch seconds are ~1.7e9, epoch ms ~1.7e12: a deadline in seconds would look long past.
    if (deadline < 1e11) {
      throw new ConfigurationError(
        'getToken option "deadline" looks like epoch seconds; pass epoch milliseconds',
      );
    }
    return deadline;
  }

  private metric(name: MetricName, value = 1): void {
    this.options.metrics.record(name, value, this.tokenType);
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

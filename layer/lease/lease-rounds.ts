import { randomBytes } from 'node:crypto';
import { AccessToken } from '../access-token.js';
import { isSharedTokenError, LockWaitTimeoutError, TokenRefreshError } from '../errors/error-classes.js';
import type { TokenRecord } from '../store/token-record.js';
import { AuditEvent, auditFields } from '../telemetry/audit.js';
import { MetricName } from '../telemetry/telemetry.js';
import { fromEpochSeconds, toEpochSeconds } from '../time/clock.js';
import { cutoffSignal, MIN_CALL_MS } from '../time/deadline.js';
import type { ContainerMemory } from './container-memory.js';
import { refreshAsHolder } from './lease-holder.js';
import { leaseIsLive, leaseNeededMs, outlivesLease, pollDelay, TTL_MARGIN_MS } from './lease-timing.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';

/** What a claim round ended with: the holder's token (undefined: lease lost, I3), or the item as the loser found it. */
export type ClaimRound =
  | { claimed: true; token: AccessToken | undefined }
  | { claimed: false; current: TokenRecord | undefined };

/**
 * The protocol's steps against the store for one tokenType in one container: read (2), claim
 * (4), refresh as the holder and commit (5), wait for another holder (6). TokenManager decides
 * when a round is needed (memory, refresh-ahead, rejections, the scheduled refresher); this
 * class runs it, with every store call bounded by the caller's cutoff.
 */
export class LeaseRounds {
  private claims = 0;
  /**
   * Unique to this manager, between `ownerId` and the claim counter: the store grants a claim
   * whose lease is in the claim's own owner (an earlier attempt applied, its answer lost), so two
   * containers given the same `ownerId` must still never claim under the same owner.
   */
  private readonly instance = randomBytes(4).toString('hex');

  constructor(
    private readonly options: ResolvedTokenManagerOptions,
    private readonly memory: ContainerMemory,
  ) {}

  private get tokenType(): string {
    return this.options.tokenType;
  }

  /** Steps 2, 4, 5 and 6 as one loop: read, then use, wait, or claim, until a usable token or the deadline. */
  async acquireUntilDeadline(
    deadline: number,
    rejected: number | undefined,
    known: { record: TokenRecord | undefined } | undefined,
  ): Promise<AccessToken> {
    let rejectedVersion = rejected;
    const cutoff = deadline - this.options.deadlineMarginMs;
    let record = known ? known.record : await this.read(cutoff);
    rejectedVersion = this.memory.rejectionStillApplies(record, rejectedVersion);
    let waitStartedAt: number | undefined;
    let polls = 0;
    for (;;) {
      const now = this.options.clock.now();
      const token = await this.usableToken(record, now, rejectedVersion, cutoff);
      if (token) {
        if (waitStartedAt !== undefined) this.metric(MetricName.LockWaitMs, now - waitStartedAt);
        return this.memory.adopt(token);
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
        rejectedVersion = this.memory.rejectionStillApplies(record, rejectedVersion);
        continue;
      }
      if (round.token) return round.token;
      record = await this.read(cutoff); // Lease lost (I3): somebody took over; use what they commit.
      rejectedVersion = this.memory.rejectionStillApplies(record, rejectedVersion);
    }
  }

  /**
   * Steps 4 and 5, the one path to a commit for every caller: claim the lease over `seenVersion`
   * and, when granted, refresh as its holder (provider call, commit fenced by lockOwner). `token`
   * is undefined when the lease was lost before the commit (I3). `record` is the item as the
   * caller saw it: a live-looking `updating` on it makes this a takeover, and `holdTtl` lets the
   * claim hold TTL off an item whose token expires before the lease ends.
   */
  async claimAndRefresh(
    record: TokenRecord | undefined,
    seenVersion: number | undefined,
    now: number,
    timeLeftMs: number,
    { holdTtl = true, rejectedVersion }: { holdTtl?: boolean; rejectedVersion?: number | undefined } = {},
  ): Promise<ClaimRound> {
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
    if (fresh && rejectedVersion !== undefined) this.memory.unconfirmedRejectionRefresh = fresh.version;
    return { claimed: true, token: fresh && this.memory.adopt(fresh) };
  }

  /** When a lease claimed now would end: the configured lease, cut to the time the caller has left. */
  private leaseEnd(now: number, timeLeftMs: number): number {
    return now + Math.min(this.options.leaseMs, timeLeftMs);
  }

  /**
   * The rule of refresh-ahead: a still-valid token is only replaced early when it outlives the
   * lease a claim now would take (the token's expiry is compared as stored, in whole seconds).
   */
  outlivesItsLease(token: AccessToken, now: number, timeLeftMs: number): boolean {
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

  /** A consistent read, abandoned at `cutoff` (epoch ms): DynamoDB's retries must not outlast the caller. */
  async read(cutoff: number): Promise<TokenRecord | undefined> {
    this.metric(MetricName.TokenStoreRead);
    return this.options.store.read(this.tokenType, { timeoutMs: this.timeLeft(cutoff) });
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

  /** Time left before `cutoff` for one store call; one short chance even when none is left. */
  timeLeft(cutoff: number): number {
    return Math.max(cutoff - this.options.clock.now(), MIN_CALL_MS);
  }

  /** The least time before the cutoff a claim needs; see leaseNeededMs. */
  leaseNeeded(): number {
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

  /** The record's token if it is present, unexpired, newer than a rejected version, and decrypts (I5). */
  async usableToken(
    record: TokenRecord | undefined,
    now: number,
    rejectedVersion: number | undefined,
    /** Epoch ms: a cipher that calls KMS stops waiting then. */
    cutoff: number,
  ): Promise<AccessToken | undefined> {
    if (!record?.accessToken || record.expiresAt === undefined) return undefined;
    const expiresAt = fromEpochSeconds(record.expiresAt);
    if (!this.memory.isFresh(expiresAt, now)) return undefined;
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
      if (this.memory.lastDecryptFailure !== key) {
        this.memory.lastDecryptFailure = key;
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

  private backingOff(retryAfter: number): TokenRefreshError {
    const seconds = Math.ceil((retryAfter - this.options.clock.now()) / 1000);
    return new TokenRefreshError(
      `The provider of "${this.tokenType}" failed recently; no container asks it again for ${seconds} s (shared back-off)`,
      this.tokenType,
      { retryAfter },
    );
  }

  metric(name: MetricName, value = 1): void {
    this.options.metrics.record(name, value, this.tokenType);
  }
}

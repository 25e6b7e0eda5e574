import type { AccessToken } from '../access-token.js';
import { errorName } from '../errors/error-name.js';
import type { ContainerMemory } from './container-memory.js';
import type { LeaseRounds } from './lease-rounds.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';

/**
 * Step 3, refresh-ahead: inside the window `[expiresAt - refreshAheadMs, expiresAt - skewMs)` one
 * container claims and refreshes while the others, and this container's other callers, keep the
 * still-valid token. A failed early refresh never fails the caller; it only waits before the
 * next try.
 */
export class RefreshAhead {
  private running: Promise<void> | undefined;
  /** Epoch ms before which this container does not try another refresh-ahead claim. */
  private notBefore = 0;

  constructor(
    private readonly options: ResolvedTokenManagerOptions,
    private readonly memory: ContainerMemory,
    private readonly rounds: LeaseRounds,
  ) {}

  private get tokenType(): string {
    return this.options.tokenType;
  }

  /**
   * Step 3: inside the refresh-ahead window one container claims and refreshes; the
   * others, and this container's other callers, keep the still-valid token.
   */
  async once(cached: AccessToken, deadline: number): Promise<void> {
    const now = this.options.clock.now();
    if (this.running || now < this.notBefore) return;
    this.running = this.tryOnce(cached, deadline)
      .catch((error: unknown) => {
        // The token is still valid: a failed early refresh must not fail the caller.
        const retryAfter = (error as { retryAfter?: unknown } | undefined)?.retryAfter;
        this.notBefore = Math.max(
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
        this.running = undefined;
      });
    await this.running;
  }

  private async tryOnce(cached: AccessToken, deadline: number): Promise<void> {
    const now = this.options.clock.now();
    // The lease is NOT capped by the token's expiry: a lease cut that short would end before
    // the provider answers, and a second container would refresh the same generation again.
    const timeLeft = deadline - this.options.deadlineMarginMs - now;
    // Not enough time for the provider's timeout and the commit: a caller with more time will.
    if (timeLeft < this.rounds.leaseNeeded()) return;
    // A lease that would outlive the token could lose its item to TTL, and a second container
    // would refresh again (I1); the token cannot be removed either, others still use it. So the
    // early refresh is left out, and the refresh after expiry holds TTL off (LeaseRounds.claimLease).
    if (!this.rounds.outlivesItsLease(cached, now, timeLeft)) {
      this.notBefore = cached.expiresAt;
      return;
    }
    // No TTL hold: the token outlives the lease, and the others keep using it meanwhile.
    const round = await this.rounds.claimAndRefresh(undefined, cached.version, now, timeLeft);
    if (round.claimed) return;
    const current = round.current;
    const newer =
      current && current.version > cached.version
        ? await this.rounds.usableToken(current, now, undefined, now + timeLeft)
        : undefined;
    if (newer) {
      this.memory.adopt(newer);
      return;
    }
    // Somebody holds the lease or the provider is backing off: do not ask again before that ends.
    this.notBefore = Math.max(
      now + this.options.pollMaxMs,
      current?.lockExpiresAt ?? 0,
      current?.retryAfter ?? 0,
    );
  }
}

import type { AccessToken } from '../access-token.js';
import type { TokenRecord } from '../store/token-record.js';
import type { ResolvedTokenManagerOptions } from './token-manager-options.js';

/**
 * What one container remembers of one tokenType between invocations: the token it serves from
 * memory (step 1), the versions a provider rejected here, and the generation it committed for a
 * rejection until a retry confirms it. Nothing here is shared: the fleet shares only the item.
 */
export class ContainerMemory {
  /** The token served without I/O while it is fresh. */
  cached: AccessToken | undefined;
  /** Highest version a provider rejected in this container: never served again. */
  rejectedUpTo: number | undefined;
  /** The generation this container committed because of a rejection, until a retry confirms it. */
  unconfirmedRejectionRefresh: number | undefined;
  /** The generation whose DecryptFailed was counted last: one count per generation. */
  lastDecryptFailure: string | undefined;

  constructor(private readonly options: Pick<ResolvedTokenManagerOptions, 'clock' | 'skewMs'>) {}

  /** Serves `token` from memory from now on, unless a newer one is already there. */
  adopt(token: AccessToken): AccessToken {
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

  /** Usable by this container: not within `skewMs` of its expiry (epoch ms). */
  isFresh(expiresAt: number, now: number): boolean {
    return now < expiresAt - this.options.skewMs;
  }

  /**
   * A rejected version, unless a strongly consistent read shows the item gone or at a lower
   * version: TTL deleted it and versions started again at 1, so the rejection was of a token
   * that no longer exists. Kept, it would make this container refuse every new token up to
   * that number and refresh tokens the others are using.
   */
  rejectionStillApplies(record: TokenRecord | undefined, rejected: number | undefined): number | undefined {
    if (rejected === undefined || (record !== undefined && record.version >= rejected)) return rejected;
    if (this.rejectedUpTo !== undefined && this.rejectedUpTo <= rejected) this.rejectedUpTo = undefined;
    return undefined;
  }
}

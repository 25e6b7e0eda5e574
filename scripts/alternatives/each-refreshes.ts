/**
 * Alternative 1, "each Lambda refreshes on its own": a token in memory per container; on a
 * miss or expiry, read the table; if the stored token is expired too, call the provider and
 * write the item back unconditionally. No lock: every container that finds the token expired
 * before somebody's write lands calls the provider.
 */
import type { AccessToken } from '../../layer/index.js';
import type { TokenItem } from './token-item.js';
import { type FetchProviderToken, isFresh, type TokenSource } from './token-source.js';

export interface EachRefreshesOptions {
  item: TokenItem;
  fetchToken: FetchProviderToken;
  /** A token this close to its expiry counts as expired (the same skew this project uses). */
  skewMs: number;
}

export class EachRefreshes implements TokenSource {
  private cached: AccessToken | undefined;

  constructor(private readonly options: EachRefreshesOptions) {}

  /** The cached token while fresh, with no network call. */
  cachedFresh(): AccessToken | undefined {
    return this.cached !== undefined && this.fresh(this.cached) ? this.cached : undefined;
  }

  async get(): Promise<AccessToken> {
    const inMemory = this.cachedFresh();
    if (inMemory !== undefined) return inMemory;
    const stored = await this.options.item.read();
    if (stored.token !== undefined && this.fresh(stored.token)) return this.keep(stored.token);
    return this.refresh(stored.version);
  }

  /**
   * Another container may have refreshed since: a NEWER version in the table is used as is. Merely
   * a different token is not enough: each container may hold its own (every refresher wrote one).
   */
  async replaceRejected(rejected: AccessToken): Promise<AccessToken> {
    this.cached = undefined;
    const stored = await this.options.item.read();
    const newer = stored.token;
    if (newer !== undefined && newer.version > rejected.version && this.fresh(newer)) return this.keep(newer);
    return this.refresh(stored.version);
  }

  private async refresh(seenVersion: number): Promise<AccessToken> {
    const fresh = await this.options.fetchToken();
    return this.keep(await this.options.item.put(fresh, seenVersion));
  }

  private keep(token: AccessToken): AccessToken {
    this.cached = token;
    return token;
  }

  private fresh(token: AccessToken): boolean {
    return isFresh(token.expiresAt, Date.now(), this.options.skewMs);
  }
}

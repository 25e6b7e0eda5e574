/**
 * Alternative 3, "single flight in the process": {@link EachRefreshes}, plus concurrent callers
 * in one container sharing one promise (the shape of Middy's processCache), so one container
 * never asks the provider twice at once. Nothing coordinates containers with each other.
 */
import type { AccessToken } from '../../layer/index.js';
import type { EachRefreshes } from './each-refreshes.js';
import type { TokenSource } from './token-source.js';

export class ProcessSingleFlight implements TokenSource {
  private pendingGet: Promise<AccessToken> | undefined;
  /** Keyed by the rejected token's value: concurrent rejections of one token share one refresh. */
  private readonly pendingReplace = new Map<string, Promise<AccessToken>>();

  constructor(private readonly inner: EachRefreshes) {}

  get(): Promise<AccessToken> {
    const inMemory = this.inner.cachedFresh();
    if (inMemory !== undefined) return Promise.resolve(inMemory);
    this.pendingGet ??= this.inner.get().finally(() => {
      this.pendingGet = undefined;
    });
    return this.pendingGet;
  }

  replaceRejected(rejected: AccessToken): Promise<AccessToken> {
    const key = rejected.value;
    let pending = this.pendingReplace.get(key);
    if (pending === undefined) {
      pending = this.inner.replaceRejected(rejected).finally(() => this.pendingReplace.delete(key));
      this.pendingReplace.set(key, pending);
    }
    return pending;
  }
}

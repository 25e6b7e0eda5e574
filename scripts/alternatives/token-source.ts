/** What every alternative gives the invocation loop: a token now, and a new one after a rejection. */
import type { AccessToken, ProviderToken } from '../../layer/index.js';

export interface TokenSource {
  /** A token that is valid now (memory, the table, or a refresh). */
  get(): Promise<AccessToken>;
  /** The API answered 401/403 to `rejected`: another container's newer token, or a refresh. */
  replaceRejected(rejected: AccessToken): Promise<AccessToken>;
}

/** One call to the provider; the caller has already told the parent (hooks.refreshing). */
export type FetchProviderToken = () => Promise<ProviderToken>;

/** True while `expiresAt` (epoch ms) is more than `skewMs` away, the rule this project uses too. */
export function isFresh(expiresAt: number | undefined, now: number, skewMs: number): boolean {
  return expiresAt !== undefined && now < expiresAt - skewMs;
}

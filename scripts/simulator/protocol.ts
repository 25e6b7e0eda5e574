/** Messages between the simulator (parent) and its containers (children), over the IPC channel. */
import type { AlternativeStrategy } from '../alternatives/index.js';
import type { TimingOptions } from './timing-options.js';

/** Which handler a container runs: the Salesforce example, or a generic one for `--api-url`. */
export type ContainerApi =
  | { kind: 'salesforce'; instanceUrl: string }
  | { kind: 'generic'; tokenUrl: string; apiUrl: string; grant?: 'client_credentials' | 'refresh_token' };

/**
 * How the handler gets its token: `middleware`, the Middy middleware with its retry
 * (`withSharedToken`, as the example's handler.ts); `middy-use`, the same middleware attached the
 * plain Middy way (`middy(handler).use(sharedToken(options))`: no retry, a rejection surfaces);
 * `core`, the core API (`SharedToken.run`).
 */
export type Entry = 'middleware' | 'middy-use' | 'core';

/**
 * Who shares the token. `shared-token` is this project; the others are what users would build
 * instead, for the benchmark (scripts/alternatives/).
 */
export type Strategy = 'shared-token' | AlternativeStrategy;

/** How the token is sealed in the table: the secret's salt (SaltCipher), or KMS envelope encryption. */
export type CipherKind = 'salt' | 'kms';

export interface ContainerConfig {
  index: number;
  entry: Entry;
  strategy: Strategy;
  api: ContainerApi;
  tokenType: string;
  tableName: string;
  dynamoEndpoint: string;
  secretsEndpoint: string;
  /** The provider's credentials and key are in this secret, served by the local Secrets Manager. */
  secretName: string;
  /** The local KMS and its key, when the handler seals tokens with `kmsCipher` (`--cipher kms`). */
  kms?: { endpoint: string; keyId: string };
  /** How long the provider's tokens live: the Salesforce example's session timeout. */
  tokenTtlSeconds: number;
  invocations: number;
  /** Pause between two invocations of one container. */
  thinkMs: number;
  /** Each invocation's deadline, like a Lambda's timeout. */
  invocationTimeoutMs: number;
  /** After the first invocation, report `barrier` and wait for `continue` (the rejection storm). */
  barrierAfterFirst: boolean;
  /** Hold the provider's answer until the parent says `proceed` (to freeze a holder between answer and commit). */
  holdProviderAnswer: boolean;
  /** Added to this container's clock (`Date.now`) in everything the library times: clock skew between containers. */
  clockOffsetMs: number;
  /** The `ownerId` option, when the run gives every container the same one. */
  ownerId?: string;
  /** The `secretCacheExpiry` option, when the run sets one. */
  secretCacheExpiry?: number;
  /** Only on the one extra child that runs the scheduled refresher (every `everyMs`) instead of invocations. */
  refresher?: { everyMs: number; refreshAheadMs: number };
  /**
   * The library's timing options the handler passes: only those set by a flag or ruled in by the
   * token's life (timing-options.ts); every other one keeps the library's default.
   */
  manager: TimingOptions;
}

export type ParentMessage =
  | { type: 'config'; config: ContainerConfig }
  | { type: 'go' }
  | { type: 'continue' }
  | { type: 'proceed' }
  | { type: 'stop' };

export interface ContainerResult {
  index: number;
  succeeded: number;
  failed: number;
  /** Error name -> count. */
  errors: Record<string, number>;
  /** Time spent getting the token, per invocation, ms. */
  overheadMs: number[];
  /** Longest time an invocation spent getting its token, failed ones included, ms. */
  maxOverheadMs: number;
  /** Longest time an invocation spent getting its token past its own deadline, ms (0: none did; I2). */
  maxPastDeadlineMs: number;
  providerCalls: number;
  rssBytes: number;
  /** RSS after the first invocation, so a long run shows whether memory stays flat. */
  firstRssBytes: number;
  /** Per invocation: epoch ms when the handler had its (last) token in hand; null for a failed one. */
  tokenAt: (number | null)[];
  /** Per invocation: epoch ms when it started. */
  startedAt: number[];
  /** Per invocation: CPU time this process spent on it (user + system), ms. */
  cpuMs: number[];
}

export type ChildMessage =
  | { type: 'ready'; index: number }
  | { type: 'refreshing'; index: number; at: number }
  | { type: 'answered'; index: number }
  | { type: 'barrier'; index: number }
  | { type: 'progress'; index: number; done: number; rssBytes?: number }
  | { type: 'result'; result: ContainerResult }
  | { type: 'refresher-result'; result: RefresherResult };

/** What the scheduled refresher child did: runs, and the sum of its runs' summaries. */
export interface RefresherResult {
  runs: number;
  /** Runs that threw (some tokenType failed). */
  failedRuns: number;
  refreshed: number;
  fresh: number;
  deferred: number;
  failed: number;
  /** Token requests this child made (it held the lease). */
  providerCalls: number;
  /** `tokenType:ErrorName` -> count, over the failed targets of all runs. */
  errors: Record<string, number>;
}

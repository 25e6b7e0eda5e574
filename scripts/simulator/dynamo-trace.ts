/**
 * Every DynamoDB call of a run, told apart by container and by what it was for: the bench's
 * timeline (scripts/bench/sections/timeline.ts) reads where the time of a storm goes from it.
 * Containers reach the proxy at `/c{index}` (`traceDynamoCalls`); the proxy forwards to `/`.
 */
import type { DynamoAnswer } from '../local-stack/dynamo-proxy.js';

/**
 * What a call was, from its request and answer: the first, consistent `read`; a waiter's
 * eventually consistent `poll`; a `claim` won or failed on its condition; the holder's `commit`;
 * a `release`; anything else.
 */
export type TracedCallKind =
  | 'read'
  | 'poll'
  | 'claim-won'
  | 'claim-failed'
  | 'commit'
  | 'commit-failed'
  | 'release'
  | 'other';

export interface TracedCall {
  /** The container's index; undefined for a call without the `/c{index}` path (the simulator's own). */
  container: number | undefined;
  kind: TracedCallKind;
  /** Epoch ms the request reached the proxy, and the engine's answer was read. */
  receivedAt: number;
  answeredAt: number;
  /** What a read or poll found: the item's version, and whether a lease was on it. */
  found?: { version: number; leased: boolean; token: boolean } | undefined;
}

/** The `/c{index}` path that labels container `index`'s calls. */
export const containerPath = (index: number): string => `/c${index}`;

export class DynamoTrace {
  private readonly traced: TracedCall[] = [];

  /** For the proxy's `onAnswer`. */
  readonly record = (answer: DynamoAnswer): void => {
    const label = /^\/c(\d+)/.exec(answer.path);
    this.traced.push({
      container: label ? Number(label[1]) : undefined,
      kind: kindOf(answer),
      receivedAt: answer.receivedAt,
      answeredAt: answer.answeredAt,
      found: answer.operation === 'GetItem' ? foundIn(answer.body) : undefined,
    });
  };

  calls(): TracedCall[] {
    return [...this.traced].sort((a, b) => a.receivedAt - b.receivedAt);
  }
}

function kindOf({ operation, request, status, body }: DynamoAnswer): TracedCallKind {
  if (operation === 'GetItem') return request.includes('"ConsistentRead":false') ? 'poll' : 'read';
  if (operation !== 'UpdateItem') return 'other';
  const failed = status === 400 && body.includes('ConditionalCheckFailed');
  // The store's expressions (layer/store/token-store.ts): a claim sets the lease, a commit the token.
  if (request.includes('SET accessToken')) return failed ? 'commit-failed' : 'commit';
  if (request.includes('lockOwner = :owner, lockExpiresAt')) return failed ? 'claim-failed' : 'claim-won';
  if (request.includes('SET updating = :false')) return 'release';
  return 'other';
}

function foundIn(body: string): TracedCall['found'] {
  const item = (JSON.parse(body) as { Item?: Record<string, Record<string, unknown>> }).Item;
  if (!item) return undefined;
  return {
    version: Number(item.version?.N ?? 0),
    leased: item.updating?.BOOL === true,
    token: item.accessToken !== undefined,
  };
}

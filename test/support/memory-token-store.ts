import type { TokenRecord } from 'lambda-shared-token/advanced';
import {
  CALL_COUNTER,
  InMemoryTokenTable,
  type StoredItem,
  type TokenTableEvent,
  type TokenTableOperation,
} from '../../testing/in-memory-token-store.js';

export type { StoredItem };
export type StoreOperation = TokenTableOperation;
export type OperationEvent = TokenTableEvent;

const APPLIED_COUNTER: Partial<Record<StoreOperation, 'claims' | 'commits' | 'releases'>> = {
  claim: 'claims',
  commit: 'commits',
  release: 'releases',
};

export interface MemoryTokenStoreOptions {
  /**
   * Whether a failed claim returns the item as it was (`ReturnValuesOnConditionCheckFailure:
   * ALL_OLD`, DynamoDB Local and AWS) or makes the store read it again (dynalite ignores
   * that option). The re-read counts as a read and passes through `beforeOperation`.
   * @default true
   */
  returnOldOnConditionFailure?: boolean;
}

/**
 * The suite's token table: the conditions of `TokenStore` as the public `InMemoryTokenStore`
 * keeps them (testing/in-memory-token-store.ts, one implementation for both), plus what the
 * unit tests drive a race with: counters, the calls in order, hooks around each call, and raw
 * items to seed or tamper with.
 */
export class MemoryTokenStore extends InMemoryTokenTable {
  /** Calls made, failed or not (a re-read after a failed claim counts as a read). */
  readonly counts = { reads: 0, claims: 0, commits: 0, releases: 0, confirms: 0 };
  /** Successful writes: claims granted, commits applied, releases applied. */
  readonly applied = { claims: 0, commits: 0, releases: 0 };
  /** Every call in order, with a copy of its request. */
  readonly operations: OperationEvent[] = [];
  /**
   * Runs at the start of every call, before the item is looked at: await something to
   * interleave containers, or throw to make the call fail as DynamoDB would.
   */
  beforeOperation: ((event: OperationEvent) => Promise<void> | void) | undefined;
  /**
   * Runs after a claim, commit or release has done its work, before it answers: throw to lose the
   * answer of a write that applied, as a connection reset on the way back does.
   */
  afterOperation: ((event: OperationEvent) => Promise<void> | void) | undefined;

  private readonly returnOldOnConditionFailure: boolean;

  constructor(options: MemoryTokenStoreOptions = {}) {
    super();
    this.returnOldOnConditionFailure = options.returnOldOnConditionFailure ?? true;
  }

  /** Total calls of all operations. */
  get calls(): number {
    const { reads, claims, commits, releases, confirms } = this.counts;
    return reads + claims + commits + releases + confirms;
  }

  /** Seeds or tampers with an item, bypassing every condition. */
  put(item: StoredItem): void {
    this.setRawItem(item);
  }

  /** The raw item (attributes possibly missing), as a copy; does not count as a read. */
  get(tokenType: string): StoredItem | undefined {
    return this.rawItem(tokenType);
  }

  protected override async enter(event: OperationEvent): Promise<void> {
    this.counts[CALL_COUNTER[event.op]]++;
    this.operations.push(event);
    await this.beforeOperation?.(event);
  }

  protected override async written(event: OperationEvent): Promise<void> {
    const counter = APPLIED_COUNTER[event.op];
    // A confirm is not one of the lease's writes that `applied` counts and `afterOperation` sees.
    if (counter === undefined) return;
    this.applied[counter]++;
    await this.afterOperation?.(event);
  }

  protected override async claimRefused(
    tokenType: string,
    item: TokenRecord | undefined,
  ): Promise<TokenRecord | undefined> {
    return this.returnOldOnConditionFailure ? item : this.read(tokenType);
  }
}

/**
 * Which requests of an AWS JSON server (aws-json-server.ts) a stall holds unanswered: by
 * operation, at most a count, for a while. The server holds the connections (held-connections.ts).
 */

/** Which requests a stall holds unanswered. Every limit given must hold. */
export interface AwsStall {
  /**
   * Only these operations, as in `X-Amz-Target` after the dot (`GetSecretValue`, `GenerateDataKey`, `Decrypt`).
   * @default every operation
   */
  operations?: readonly string[];
  /**
   * At most this many requests, then spent.
   * @default no limit
   */
  count?: number;
  /**
   * Active for this many milliseconds after `stall()`, on the server's `now` clock; spent after.
   * @default no end
   */
  durationMs?: number;
}

/** Requests held unanswered since the start or the last `clearStalls()`. */
export interface AwsStallStats {
  stalled: number;
  byOperation: Record<string, number>;
}

interface ActiveStall {
  operations: readonly string[] | undefined;
  remaining: number;
  /** Epoch ms after which the stall is spent. */
  endsAt: number;
}

/** The stalls, in the order given; the first one that matches a request takes it. */
export class StallPlan {
  private active: ActiveStall[] = [];
  private stats: AwsStallStats = { stalled: 0, byOperation: {} };

  constructor(
    private readonly known: readonly string[],
    private readonly now: () => number,
  ) {}

  add(stall: AwsStall): void {
    const { operations, count, durationMs } = stall ?? {};
    if (
      operations !== undefined &&
      !(Array.isArray(operations) && operations.length > 0 && operations.every((o) => this.known.includes(o)))
    ) {
      throw new TypeError(`stall: "operations" must be a non-empty list of ${this.known.join(', ')}`);
    }
    if (count !== undefined && !(Number.isInteger(count) && count >= 1)) {
      throw new TypeError('stall: "count" must be a whole number >= 1');
    }
    if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs >= 0)) {
      throw new TypeError('stall: "durationMs" must be a number of ms >= 0');
    }
    this.active.push({
      operations: operations && [...operations],
      remaining: count ?? Number.POSITIVE_INFINITY,
      endsAt: durationMs === undefined ? Number.POSITIVE_INFINITY : this.now() + durationMs,
    });
  }

  /** True when a stall takes this request (and one of its count is used up). */
  take(operation: string): boolean {
    const now = this.now();
    this.active = this.active.filter((entry) => entry.remaining > 0 && now <= entry.endsAt);
    const entry = this.active.find((e) => e.operations === undefined || e.operations.includes(operation));
    if (!entry) return false;
    entry.remaining--;
    this.stats.stalled++;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
    return true;
  }

  clear(): void {
    this.active = [];
    this.stats = { stalled: 0, byOperation: {} };
  }

  snapshot(): AwsStallStats {
    return { stalled: this.stats.stalled, byOperation: { ...this.stats.byOperation } };
  }
}

/**
 * The fault model of the DynamoDB proxy (dynamo-proxy.ts): what can go wrong with one request,
 * which requests it hits, and how often it was applied. Pure and synchronous: the proxy asks
 * `decide(operation, body)` once per request, when its body has arrived, and carries the answer out.
 */

/** DynamoDB's throttling errors, as the service names them in `__type`. */
export type DynamoThrottlingError =
  | 'ProvisionedThroughputExceededException'
  | 'ThrottlingException'
  | 'RequestLimitExceeded';

/** Which requests a fault hits. Every limit given must hold; none given means every request. */
export interface FaultScope {
  /**
   * Only these operations, as in `X-Amz-Target` without its prefix (`GetItem`, `UpdateItem`, ...).
   * @default every operation
   */
  operations?: readonly string[];
  /**
   * Applied at most this many times, then spent (a request skipped by `rate` does not use one up).
   * @default no limit
   */
  count?: number;
  /**
   * Probability, 0 to 1, that a matching request gets the fault; drawn from the proxy's `random`,
   * so a test that injects a seeded source gets the same requests hit on every run.
   * @default 1
   */
  rate?: number;
  /**
   * Active for this many milliseconds after `inject()`, on the proxy's `now` clock; spent after.
   * @default no end
   */
  durationMs?: number;
  /**
   * Only requests whose JSON body contains this text, as sent (e.g. `'SET accessToken'`: the
   * commit's UpdateItem, not the claim's). Matched before `rate` draws.
   * @default every body
   */
  bodyIncludes?: string;
}

/**
 * Answered at once, without reaching the engine, the way DynamoDB answers a hot key or table:
 * HTTP 400, `application/x-amz-json-1.0`, `{"__type":"com.amazonaws.dynamodb.v20120810#<error>"}`.
 * The SDK maps it to its typed exception and retries it as a throttling error.
 */
export interface ThrottleFault extends FaultScope {
  kind: 'throttle';
  /** @default 'ProvisionedThroughputExceededException' */
  error?: DynamoThrottlingError;
}

/** The client's connection is reset (TCP RST) after its request arrived, without an answer: ECONNRESET. */
export interface ResetFault extends FaultScope {
  kind: 'reset';
}

/**
 * The request reaches the engine and is carried out, then its answer is dropped and the client's
 * connection reset: ECONNRESET for a write that applied. The SDK retries it, as it would in AWS
 * when a load balancer drops the connection on the way back.
 */
export interface DropAnswerFault extends FaultScope {
  kind: 'drop-answer';
}

/**
 * The request waits `ms` before it is forwarded (or throttled, or reset: a latency fault adds to
 * whatever else hits the same request).
 */
export interface LatencyFault extends FaultScope {
  kind: 'latency';
  /** Milliseconds of delay, a whole number >= 0. */
  ms: number;
}

/**
 * The request is read to its end, then neither forwarded nor answered: the connection stays open
 * and silent, as when a packet is lost past the load balancer. Only the client's own deadline (an
 * abort, a socket timeout) ends it, or `clearFaults()` / `setReachable(false)` / `stop()`, which
 * destroy the held connections. The engine never sees the request.
 */
export interface BlackholeFault extends FaultScope {
  kind: 'blackhole';
}

export type DynamoFault = ThrottleFault | ResetFault | DropAnswerFault | LatencyFault | BlackholeFault;
export type DynamoFaultKind = DynamoFault['kind'];

/** How often each fault was applied since the start or the last `clearFaults()`. */
export interface DynamoFaultStats {
  throttle: number;
  reset: number;
  'drop-answer': number;
  latency: number;
  blackhole: number;
  /** Sum of the delays applied, in ms. */
  delayedMs: number;
  /** Applications per operation and kind: `{ GetItem: { throttle: 2 } }`. */
  byOperation: Record<string, Partial<Record<DynamoFaultKind, number>>>;
}

/**
 * What the proxy does with one request: wait `delayMs`, then forward (its answer dropped or not),
 * throttle, reset, or hold it unanswered (blackhole).
 */
export type FaultDecision = { delayMs: number } & (
  | { action: 'forward' }
  | { action: 'drop-answer' }
  | { action: 'throttle'; error: DynamoThrottlingError }
  | { action: 'reset' }
  | { action: 'blackhole' }
);

export interface FaultPlanOptions {
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** A number in [0, 1), for `rate`. @default Math.random */
  random?: () => number;
}

interface ActiveFault {
  fault: DynamoFault;
  remaining: number;
  /** Epoch ms after which the fault is spent. */
  endsAt: number;
}

/** The injected faults, in injection order, and the tally of what they did. */
export class FaultPlan {
  private readonly now: () => number;
  private readonly random: () => number;
  private active: ActiveFault[] = [];
  private stats = emptyStats();

  constructor(options: FaultPlanOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Adds a fault; it applies alongside the earlier ones. Throws a TypeError naming a bad field. */
  inject(fault: DynamoFault): void {
    validateFault(fault);
    this.active.push({
      fault: { ...fault, ...(fault.operations && { operations: [...fault.operations] }) },
      remaining: fault.count ?? Number.POSITIVE_INFINITY,
      endsAt: fault.durationMs === undefined ? Number.POSITIVE_INFINITY : this.now() + fault.durationMs,
    });
  }

  /** Removes every fault and zeroes the tally. */
  clear(): void {
    this.active = [];
    this.stats = emptyStats();
  }

  snapshot(): DynamoFaultStats {
    return structuredClone(this.stats);
  }

  /**
   * One request's fate, from its operation and its JSON body (for `bodyIncludes`). Every matching
   * latency fault adds its delay; the first matching throttle, reset, drop-answer or blackhole (in
   * injection order) decides; later ones are not consulted.
   */
  decide(operation: string, body: string): FaultDecision {
    const now = this.now();
    this.active = this.active.filter((entry) => entry.remaining > 0 && now <= entry.endsAt);
    let delayMs = 0;
    for (const entry of this.active) {
      const { fault } = entry;
      if (fault.kind !== 'latency' || !this.hits(entry, operation, body)) continue;
      delayMs += fault.ms;
      this.record(entry, operation);
      this.stats.delayedMs += fault.ms;
    }
    for (const entry of this.active) {
      const { fault } = entry;
      if (fault.kind === 'latency' || !this.hits(entry, operation, body)) continue;
      this.record(entry, operation);
      if (fault.kind === 'reset') return { delayMs, action: 'reset' };
      if (fault.kind === 'drop-answer') return { delayMs, action: 'drop-answer' };
      if (fault.kind === 'blackhole') return { delayMs, action: 'blackhole' };
      return { delayMs, action: 'throttle', error: fault.error ?? 'ProvisionedThroughputExceededException' };
    }
    return { delayMs, action: 'forward' };
  }

  private hits(entry: ActiveFault, operation: string, body: string): boolean {
    const { fault } = entry;
    if (entry.remaining <= 0) return false;
    if (fault.operations && !fault.operations.includes(operation)) return false;
    if (fault.bodyIncludes !== undefined && !body.includes(fault.bodyIncludes)) return false;
    // Drawn only for requests the other limits let through, so a seeded source stays in step.
    return fault.rate === undefined || this.random() < fault.rate;
  }

  private record(entry: ActiveFault, operation: string): void {
    const kind = entry.fault.kind;
    entry.remaining--;
    this.stats[kind]++;
    const perOperation = this.stats.byOperation[operation] ?? {};
    perOperation[kind] = (perOperation[kind] ?? 0) + 1;
    this.stats.byOperation[operation] = perOperation;
  }
}

function emptyStats(): DynamoFaultStats {
  return {
    throttle: 0,
    reset: 0,
    'drop-answer': 0,
    latency: 0,
    blackhole: 0,
    delayedMs: 0,
    byOperation: {},
  };
}

const KINDS: ReadonlySet<string> = new Set(['throttle', 'reset', 'drop-answer', 'latency', 'blackhole']);
const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

function validateFault(fault: DynamoFault): void {
  if (!KINDS.has(fault?.kind)) {
    throw new TypeError(`DynamoDB fault "kind" must be one of ${[...KINDS].join(', ')}`);
  }
  const { count, rate, durationMs, operations, bodyIncludes } = fault;
  if (count !== undefined && !(Number.isInteger(count) && count >= 1)) {
    throw new TypeError(`DynamoDB fault "count" must be a whole number >= 1 (got ${count})`);
  }
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw new TypeError(`DynamoDB fault "rate" must be a number from 0 to 1 (got ${rate})`);
  }
  if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs >= 0)) {
    throw new TypeError(`DynamoDB fault "durationMs" must be a number of ms >= 0 (got ${durationMs})`);
  }
  if (operations !== undefined && !(Array.isArray(operations) && operations.length > 0)) {
    throw new TypeError('DynamoDB fault "operations" must be a non-empty list of operation names');
  }
  if (bodyIncludes !== undefined && !(typeof bodyIncludes === 'string' && bodyIncludes !== '')) {
    throw new TypeError('DynamoDB fault "bodyIncludes" must be a non-empty string');
  }
  if (fault.kind === 'latency' && !(Number.isInteger(fault.ms) && fault.ms >= 0)) {
    throw new TypeError(`DynamoDB latency fault "ms" must be a whole number >= 0 (got ${fault.ms})`);
  }
  if (fault.kind === 'throttle' && fault.error !== undefined && !THROTTLING_ERRORS.has(fault.error)) {
    throw new TypeError(
      `DynamoDB throttle fault "error" must be one of ${[...THROTTLING_ERRORS].join(', ')}`,
    );
  }
}

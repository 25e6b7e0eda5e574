/**
 * Fakes for the TokenManager tests, all inside one process: a discrete-event clock whose
 * `sleep` only resolves when the test drives time forward, a provider that counts calls
 * and can be held or made to fail, and recorders for logs and metrics.
 */

import type {
  MetricName,
  ProviderToken,
  TokenLogger,
  TokenMetrics,
  TokenProvider,
  TokenRequest,
} from 'lambda-shared-token';
import type { LogAttributes, TokenManagerOptions } from 'lambda-shared-token/advanced';
import { SaltCipher, TokenManager } from 'lambda-shared-token/advanced';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { testSecret } from '../support/test-secrets.js';

/** A real epoch value (2026-11-22T12:00:00Z), ms-aligned to a whole second: 0 would hide unit bugs. */
export const START = Date.UTC(2026, 10, 22, 12);
export const TOKEN_TYPE = 'salesforce';
export const SALT = testSecret('harness:salt', 'salt-');
export const HOUR_MS = 3_600_000;

interface Timer {
  at: number;
  seq: number;
  fire: () => Promise<void> | void;
}

/**
 * Virtual time. `sleep(ms)` registers a timer; `run(promise)` lets every pending microtask
 * finish, then jumps to the earliest timer, until the promise settles. Concurrent sleepers
 * share one timeline, as they would with real timers.
 */
export class FakeTime {
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start = START) {
    this.current = start;
  }

  readonly clock = { now: (): number => this.current };

  now(): number {
    return this.current;
  }

  /** Moves the clock forward without firing anything (a container that sat idle). */
  advance(ms: number): void {
    this.current += ms;
  }

  /** A sleep function for one manager; every delay it is asked for lands in `requested`. */
  sleeper(): { sleep: (ms: number) => Promise<void>; requested: number[]; wokeAt: number[] } {
    const requested: number[] = [];
    const wokeAt: number[] = [];
    const sleep = (ms: number): Promise<void> =>
      new Promise<void>((resolve) => {
        requested.push(ms);
        this.schedule(this.current + ms, () => {
          wokeAt.push(this.current);
          resolve();
        });
      });
    return { sleep, requested, wokeAt };
  }

  /** Runs `action` when virtual time reaches `at` (epoch ms); `run` awaits it before going on. */
  at(at: number, action: () => Promise<void> | void): void {
    this.schedule(at, action);
  }

  /** Drives virtual time until `promise` settles; fails on a deadlock (pending, nothing scheduled). */
  async run<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (;;) {
      await flushMicrotasks();
      if (settled) return promise;
      const next = this.timers.shift();
      if (!next) throw new Error('deadlock: the promise is pending and no timer is scheduled');
      this.current = Math.max(this.current, next.at);
      await next.fire();
    }
  }

  private schedule(at: number, fire: () => Promise<void> | void): void {
    this.timers.push({ at, seq: this.seq++, fire });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

/** Every queued microtask (and the ones they queue) runs before a setImmediate callback. */
export const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Answer = (request: TokenRequest) => Promise<ProviderToken> | ProviderToken;

/**
 * Issues `access-token-secret-1`, `-2`, ... living `lifetimeMs` from the (virtual) moment of
 * the answer. `answerNext` queues one special answer; `holdNext` makes the next call wait
 * until the test releases it.
 */
export class FakeProvider implements TokenProvider {
  readonly requests: TokenRequest[] = [];
  lifetimeMs = HOUR_MS;
  /** When set, every answer carries `refresh-token-secret-<n>`. */
  rotateRefreshTokens = false;
  /**
   * The bound it declares on one call, as the HTTP providers do: a claim needs this plus 1 s for
   * the commit before the caller's deadline. `undefined` declares none (the whole lease is needed).
   */
  timeoutMs: number | undefined = 1_000;
  private issued = 0;
  private readonly queue: Answer[] = [];

  constructor(private readonly time: FakeTime) {}

  get calls(): number {
    return this.requests.length;
  }

  async fetchToken(request: TokenRequest): Promise<ProviderToken> {
    this.requests.push(request);
    const answer = this.queue.shift() ?? (() => this.issue());
    return answer(request);
  }

  /** The token the next default answer will carry. */
  issue(): ProviderToken {
    this.issued++;
    return {
      accessToken: `access-token-secret-${this.issued}`,
      expiresAt: this.time.now() + this.lifetimeMs,
      ...(this.rotateRefreshTokens && { refreshToken: `refresh-token-secret-${this.issued}` }),
    };
  }

  answerNext(answer: Answer): void {
    this.queue.push(answer);
  }

  failNext(error: unknown): void {
    this.queue.push(() => Promise.reject(error));
  }

  /** The next call waits for `release()`, which answers with a freshly issued token. */
  holdNext(): { release: () => void; fail: (error: unknown) => void; started: Promise<void> } {
    const gate = deferred<void>();
    const started = deferred<void>();
    this.queue.push(async () => {
      started.resolve();
      await gate.promise;
      return this.issue();
    });
    return { release: () => gate.resolve(), fail: (error) => gate.reject(error), started: started.promise };
  }
}

export interface MetricPoint {
  name: MetricName;
  value: number;
  tokenType: string;
}

export class RecordingMetrics implements TokenMetrics {
  readonly points: MetricPoint[] = [];

  record(name: MetricName, value: number, tokenType: string): void {
    this.points.push({ name, value, tokenType });
  }

  count(name: MetricName): number {
    return this.points.filter((point) => point.name === name).length;
  }

  values(name: MetricName): number[] {
    return this.points.filter((point) => point.name === name).map((point) => point.value);
  }
}

export interface LogCall {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: LogAttributes | undefined;
}

export class RecordingLogger implements TokenLogger {
  readonly calls: LogCall[] = [];

  debug(message: string, attributes?: LogAttributes): void {
    this.calls.push({ level: 'debug', message, attributes });
  }
  info(message: string, attributes?: LogAttributes): void {
    this.calls.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes?: LogAttributes): void {
    this.calls.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes?: LogAttributes): void {
    this.calls.push({ level: 'error', message, attributes });
  }

  /** Everything that reached the logger, as one string. */
  text(): string {
    return JSON.stringify(this.calls);
  }
}

/**
 * One table (the memory store), one provider and one salt shared by any number of
 * containers; each `container()` is a TokenManager with its own memory cache, sleep,
 * metrics and logger, as a separate Lambda container would have.
 */
export class World {
  readonly time = new FakeTime();
  readonly store = new MemoryTokenStore();
  readonly cipher = new SaltCipher({ salts: [SALT] });
  readonly provider = new FakeProvider(this.time);

  container(options: Partial<TokenManagerOptions> = {}): Container {
    const { sleep, requested, wokeAt } = this.time.sleeper();
    const metrics = new RecordingMetrics();
    const logger = new RecordingLogger();
    const manager = new TokenManager({
      tokenType: TOKEN_TYPE,
      store: this.store,
      cipher: this.cipher,
      provider: this.provider,
      clock: this.time.clock,
      sleep,
      // Jitter pinned to the middle: each delay is 3/4 of its exponential base.
      random: () => 0.5,
      metrics,
      logger,
      ...options,
    });
    return { manager, metrics, logger, sleeps: requested, wokeAt };
  }

  /**
   * Writes a committed token as another container would have, straight into the store. Unless
   * `issuedAtSeconds` says otherwise it was an hour-long token, committed an hour before its
   * expiry (or now, if that is earlier): its life bounds the refresh-ahead window.
   */
  async seedToken(options: {
    value: string;
    expiresAtSeconds: number;
    version: number;
    tokenType?: string;
    issuedAtSeconds?: number;
  }): Promise<void> {
    const tokenType = options.tokenType ?? TOKEN_TYPE;
    this.store.put({
      tokenType,
      accessToken: await this.cipher.encrypt(options.value, tokenType),
      expiresAt: options.expiresAtSeconds,
      updatedAt:
        options.issuedAtSeconds ??
        Math.min(Math.floor(this.time.now() / 1000), options.expiresAtSeconds - HOUR_MS / 1000),
      updating: false,
      version: options.version,
    });
  }
}

export interface Container {
  manager: TokenManager;
  metrics: RecordingMetrics;
  logger: RecordingLogger;
  /** Every delay this container asked `sleep` for, in order. */
  sleeps: number[];
  /** Virtual time at which each of those sleeps ended. */
  wokeAt: number[];
}

export { rejectionOf } from '../support/rejection-of.js';

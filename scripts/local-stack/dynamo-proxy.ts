/**
 * A reverse proxy on 127.0.0.1 in front of a local DynamoDB engine. It counts every call that
 * reaches the engine (the simulator and the benchmarks measure "DynamoDB calls" with it), and
 * injects the faults of the chaos matrix (dynamo-faults.ts): throttling, connection resets,
 * answers dropped after the engine applied the write, latency, requests held unanswered
 * (blackhole), and an unreachable endpoint.
 *
 * @example
 * const proxy = await startDynamoProxy(dynamo.endpoint);
 * proxy.inject({ kind: 'throttle', operations: ['GetItem'], count: 2 });
 * proxy.inject({ kind: 'latency', ms: 300, rate: 0.1 });
 * proxy.inject({ kind: 'blackhole', operations: ['UpdateItem'], bodyIncludes: 'SET accessToken', count: 1 });
 * await proxy.setReachable(false); // ECONNREFUSED on the same endpoint until setReachable(true)
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import {
  type DynamoFault,
  type DynamoFaultStats,
  type DynamoThrottlingError,
  FaultPlan,
  type FaultPlanOptions,
} from './dynamo-faults.js';
import { AWS_JSON_1_0, forward, upstreamAgent } from './dynamo-forward.js';
import { HeldConnections } from './held-connections.js';
import { sendJson } from './http-io.js';
import { type LoopbackListener, listenOnLoopback } from './loopback-server.js';

export interface DynamoCallCounts {
  reads: number;
  writes: number;
  byOperation: Record<string, number>;
}

export interface DynamoProxy {
  /** http://127.0.0.1:PORT; the same for the proxy's whole life, across `setReachable`. */
  endpoint: string;
  /**
   * Calls forwarded to the engine. A request the proxy throttled, reset or blackholed never
   * reaches the engine and is NOT counted here (see `faultStats()`); a delayed one is, once forwarded.
   */
  counts(): DynamoCallCounts;
  /** Zeroes `counts()`; the faults and their tally stay (see `clearFaults()`). */
  reset(): void;
  /** Adds a fault; the faults injected so far keep applying. Throws a TypeError naming a bad field. */
  inject(fault: DynamoFault): void;
  /**
   * Removes every fault and zeroes `faultStats()`. Requests already delayed still go on, but the
   * connections of blackholed ones are destroyed (the client sees a reset), so none is left open.
   */
  clearFaults(): void;
  /** How many times each fault kind was applied since the start or the last `clearFaults()`. */
  faultStats(): DynamoFaultStats;
  /**
   * Blackholed requests whose connection is open right now; one leaves when its client gives up
   * (aborts, times out) or when `clearFaults()`, `setReachable(false)` or `stop()` destroys it.
   */
  heldOpen(): number;
  /**
   * `false`: stops listening and destroys every open connection (requests in flight included),
   * so clients get ECONNREFUSED, as from a DynamoDB endpoint that is down. `true`: listens again
   * on the same port. Calls are applied in order; resolves once this one is in effect.
   */
  setReachable(reachable: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** An answer DynamoDB gave to a forwarded call. */
export interface DynamoAnswer {
  operation: string;
  status: number;
  /** The JSON text of the answer (ciphertexts only: the table never holds a plaintext token). */
  body: string;
  /** A `drop-answer` fault kept it from the client; the engine did the work all the same. */
  dropped: boolean;
  /** The JSON text of the request (a commit's holds ciphertexts only). */
  request: string;
  /**
   * The path the client posted to. DynamoDB serves every call at `/`, so the proxy forwards there
   * and a client may add a path of its own to be told apart (the simulator's `/c{index}`).
   */
  path: string;
  /** Epoch ms when the request reached the proxy, and when the engine's answer had been read whole. */
  receivedAt: number;
  answeredAt: number;
}

export interface DynamoProxyOptions extends FaultPlanOptions {
  /**
   * Called with each answer of the engine, dropped ones too, e.g. to see every item state a
   * write committed. @default none
   */
  onAnswer?: (answer: DynamoAnswer) => void;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** DynamoDB's own wording, so logs under test look like logs in production. */
const THROTTLING_MESSAGES: Record<DynamoThrottlingError, string> = {
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  RequestLimitExceeded: 'Throughput exceeds the current throughput limit for your account.',
};

/** A reverse proxy that counts every DynamoDB call that really reaches the engine, and injects faults. */
export async function startDynamoProxy(
  targetEndpoint: string,
  options: DynamoProxyOptions = {},
): Promise<DynamoProxy> {
  const target = new URL(targetEndpoint);
  if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1') {
    throw new Error(`the DynamoDB proxy only forwards to http://127.0.0.1, not to ${target.origin}`);
  }
  const agent = upstreamAgent();
  const counter = new CallCounter();
  const faults = new FaultPlan(options);
  const delays = new Set<NodeJS.Timeout>();
  const held = new HeldConnections();

  // The body is read first: `bodyIncludes` decides on it, and a reset or throttled client has sent it all.
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const receivedAt = Date.now();
    readRequest(req).then(
      (body) => carryOut(req, res, body, receivedAt),
      () => req.socket.destroy(), // The client went away mid-request: nothing to answer.
    );
  };

  const carryOut = (req: IncomingMessage, res: ServerResponse, body: Buffer, receivedAt: number): void => {
    const operation = operationOf(req);
    const decision = faults.decide(operation, body.toString('utf8'));
    // Held from the decision on, so clearFaults() releases it even while it is still delayed.
    if (decision.action === 'blackhole') held.hold(req.socket);
    const act = (): void => {
      // The client gave up, or the proxy went unreachable, while the request was delayed.
      if (req.socket.destroyed) return;
      if (decision.action === 'blackhole') return; // Read, never answered: the socket stays open and silent.
      if (decision.action === 'reset') req.socket.resetAndDestroy();
      else if (decision.action === 'throttle') sendThrottling(res, decision.error);
      else {
        counter.record(operation);
        const { onAnswer } = options;
        const dropped = decision.action === 'drop-answer';
        forward(
          req,
          res,
          body,
          target,
          agent,
          onAnswer &&
            ((status, answer) =>
              onAnswer({
                operation,
                status,
                body: answer,
                dropped,
                request: body.toString('utf8'),
                path: req.url ?? '/',
                receivedAt,
                answeredAt: Date.now(),
              })),
          dropped,
        );
      }
    };
    if (decision.delayMs === 0) {
      act();
      return;
    }
    const timer = setTimeout(() => {
      delays.delete(timer);
      act();
    }, decision.delayMs);
    delays.add(timer);
  };

  const first = await listenOnLoopback(proxyServer(handle));
  const port = first.port;
  let reachable: LoopbackListener | undefined = first;
  let transitions = Promise.resolve();

  const setReachable = (wanted: boolean): Promise<void> => {
    transitions = transitions.then(async () => {
      if (wanted && !reachable) {
        reachable = await listenOnLoopback(proxyServer(handle), port).catch((error: unknown) => {
          throw new Error(`the DynamoDB proxy could not listen on 127.0.0.1:${port} again`, { cause: error });
        });
      } else if (!wanted && reachable) {
        const closing = reachable;
        reachable = undefined;
        held.release();
        await closing.close();
      }
    });
    return transitions;
  };

  return {
    endpoint: first.origin,
    counts: () => counter.snapshot(),
    reset: () => counter.reset(),
    inject: (fault) => faults.inject(fault),
    clearFaults: () => {
      faults.clear();
      held.release();
    },
    faultStats: () => faults.snapshot(),
    heldOpen: () => held.size,
    setReachable,
    stop: async () => {
      await transitions.catch(() => {});
      held.release();
      await reachable?.close();
      reachable = undefined;
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      agent.destroy();
    },
  };
}

function proxyServer(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handle);
  // Outlive the SDK's idle sockets, so clients rarely reuse a connection we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

/** The whole body, unbounded (a proxy does not judge sizes); rejects when the client goes away mid-body. */
async function readRequest(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** As DynamoDB answers: 400, JSON 1.0, a namespaced `__type` the SDK maps to its exception. */
function sendThrottling(res: ServerResponse, error: DynamoThrottlingError): void {
  sendJson(
    res,
    400,
    { __type: `com.amazonaws.dynamodb.v20120810#${error}`, message: THROTTLING_MESSAGES[error] },
    { 'content-type': AWS_JSON_1_0, 'x-amzn-requestid': randomUUID() },
  );
}

/** `DynamoDB_20120810.GetItem` -> `GetItem`. */
function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string' || target === '') return '(none)';
  return target.slice(target.lastIndexOf('.') + 1);
}

class CallCounter {
  private reads = 0;
  private writes = 0;
  private byOperation = new Map<string, number>();

  record(operation: string): void {
    if (READS.has(operation)) this.reads++;
    else if (WRITES.has(operation)) this.writes++;
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + 1);
  }

  snapshot(): DynamoCallCounts {
    return { reads: this.reads, writes: this.writes, byOperation: Object.fromEntries(this.byOperation) };
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.byOperation.clear();
  }
}

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export interface DynamoCallCounts {
  reads: number;
  writes: number;
  byOperation: Record<string, number>;
}

export interface DynamoProxy {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  counts(): DynamoCallCounts;
  reset(): void;
  stop(): Promise<void>;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

// Meaningful for one connection only; forwarding them would confuse the other leg.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// Below the 5 s keep-alive of Node servers (dynalite): we drop an idle upstream socket before
// the engine does, so a request never lands on a socket that is being closed under it.
const UPSTREAM_IDLE_MS = 4_000;

/** A reverse proxy that counts every DynamoDB call that really crosses the network. */
export async function startDynamoProxy(targetEndpoint: string): Promise<DynamoProxy> {
  const target = new URL(targetEndpoint);
  if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1') {
    throw new Error(`the DynamoDB proxy only forwards to http://127.0.0.1, not to ${target.origin}`);
  }
  const agent = new Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_MS });
  const counter = new CallCounter();

  const server = createServer((req, res) => {
    counter.record(operationOf(req));
    forward(req, res, target, agent);
  });
  // Outlive the SDK's idle sockets, so clients rarely reuse a connection we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const listener = await listenOnLoopback(server);

  return {
    endpoint: listener.origin,
    counts: () => counter.snapshot(),
    reset: () => counter.reset(),
    stop: async () => {
      await listener.close();
      agent.destroy();
    },
  };
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

function forward(req: IncomingMessage, res: ServerResponse, target: URL, agent: Agent): void {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: endToEnd(req.headers),
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // 5xx: the SDK treats it as transient and retries, as it would against DynamoDB.
    res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: 'upstream unreachable',
      }),
    );
  });
  // A client that gives up must not leave the engine working on an orphaned request.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * The DynamoDB proxy's leg to the engine (dynamo-proxy.ts): a request forwarded with its body read
 * whole, its answer piped back (or seen and dropped, for `drop-answer`), and a 5xx the SDK retries
 * when the engine cannot be reached.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'node:http';

export const AWS_JSON_1_0 = 'application/x-amz-json-1.0';

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

/** Keep-alive connections to the engine, dropped before the engine drops them. */
export function upstreamAgent(): Agent {
  return new Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_MS });
}

/** Sends the request on to the engine; `onAnswer` sees each answer's status and body. */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  target: URL,
  agent: Agent,
  onAnswer: ((status: number, body: string) => void) | undefined,
  dropAnswer: boolean,
): void {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      // DynamoDB serves every call at the root; a path is the client's label (dynamo-proxy.ts).
      path: '/',
      // The body was read whole: its length is known, whatever framing the client used.
      headers: { ...endToEnd(req.headers), 'content-length': String(body.length) },
      agent,
    },
    (answer) => {
      const status = answer.statusCode ?? 502;
      if (onAnswer) {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => onAnswer(status, Buffer.concat(chunks).toString('utf8')));
      }
      if (dropAnswer) {
        // The engine has done the work; the client gets a reset instead of its answer.
        answer.once('end', () => req.socket.resetAndDestroy());
        answer.resume();
        return;
      }
      res.writeHead(status, endToEnd(answer.headers));
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // 5xx: the SDK treats it as transient and retries, as it would against DynamoDB.
    res.writeHead(502, { 'content-type': AWS_JSON_1_0 });
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
  upstream.end(body);
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

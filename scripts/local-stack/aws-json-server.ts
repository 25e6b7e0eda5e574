import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { type AwsStall, type AwsStallStats, StallPlan } from './aws-stalls.js';
import { HeldConnections } from './held-connections.js';
import { BodyTooLargeError, readBody, sendJson } from './http-io.js';
import { listenOnLoopback } from './loopback-server.js';

/**
 * The AWS JSON 1.1 protocol (Secrets Manager, KMS) for local servers: one POST to `/`, the operation in
 * `X-Amz-Target: <prefix>.<Operation>`, a JSON body in and out, and errors as HTTP 4xx/5xx with
 * `{"__type": "...", "message": "..."}` plus the `x-amzn-errortype` header, as the SDK v3 parses them.
 */

export const AWS_JSON_1_1 = 'application/x-amz-json-1.1';

/** An error answer as AWS sends it; thrown by an operation, it becomes the HTTP answer. */
export class AwsServiceError extends Error {
  override readonly name = 'AwsServiceError';

  constructor(
    /** The `__type`, e.g. 'ResourceNotFoundException'; the SDK error's `name`. */
    readonly type: string,
    message: string,
    /** @default 400 */
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A failure injected for fault tests: an AWS error answer, or 'timeout' (no answer until the server stops). */
export type AwsFault = { type: string; status?: number; message?: string } | 'timeout';

/** FIFO of injected faults: each well-formed, signed request takes one until the queue is empty. */
export class AwsFaultQueue {
  private readonly pending: AwsFault[] = [];

  /** Appends, so several calls line up in call order. */
  add(count: number, fault: AwsFault): void {
    for (let i = 0; i < count; i++) this.pending.push(fault);
  }

  take(): AwsFault | undefined {
    return this.pending.shift();
  }

  clear(): void {
    this.pending.length = 0;
  }
}

/** Server-side errors answer 5xx, as AWS does; everything else (throttling included) is the caller's 400. */
export function defaultFaultStatus(type: string): number {
  if (type === 'ServiceUnavailable' || type === 'ServiceUnavailableException') return 503;
  return /^Internal/.test(type) ? 500 : 400;
}

/** The request body: always a JSON object by the time an operation sees it. */
export type AwsJsonInput = Record<string, unknown>;

export type AwsJsonOperation = (input: AwsJsonInput) => unknown;

/** AWS's ValidationException; names the field, never its value. */
export function validationError(field: string, problem: string): AwsServiceError {
  return new AwsServiceError('ValidationException', `1 validation error detected: '${field}' ${problem}`);
}

/** A non-empty string field, else ValidationException. */
export function requiredString(input: AwsJsonInput, field: string): string {
  const value = input[field];
  if (value === undefined || value === null) throw validationError(field, 'must not be null');
  if (typeof value !== 'string' || value === '') throw validationError(field, 'must be a non-empty string');
  return value;
}

export function optionalString(input: AwsJsonInput, field: string): string | undefined {
  return input[field] === undefined || input[field] === null ? undefined : requiredString(input, field);
}

export interface AwsJsonServerOptions {
  /** The `X-Amz-Target` prefix: 'secretsmanager', 'TrentService'. */
  targetPrefix: string;
  /** The SigV4 signing name the credential scope must carry: 'secretsmanager', 'kms'. */
  signingName: string;
  /** The region the credential scope must carry, as a real regional endpoint demands. */
  region: string;
  /** Operation name (the part after the dot) to handler; a handler may be async. */
  operations: Record<string, AwsJsonOperation>;
  /**
   * Runs for every well-formed request (signed, a known operation, a JSON object body) before its operation:
   * counts calls, and may return a fault to answer instead.
   */
  beforeOperation?: (operation: string, input: AwsJsonInput) => AwsFault | undefined;
  /** Epoch ms, for the stalls' `durationMs`. @default Date.now */
  now?: () => number;
}

/** The stall switch, shared by every server built on this one (KMS, Secrets Manager). */
export interface AwsStallControl {
  /**
   * The next matching well-formed requests (after `beforeOperation`, which counts them, left them alone) are
   * read and never answered: the socket stays open and silent until the client gives up, `clearStalls()` or
   * `stop()`. Adds to the earlier stalls. Throws a TypeError naming a bad field (or an operation not served).
   */
  stall(stall: AwsStall): void;
  /** Removes every stall, zeroes `stallStats()`, and destroys the sockets of the stalled requests. */
  clearStalls(): void;
  stallStats(): AwsStallStats;
  /** Stalled requests whose connection is open right now (a client that gave up is not counted). */
  heldOpen(): number;
}

export interface AwsJsonServer extends AwsStallControl {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Closes every socket, parked 'timeout' and stalled requests included. Idempotent. */
  stop(): Promise<void>;
}

export function sendAwsError(res: ServerResponse, error: AwsServiceError): void {
  sendJson(
    res,
    error.status,
    { __type: error.type, message: error.message },
    { 'content-type': AWS_JSON_1_1, 'x-amzn-errortype': error.type, 'x-amzn-requestid': randomUUID() },
  );
}

function sendAwsResult(res: ServerResponse, result: unknown): void {
  sendJson(res, 200, result ?? {}, { 'content-type': AWS_JSON_1_1, 'x-amzn-requestid': randomUUID() });
}

// AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=a;b, Signature=hex
const SIGV4 =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Checks that a SigV4 `Authorization` header is there, well formed, and scoped to this service and region.
 * It does not verify the signature: the local servers accept any credentials, the point is that the caller
 * really signed for the right service (a client pointed at the wrong server fails here, as on AWS).
 */
export function checkSigV4Shape(
  headers: IncomingHttpHeaders,
  expected: { signingName: string; region: string },
): AwsServiceError | undefined {
  const header = headers.authorization;
  if (header === undefined || header === '') {
    return new AwsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const match = SIGV4.exec(header.trim());
  if (!match) {
    return new AwsServiceError(
      'IncompleteSignatureException',
      'Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256).',
    );
  }
  const [, , , region, service, signedHeaders] = match;
  if (service !== expected.signingName) {
    return new AwsServiceError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${expected.signingName}'.`,
      403,
    );
  }
  if (region !== expected.region) {
    return new AwsServiceError(
      'InvalidSignatureException',
      'Credential should be scoped to a valid region.',
      403,
    );
  }
  const signed = signedHeaders!.split(';');
  if (!signed.includes('host') || headers['x-amz-date'] === undefined) {
    return new AwsServiceError(
      'IncompleteSignatureException',
      'The request must sign the host header and carry X-Amz-Date.',
    );
  }
  return undefined;
}

/** The operation named by `X-Amz-Target`, or an UnknownOperationException. */
function operationOf(headers: IncomingHttpHeaders, options: AwsJsonServerOptions): string | AwsServiceError {
  const target = headers['x-amz-target'];
  const prefix = `${options.targetPrefix}.`;
  const operation =
    typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : '';
  if (!Object.hasOwn(options.operations, operation)) {
    return new AwsServiceError('UnknownOperationException', 'The operation is not supported by this server.');
  }
  return operation;
}

function parseInput(body: string): AwsJsonInput | undefined {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as AwsJsonInput)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Starts an AWS JSON 1.1 service on 127.0.0.1 with an OS-assigned port. */
export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const stalls = new StallPlan(Object.keys(options.operations), options.now ?? Date.now);
  const held = new HeldConnections();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== 'POST') {
      return sendAwsError(res, new AwsServiceError('UnknownOperationException', 'Use POST /.'));
    }
    const unsigned = checkSigV4Shape(req.headers, options);
    if (unsigned) return sendAwsError(res, unsigned);
    const operation = operationOf(req.headers, options);
    if (operation instanceof AwsServiceError) return sendAwsError(res, operation);

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== AWS_JSON_1_1) {
      return sendAwsError(
        res,
        new AwsServiceError('SerializationException', `Content-Type must be ${AWS_JSON_1_1}.`),
      );
    }
    const input = parseInput(body);
    // The message names the problem only: the body may hold a secret value.
    if (input === undefined) {
      return sendAwsError(
        res,
        new AwsServiceError('SerializationException', 'The request body is not a JSON object.'),
      );
    }

    const fault = options.beforeOperation?.(operation, input);
    if (fault === 'timeout') return; // parked: stop() destroys the socket
    if (fault) {
      const status = fault.status ?? defaultFaultStatus(fault.type);
      return sendAwsError(res, new AwsServiceError(fault.type, fault.message ?? 'Injected failure.', status));
    }
    if (stalls.take(operation)) return held.hold(req.socket); // read, never answered
    const result = await options.operations[operation]!(input);
    sendAwsResult(res, result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof AwsServiceError) return sendAwsError(res, error);
      if (error instanceof BodyTooLargeError) {
        return sendAwsError(
          res,
          new AwsServiceError('ValidationException', 'The request body is too large.', 413),
        );
      }
      // A bug of ours: its text could quote request content, so the answer carries a fixed message.
      sendAwsError(res, new AwsServiceError('InternalFailure', 'The local server failed.', 500));
    });
  });
  const listener = await listenOnLoopback(server);
  return {
    endpoint: listener.origin,
    stall: (stall) => stalls.add(stall),
    clearStalls: () => {
      stalls.clear();
      held.release();
    },
    stallStats: () => stalls.snapshot(),
    heldOpen: () => held.size,
    stop: () => {
      stalls.clear();
      held.release();
      return listener.close();
    },
  };
}

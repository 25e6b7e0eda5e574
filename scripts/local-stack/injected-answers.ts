import type { ServerResponse } from 'node:http';
import { sendJson } from './http-io.js';

/** A canned answer for fault tests; 'timeout' never answers until the server stops. */
export type InjectedAnswer = { status: number; body?: unknown; rawBody?: string } | 'timeout';

/** FIFO of canned answers: each request takes one until the queue is empty. */
export class InjectedAnswerQueue {
  private readonly pending: InjectedAnswer[] = [];

  /** Appends, so several calls line up in call order. */
  add(count: number, answer: InjectedAnswer): void {
    for (let i = 0; i < count; i++) this.pending.push(answer);
  }

  take(): InjectedAnswer | undefined {
    return this.pending.shift();
  }

  clear(): void {
    this.pending.length = 0;
  }
}

/** Sends the canned answer; for 'timeout' it does nothing and the socket is closed on stop. */
export function sendInjected(res: ServerResponse, answer: InjectedAnswer): void {
  if (answer === 'timeout') return;
  if (answer.rawBody !== undefined) {
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.rawBody);
    return;
  }
  if (answer.body === undefined) {
    res.writeHead(answer.status);
    res.end();
    return;
  }
  sendJson(res, answer.status, answer.body);
}

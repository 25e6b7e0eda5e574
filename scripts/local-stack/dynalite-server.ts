import dynalite from 'dynalite';
import type { RunningDynamo } from './dynamodb-local.js';
import { listenOnLoopback } from './loopback-server.js';

/** dynalite in this process, in memory; tables become ACTIVE at once. */
export async function startDynalite(): Promise<RunningDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const listener = await listenOnLoopback(server);
  return { engine: 'dynalite', endpoint: listener.origin, stop: listener.close };
}

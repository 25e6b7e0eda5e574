/**
 * Requests read to their end and never answered: the DynamoDB proxy's blackhole
 * (dynamo-proxy.ts) and the stalls of the AWS JSON servers (aws-json-server.ts, for Secrets
 * Manager and KMS). Their connections stay open and silent, as when a packet is lost past a load
 * balancer, until the client gives up (an abort, a socket timeout) or the server releases them.
 */
import type { Socket } from 'node:net';

export class HeldConnections {
  private readonly sockets = new Set<Socket>();

  /** Held connections that are open right now: one a client closed has left already. */
  get size(): number {
    return this.sockets.size;
  }

  /**
   * Keeps the connection open and unanswered. It leaves when it closes, whoever closes it, so a
   * client that gives up leaves nothing behind.
   */
  hold(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Destroys every held connection (the clients see a reset), so none keeps Jest or a run alive. */
  release(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackListener {
  port: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Stops listening and destroys every open socket, so keep-alive clients cannot hold the port. Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (nothing is reachable from outside this machine), on `port`, or on an
 * OS-assigned port when it is 0 (the default).
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const listening = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error?: Error & { code?: string }) => {
        if (error && error.code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
        else resolve();
      });
      // server.close() alone waits for busy keep-alive connections and parked requests.
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return { port: listening, origin: `http://127.0.0.1:${listening}`, close };
}

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago. Another process can take it before the caller binds it,
 * so callers that hand it to a child process must retry on a bind failure.
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

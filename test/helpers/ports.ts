// A loopback port for a server a test starts itself (PostgreSQL, HAProxy, a Shelf node, Verdaccio).
import { createServer } from 'node:net';

/** A port the kernel just handed out, so free at that moment (the caller's server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

// A tiny registry on loopback whose answers a test scripts by hand: for failures a real registry would not produce.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (request: IncomingMessage, response: ServerResponse) => void;

export interface FakeUpstream {
  url: string;
  requests: string[];
  route(path: string, handler: Route): void;
  /** Answers every path starting with `prefix` that no exact route claims (longest prefix first). */
  routePrefix(prefix: string, handler: Route): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const routes = new Map<string, Route>();
  const prefixes = new Map<string, Route>();
  const requests: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const handler =
      routes.get(request.url ?? '') ??
      [...prefixes].sort((a, b) => b[0].length - a[0].length).find(([prefix]) => (request.url ?? '').startsWith(prefix))?.[1];
    if (handler) return handler(request, response);
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    route: (path, handler) => routes.set(path, handler),
    routePrefix: (prefix, handler) => prefixes.set(prefix, handler),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

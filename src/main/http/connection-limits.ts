// Caps on open connections, in total and per client address, and the server's header and request time limits.
// Each open socket costs memory and a file descriptor whether or not it ever sends a request; without a cap one client
// could hold them all (slow headers, idle keep-alives, slow bodies).
import type { Server, Socket } from 'node:net';
import type { ConnectionLimits } from '../config/config';

/** Headers must arrive in this time (Node's default is 60 s). */
export const HEADERS_TIMEOUT_MS = 15_000;
/**
 * The whole request (headers and body) must arrive in this time. It is only a backstop for the largest uploads on a
 * slow link: stalled and trickling bodies are closed much sooner by body-limits.ts's pace check.
 */
export const REQUEST_TIMEOUT_MS = 15 * 60_000;

export interface ConnectionGuard {
  /** True for a socket that was refused (a request parsed from it before it closes must not be answered). */
  refused(socket: Socket | null | undefined): boolean;
  /** Open (accepted) connections now, in total. */
  open(): number;
}

/** What a refused client reads before the socket closes: a real HTTP answer, so it can say why. */
function refusal(message: string): string {
  const body = JSON.stringify({ error: message });
  return [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Retry-After: 5',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** IPv4 clients on a dual-stack socket show as ::ffff:a.b.c.d; count them as the IPv4 address they are. */
function addressOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function limitConnections(
  server: Server,
  limits: ConnectionLimits,
  exempt: (address: string | undefined) => boolean,
  log: (message: string) => void,
): ConnectionGuard {
  const perAddress = new Map<string, number>();
  const refusedSockets = new WeakSet<Socket>();
  let total = 0;
  let lastLogged = 0;

  const refuse = (socket: Socket, message: string) => {
    refusedSockets.add(socket);
    // Logged at most once a minute: a flood of refusals must not become a flood of log lines.
    const now = Date.now();
    if (now - lastLogged > 60_000) {
      lastLogged = now;
      log(`refusing connections: ${message}`);
    }
    socket.on('error', () => undefined);
    socket.end(refusal(message), () => socket.destroy());
  };

  // Prepended so the decision is made before the HTTP parser is attached to the socket.
  server.prependListener('connection', (socket: Socket) => {
    const address = addressOf(socket);
    const counted = !exempt(socket.remoteAddress);
    const mine = perAddress.get(address) ?? 0;
    if (total >= limits.total) {
      return refuse(socket, `Shelf has ${total} open connections, its limit (--max-connections ${limits.total}); try again shortly`);
    }
    if (counted && mine >= limits.perAddress) {
      return refuse(
        socket,
        `${address} already has ${mine} open connections to Shelf, the limit per address (--max-connections-per-address ${limits.perAddress}); close some or try again shortly`,
      );
    }
    total += 1;
    if (counted) perAddress.set(address, mine + 1);
    socket.once('close', () => {
      total -= 1;
      if (!counted) return;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });

  return { refused: (socket) => !!socket && refusedSockets.has(socket), open: () => total };
}

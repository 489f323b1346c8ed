// Refuses requests whose Host header is not one of the server's own names, so a rebound DNS name cannot reach it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../config/config';

export function allowedHostNames(listenHost: string, publicUrl: string | undefined, extra: readonly string[]): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
  const add = (h: string) => names.add(h.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
  if (!['0.0.0.0', '::'].includes(listenHost)) add(listenHost);
  if (publicUrl) add(new URL(publicUrl).hostname);
  for (const h of extra) add(h);
  return names;
}

/** The host name of a Host header value: strips the port and IPv6 brackets. */
export function hostNameOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function hostGuard(allowed: Set<string>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.host;
    const name = header ? hostNameOf(header) : '';
    if (!allowed.has(name) && !isLoopbackHost(name)) {
      await reply.code(403).send({
        error: `this registry does not answer to the host name '${header ?? ''}'; if that name is really yours, start Shelf with --allowed-hosts ${name || '<name>'}`,
      });
    }
  };
}

// The base URL a client used, for the tarball links of the documents sent to it.
import type { FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../../config/config';
import { hostNameOf } from '../host-guard';

export interface BaseUrlRules {
  /** --public-url: when set, it is every document's base URL, whatever address the request came to. */
  publicUrl: string | undefined;
  /** The names Shelf answers to (the host guard's list); no other name is ever echoed into a document. */
  allowed: ReadonlySet<string>;
  /** The server's own base URL (ending in '/'). */
  fallback: () => string;
}

/** A Host value: a name or bracketed IPv6 address, and an optional port. Anything else (lists, paths, spaces) is not echoed. */
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/**
 * The address the client used: Host, or X-Forwarded-Host/Proto when the connection comes from a proxy named with
 * --trust-proxy (fastify's request.host and request.protocol honour exactly that). A name Shelf does not answer to
 * falls back to its own address, so a forged header cannot put a foreign link into a document.
 */
export function requestBaseUrl(request: FastifyRequest, rules: BaseUrlRules): string {
  return baseUrlFor(String(request.host ?? ''), request.protocol, rules);
}

/** requestBaseUrl from the host and protocol fastify would report (the fast path, http/fast-path.ts, has no FastifyRequest). */
export function baseUrlFor(hostHeader: string, protocol: string, rules: BaseUrlRules): string {
  if (rules.publicUrl) return rules.fallback();
  const host = hostHeader.trim();
  if (!HOST.test(host)) return rules.fallback();
  const name = hostNameOf(host);
  if (!rules.allowed.has(name) && !isLoopbackHost(name)) return rules.fallback();
  return `${protocol === 'https' ? 'https' : 'http'}://${host.toLowerCase()}/`;
}

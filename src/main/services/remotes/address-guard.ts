// Requests to remote registries someone typed in: they must not turn Shelf into a proxy onto its own network. Every
// address a name resolves to is checked with ipaddr.js before a connection is made — in the socket's own DNS lookup, so
// the address checked is the address connected to (a name that resolves to a public address for the check and to
// 127.0.0.1 for the connection, DNS rebinding, cannot slip through). Redirects are not followed, so a remote cannot
// bounce a request onto an internal address either. Failures are reported in one fixed form whatever the cause
// (refused, timed out, no such name), so the error is no port scanner; a remote's response body is never quoted.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { ShelfError } from '../../errors';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface AddressPolicy {
  /** Loopback, private, link-local and other non-public addresses are reachable (`--allow-private-remotes`, or the desktop app's own user). */
  allowPrivate: boolean;
}

/** The largest remote response read (a packument or a tarball read back after a publish). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** True for an address on the public internet: ipaddr.js's 'unicast' range, with IPv4-mapped IPv6 judged as IPv4. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/** The refusal for a non-public target: names the rule and who can lift it, not what (if anything) listens there. */
export function privateTargetRefused(host: string): ShelfError {
  return new ShelfError(
    'permission_denied',
    `remote registries on loopback, private, link-local or multicast addresses are refused (${host}); ` +
      "the server's operator can allow them with --allow-private-remotes",
  );
}

/** The one message for a remote that could not be reached, whatever the reason. */
export function unreachable(url: string): ShelfError {
  return new ShelfError(
    'upstream_failed',
    `could not reach ${url} (no answer in time, or the connection failed); check the address and that it is online`,
  );
}

/** Refuses a URL whose host is a non-public IP literal (a literal never goes through the lookup below). */
export function checkLiteralHost(url: URL, policy: AddressPolicy): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(host) && !isPublicAddress(host)) throw privateTargetRefused(url.host);
}

class PrivateAddressError extends Error {
  constructor(readonly host: string) {
    super(`private address for ${host}`);
  }
}

/** A DNS lookup for the socket that fails when any address the name resolves to is not public. */
function checkingLookup(policy: AddressPolicy) {
  return (hostname: string, options: object, callback: (...args: unknown[]) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      if (!policy.allowPrivate && addresses.some((a) => !isPublicAddress(a.address))) return callback(new PrivateAddressError(hostname));
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
      return callback(null, first.address, first.family);
    });
  };
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  return Object.fromEntries(new Headers(init?.headers).entries());
}

/**
 * fetch's shape over node:http(s) with the checking lookup (global fetch takes no lookup). Throws privateTargetRefused
 * for a non-public target and unreachable(url) for every network failure; a response of any status is returned as is.
 */
export function guardedFetch(policy: AddressPolicy): FetchLike {
  return async (raw, init) => {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ShelfError('invalid_request', `only http and https remotes are supported, not ${url.protocol}`);
    checkLiteralHost(url, policy);
    const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(init.body as string | Uint8Array);
    const request = (url.protocol === 'https:' ? https : http).request;
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        {
          method: init?.method ?? 'GET',
          headers: { ...headersOf(init), ...(body ? { 'content-length': String(body.length) } : {}) },
          lookup: checkingLookup(policy) as never,
          signal: init?.signal ?? undefined,
          // A fresh connection per request: a pooled socket would skip the lookup for a second request.
          agent: false,
        },
        (res) => {
          let seen = 0;
          const capped = new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              seen += chunk.byteLength;
              if (seen > MAX_RESPONSE_BYTES) controller.error(new Error('the response is larger than Shelf reads from a remote'));
              else controller.enqueue(chunk);
            },
          });
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (Array.isArray(value)) for (const v of value) headers.append(name, v);
            else if (value !== undefined) headers.set(name, value);
          }
          const status = res.statusCode ?? 502;
          const noBody = status === 204 || status === 304 || init?.method === 'HEAD';
          if (noBody) res.resume();
          resolve(
            new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>).pipeThrough(capped), {
              status: status < 200 || status > 599 ? 502 : status,
              headers,
            }),
          );
        },
      );
      req.on('error', (error) => {
        if (error instanceof PrivateAddressError) reject(privateTargetRefused(url.host));
        else reject(unreachable(url.origin));
      });
      req.end(body);
    });
  };
}

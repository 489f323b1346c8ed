// Which peers are reverse proxies whose X-Forwarded-For/Proto/Host headers Shelf believes (--trust-proxy).
// Anyone can send those headers; they mean something only when the connection itself comes from a proxy the operator
// named, so the answer is always about the socket's own address.
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

const LOOPBACK: Range[] = [ipaddr.parseCIDR('127.0.0.0/8'), ipaddr.parseCIDR('::1/128')];

/** A predicate over peer addresses (as `socket.remoteAddress` gives them) for the configured addresses and ranges. */
export function trustedProxies(entries: readonly string[]): (address: string | undefined) => boolean {
  if (entries.length === 0) return () => false;
  const ranges: Range[] = entries.flatMap((entry): Range[] => {
    if (entry === 'loopback') return LOOPBACK;
    if (entry.includes('/')) return [ipaddr.parseCIDR(entry)];
    const address = ipaddr.process(entry);
    return [[address, address.kind() === 'ipv4' ? 32 : 128]];
  });
  return (address) => {
    if (!address || !ipaddr.isValid(address)) return false;
    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; compare it as the IPv4 address it is.
    const peer = ipaddr.process(address);
    return ranges.some(([range, bits]) => range.kind() === peer.kind() && (peer as ipaddr.IPv4).match(range as ipaddr.IPv4, bits));
  };
}

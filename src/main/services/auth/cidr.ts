// CIDR allowlists on tokens: parsing them when a token is made, and checking a client address against them.
import ipaddr from 'ipaddr.js';
import { badRequest } from '../../errors';

export function parseCidrList(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    try {
      const [address, bits] = entry.includes('/') ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), undefined];
      const prefix = bits ?? (address.kind() === 'ipv4' ? 32 : 128);
      return `${address.toString()}/${prefix}`;
    } catch {
      throw badRequest(`'${entry}' is not an IP range in CIDR form (e.g. 192.168.1.0/24 or ::1/128)`);
    }
  });
}

export function addressAllowed(clientIp: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  let client: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) back into IPv4.
    client = ipaddr.process(clientIp);
  } catch {
    return false;
  }
  return cidrs.some((cidr) => {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return range.kind() === client.kind() && client.match(range, bits);
  });
}

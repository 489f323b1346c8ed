// The edge's pure rules: which peers are trusted proxies, and which body rules a request falls under.
import { describe, expect, it } from 'vitest';
import { bodyRouteOf } from '../../../src/main/http/body-limits';
import { trustedProxies } from '../../../src/main/http/trust-proxy';

describe('trustedProxies', () => {
  it('trusts nobody by default', () => {
    expect(trustedProxies([])('127.0.0.1')).toBe(false);
  });

  it('matches single addresses, CIDR ranges and loopback, IPv4 clients on dual-stack sockets included', () => {
    const trusted = trustedProxies(['10.0.0.5', '192.168.0.0/16', 'loopback']);
    expect(trusted('10.0.0.5')).toBe(true);
    expect(trusted('::ffff:10.0.0.5')).toBe(true);
    expect(trusted('10.0.0.6')).toBe(false);
    expect(trusted('192.168.44.1')).toBe(true);
    expect(trusted('127.0.0.1')).toBe(true);
    expect(trusted('::1')).toBe(true);
    expect(trusted('203.0.113.9')).toBe(false);
    expect(trusted(undefined)).toBe(false);
    expect(trusted('not-an-address')).toBe(false);
  });

  it('does not stretch an IPv4 range over IPv6 addresses', () => {
    expect(trustedProxies(['0.0.0.0/0'])('2001:db8::1')).toBe(false);
  });
});

describe('bodyRouteOf', () => {
  it.each([
    ['PUT', '/left-pad', 'publish'],
    ['PUT', '/@scope%2fpkg', 'publish'],
    ['PUT', '/left-pad/-rev/3-abc', 'publish'],
    ['POST', '/api/v1/packages', 'publish'],
    ['POST', '/api/v1/packages/publish?x=1', 'publish'],
    ['POST', '/-/shelf/rpc/publish.run', 'upload'],
    ['POST', '/-/shelf/rpc/graph.resolve', 'upload'],
    ['POST', '/-/shelf/rpc/session.signIn', 'small'],
    ['POST', '/-/npm/v1/security/advisories/bulk', 'audit'],
    ['PUT', '/-/user/org.couchdb.user:eve', 'small'],
    ['PUT', '/-/package/left-pad/dist-tags/beta', 'small'],
    ['POST', '/api/v1/auth/login', 'small'],
    ['PUT', '/api/v1/packages/x/owners', 'small'],
  ])('%s %s → %s', (method, url, route) => {
    expect(bodyRouteOf(method, url)).toBe(route);
  });
});

// The "no wider than the presenting credential" rule on its own: rights, expiry and address ranges.
import { describe, expect, it } from 'vitest';
import { PASSWORD_CEILING, fitUnder, type TokenGrant } from '../../../src/main/services/auth/token-grant';

const now = new Date('2030-01-01T00:00:00Z');
const bounded: TokenGrant = {
  scope: 'admin',
  apiScopes: ['read', 'admin'],
  expiresAt: '2030-01-02T00:00:00.000Z',
  cidrs: ['10.0.0.0/8', '::1/128'],
};

describe('fitUnder', () => {
  it('lets a password make any token, including one that never expires and works from anywhere', () => {
    expect(fitUnder(PASSWORD_CEILING, { scope: 'publish', expiresAt: null, cidrs: [] }, now)).toEqual({
      scope: 'publish',
      apiScopes: ['read', 'publish', 'yank'],
      expiresAt: null,
      cidrs: [],
    });
  });

  it('gives a request that leaves limits out the ceiling’s own limits', () => {
    expect(fitUnder(bounded, { scope: 'admin' }, now)).toEqual(bounded);
  });

  it('accepts narrower ranges, earlier expiry and fewer rights', () => {
    const grant = fitUnder(bounded, { scope: 'read', apiScopes: ['read'], expiresAt: '2030-01-01T12:00:00Z', cidrs: ['10.1.2.0/24'] }, now);
    expect(grant).toEqual({ scope: 'read', apiScopes: ['read'], expiresAt: '2030-01-01T12:00:00.000Z', cidrs: ['10.1.2.0/24'] });
  });

  it('refuses a higher scope, a scope the ceiling lacks, a later or no expiry, and a wider or foreign range', () => {
    const readOnly: TokenGrant = { ...bounded, scope: 'read', apiScopes: ['read'] };
    expect(() => fitUnder(readOnly, { scope: 'publish' }, now)).toThrow(/limited to read and cannot make a token with publish scope/);
    expect(() => fitUnder(bounded, { scope: 'admin', apiScopes: ['yank'] }, now)).toThrow(/does not have the scope yank/);
    expect(() => fitUnder(bounded, { scope: 'admin', expiresAt: '2030-01-03T00:00:00Z' }, now)).toThrow(/outlives it/);
    expect(() => fitUnder(bounded, { scope: 'admin', expiresAt: null }, now)).toThrow(/never expires/);
    expect(() => fitUnder(bounded, { scope: 'admin', cidrs: [] }, now)).toThrow(/usable from any address/);
    expect(() => fitUnder(bounded, { scope: 'admin', cidrs: ['0.0.0.0/0'] }, now)).toThrow(/0\.0\.0\.0\/0 lies outside/);
    expect(() => fitUnder(bounded, { scope: 'admin', cidrs: ['11.0.0.0/8'] }, now)).toThrow(/lies outside/);
    // Same bits, other family: an IPv6 range is not inside an IPv4 one.
    expect(() => fitUnder(bounded, { scope: 'admin', cidrs: ['::2/128'] }, now)).toThrow(/lies outside/);
    expect(() => fitUnder(bounded, { scope: 'admin', expiresAt: '2029-12-31T00:00:00Z' }, now)).toThrow(/already passed/);
  });
});

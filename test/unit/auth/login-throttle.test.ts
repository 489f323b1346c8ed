// LoginThrottle with a clock the test moves: per-address limit, per-account backoff, and the owner's known address.
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../src/main/services/auth/login-throttle';

function throttle() {
  let at = Date.parse('2030-01-01T00:00:00Z');
  const t = new LoginThrottle({ maxFailures: 5, windowMs: 15 * 60_000 }, () => new Date(at));
  return { t, advance: (ms: number) => (at += ms), fail: (client: string, account: string) => t.begin(client, account).failed() };
}

describe('LoginThrottle', () => {
  it('refuses an address after its failures, for any account, until the window passes', () => {
    const { t, advance, fail } = throttle();
    for (let i = 0; i < 5; i++) fail('10.0.0.1', `victim-${i}`);
    expect(() => t.begin('10.0.0.1', 'someone-else')).toThrow(/from this client; try again in 900 seconds/);
    advance(15 * 60_000 + 1);
    expect(() => t.begin('10.0.0.1', 'someone-else').succeeded()).not.toThrow();
  });

  it('counts attempts in progress, so parallel guesses cannot all slip in', () => {
    const { t } = throttle();
    const open = Array.from({ length: 5 }, () => t.begin('10.0.0.1', 'victim'));
    expect(() => t.begin('10.0.0.1', 'victim')).toThrow(/from this client/);
    for (const attempt of open) attempt.succeeded();
    expect(() => t.begin('10.0.0.1', 'victim')).not.toThrow();
  });

  it('clears only the failures against the account that signed in', () => {
    const { t, fail } = throttle();
    for (let i = 0; i < 4; i++) fail('10.0.0.1', 'admin');
    t.begin('10.0.0.1', 'own-account').succeeded();
    fail('10.0.0.1', 'admin');
    expect(() => t.begin('10.0.0.1', 'admin')).toThrow(/from this client/);
  });

  it('backs an account off after failures from many addresses, doubling, never beyond the window', () => {
    const { t, advance, fail } = throttle();
    for (let i = 0; i < 10; i++) fail(`10.0.1.${i}`, 'victim');
    expect(() => t.begin('10.0.2.1', 'victim')).toThrow(/for this account; try again in 60 seconds/);
    advance(60_000);
    fail('10.0.2.1', 'victim');
    expect(() => t.begin('10.0.2.2', 'Victim')).toThrow(/try again in 120 seconds/);
    advance(120_000);
    for (let i = 0; i < 6; i++) {
      fail(`10.0.3.${i}`, 'victim');
      advance(15 * 60_000);
    }
    fail('10.0.4.1', 'victim');
    expect(() => t.begin('10.0.4.2', 'victim')).toThrow(/try again in 900 seconds/);
  });

  it('lets the owner in from an address they signed in from before, while others wait', () => {
    const { t, fail } = throttle();
    t.begin('192.168.1.20', 'alice').succeeded();
    for (let i = 0; i < 10; i++) fail(`10.0.1.${i}`, 'alice');
    expect(() => t.begin('10.9.9.9', 'alice')).toThrow(/for this account/);
    expect(() => t.begin('192.168.1.20', 'alice').succeeded()).not.toThrow();
  });
});

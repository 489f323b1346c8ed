// Password hashes: today's cost, recognising older ones for a rehash, and refusing stored costs that would be a DoS.
import { describe, expect, it } from 'vitest';
import { CURRENT_PARAMS, hashPassword, needsRehash, verifyPassword } from '../../../src/main/services/auth/passwords';

// The cost itself is covered against a real server in test/security/logins.test.ts; here a small one keeps this fast.
const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('passwords', () => {
  it('uses OWASP’s scrypt cost by default', () => {
    expect(CURRENT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });

  it('verifies the right password only, and flags hashes made at other parameters for a rehash', async () => {
    const hash = await hashPassword('correct horse', undefined, cheap);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('wrong horse', hash)).toBe(false);
    expect(needsRehash(hash)).toBe(true);
    expect(needsRehash(hash, cheap)).toBe(false);
  });

  it('refuses stored hashes that are malformed or would cost more than 2^20 to check', async () => {
    const hash = await hashPassword('correct horse', undefined, cheap);
    const [, , r, p, salt, key] = hash.split('$');
    expect(await verifyPassword('correct horse', `scrypt$${2 ** 22}$${r}$${p}$${salt}$${key}`)).toBe(false);
    expect(await verifyPassword('correct horse', `scrypt$1000$${r}$${p}$${salt}$${key}`)).toBe(false);
    expect(await verifyPassword('correct horse', 'bcrypt$whatever')).toBe(false);
    expect(needsRehash('bcrypt$whatever')).toBe(true);
  });
});

// Password hashing with scrypt (N=2^15, r=8, p=1: OWASP's recommended floor), in Node's crypto so no native addon is needed.
import { randomBytes as nodeRandomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;
// scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly that, so leave headroom.
const MAX_MEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem: MAX_MEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, randomBytes: (n: number) => Buffer = nodeRandomBytes): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Obviously weak passwords are refused when an account is created. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'the password must be at least 8 characters long';
  if (password.length > 1024) return 'the password must be at most 1024 characters long';
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return 'that password is one of the most common ones; choose another';
  return undefined;
}

const COMMON_PASSWORDS = new Set([
  'password',
  'password1',
  'password123',
  '12345678',
  '123456789',
  '1234567890',
  'qwertyuiop',
  'qwerty123',
  'iloveyou',
  'admin123',
  'administrator',
  'letmein1',
  'welcome1',
  'sunshine',
  'football',
  'baseball',
  'trustno1',
  'abc12345',
  'changeme',
  'passw0rd',
  '11111111',
  '00000000',
  '87654321',
  'superman',
  'princess',
]);

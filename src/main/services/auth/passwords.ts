// Password hashing with scrypt at OWASP's recommended cost (N=2^17, r=8, p=1), in Node's crypto so no native addon is
// needed, with hashes made at an older cost recognised and flagged for a rehash at the next successful login.
import { randomBytes as nodeRandomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { isLegacyHash, verifyLegacyHash } from './legacy-hashes';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP Password Storage Cheat Sheet: scrypt N=2^17 (128 MiB), r=8, p=1. */
export const CURRENT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 64;
/** Costs above this are refused when verifying: a stored hash must not be able to make a login take gigabytes. */
const MAX_N = 2 ** 20;

/**
 * Each derivation at N=2^17 holds 128 MiB for a few hundred milliseconds. Unbounded, a burst of logins would run
 * libuv's four threads at once (512 MiB) and starve tarball reads of the thread pool; two at a time keeps memory at
 * 256 MiB and leaves threads for file I/O, and the others wait their turn.
 */
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: Array<() => void> = [];

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  else running += 1;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    // The slot passes straight to the next waiter, so `running` only drops when nobody waits.
    if (next) next();
    else running -= 1;
  }
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (plus a little); Node refuses above maxmem, so give it twice that.
  const maxmem = 256 * params.N * params.r;
  return withSlot(
    () =>
      new Promise((resolve, reject) => {
        scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...params, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
      }),
  );
}

export async function hashPassword(
  password: string,
  randomBytes: (n: number) => Buffer = nodeRandomBytes,
  params: ScryptParams = CURRENT_PARAMS,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key || rest.length > 0) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const sane =
    Number.isInteger(params.N) &&
    params.N > 1 &&
    params.N <= MAX_N &&
    (params.N & (params.N - 1)) === 0 &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    params.r <= 32 &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= 16;
  return sane ? { params, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') } : undefined;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // An imported htpasswd hash (shelf import verdaccio) is checked in its own form; needsRehash replaces it on success.
  if (isLegacyHash(stored)) return verifyLegacyHash(password, stored);
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.params);
  return actual.length === parsed.key.length && timingSafeEqual(actual, parsed.key);
}

/** True when a stored hash was made at other parameters than today's (it is replaced at the next successful login). */
export function needsRehash(stored: string, params: ScryptParams = CURRENT_PARAMS): boolean {
  const parsed = parse(stored);
  return (
    !parsed ||
    parsed.params.N !== params.N ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.key.length !== KEY_LENGTH
  );
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

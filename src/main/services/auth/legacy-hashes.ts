// Password hashes imported from an htpasswd file (Verdaccio's, Apache's), verified as Verdaccio's htpasswd plugin does,
// so imported users keep their passwords until their first login replaces the hash with Shelf's own (scrypt).
import { createHash, timingSafeEqual } from 'node:crypto';
import aprMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';
import unixCryptTD from 'unix-crypt-td-js';

/** Stored before an imported hash, so it can never be mistaken for (or parsed as) one of Shelf's own. */
export const LEGACY_HASH_PREFIX = 'htpasswd:';

export type LegacyHashKind = 'bcrypt' | 'sha1' | 'apr1-md5' | 'des-crypt' | 'plain';

/** The htpasswd hash forms Verdaccio accepts; undefined for any other (e.g. `$6$` SHA-512 crypt, which it cannot check either). */
export function legacyHashKind(hash: string): LegacyHashKind | undefined {
  if (/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) return 'bcrypt';
  if (/^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)) return 'sha1';
  if (/^\$apr1\$[^$]{1,8}\$[./A-Za-z0-9]{22}$/.test(hash)) return 'apr1-md5';
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'des-crypt';
  if (hash.startsWith('{PLAIN}')) return 'plain';
  return undefined;
}

export function isLegacyHash(stored: string): boolean {
  return stored.startsWith(LEGACY_HASH_PREFIX);
}

/** The value to store for an imported htpasswd hash. */
export function legacyHash(hash: string): string {
  return LEGACY_HASH_PREFIX + hash;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks a password against a stored `htpasswd:` hash; false for anything it does not recognise. */
export async function verifyLegacyHash(password: string, stored: string): Promise<boolean> {
  if (!isLegacyHash(stored)) return false;
  const hash = stored.slice(LEGACY_HASH_PREFIX.length);
  switch (legacyHashKind(hash)) {
    case 'bcrypt':
      // bcryptjs reads $2y$ (PHP's and Apache's name for the fixed $2a$) as the same algorithm, as Verdaccio relies on.
      return bcrypt.compare(password, hash);
    case 'sha1':
      return sameText(`{SHA}${createHash('sha1').update(password, 'utf8').digest('base64')}`, hash);
    case 'apr1-md5':
      return sameText(aprMd5(password, hash), hash);
    case 'des-crypt':
      // crypt(3) reads only the first 8 characters of the password, so this form is weak: it is replaced at first login.
      return sameText(unixCryptTD(password, hash), hash);
    case 'plain':
      return sameText(`{PLAIN}${password}`, hash);
    default:
      return false;
  }
}

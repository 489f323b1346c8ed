// The htpasswd hash forms Verdaccio accepts, checked as imported users log in: known vectors from the Apache and PHP
// manuals where no generator is at hand (crypt(3) DES, $apr1$), generated ones otherwise (bcrypt, {SHA}).
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { legacyHash, legacyHashKind, verifyLegacyHash } from '../../../src/main/services/auth/legacy-hashes';
import { needsRehash, verifyPassword } from '../../../src/main/services/auth/passwords';
import { parseHtpasswd } from '../../../src/main/services/import/htpasswd';

describe('imported htpasswd hashes', () => {
  it('verifies bcrypt in its $2a$, $2b$ and $2y$ spellings, and refuses a wrong password', async () => {
    const made = bcrypt.hashSync('s3cret-pass', 4);
    expect(made).toMatch(/^\$2b\$04\$/);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const hash = prefix + made.slice(4);
      expect(legacyHashKind(hash)).toBe('bcrypt');
      expect(await verifyLegacyHash('s3cret-pass', legacyHash(hash))).toBe(true);
      expect(await verifyLegacyHash('s3cret-pasS', legacyHash(hash))).toBe(false);
    }
  });

  it("verifies {SHA} (base64 SHA-1), including the Apache manual's example", async () => {
    const hash = `{SHA}${createHash('sha1').update('hunter2-long').digest('base64')}`;
    expect(legacyHashKind(hash)).toBe('sha1');
    expect(await verifyLegacyHash('hunter2-long', legacyHash(hash))).toBe(true);
    expect(await verifyLegacyHash('hunter2-lonG', legacyHash(hash))).toBe(false);
    // httpd.apache.org/docs/2.4/misc/password_encryptions.html: htpasswd -nbs myName myPassword
    expect(await verifyLegacyHash('myPassword', legacyHash('{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE='))).toBe(true);
  });

  it('verifies crypt(3) DES with published vectors, which read only 8 characters of a password', async () => {
    // The Apache manual (htpasswd -nbd myName myPassword) and PHP's crypt() manual (Standard DES example).
    expect(legacyHashKind('rqXexS6ZhobKA')).toBe('des-crypt');
    expect(await verifyLegacyHash('myPassword', legacyHash('rqXexS6ZhobKA'))).toBe(true);
    expect(await verifyLegacyHash('rasmuslerdorf', legacyHash('rl.3StKT.4T8M'))).toBe(true);
    expect(await verifyLegacyHash('rasmuslerdorF', legacyHash('rl.3StKT.4T8M'))).toBe(true);
    expect(await verifyLegacyHash('rasmusler', legacyHash('rl.3StKT.4T8M'))).toBe(true);
    expect(await verifyLegacyHash('rasmuslX', legacyHash('rl.3StKT.4T8M'))).toBe(false);
    expect(await verifyLegacyHash('yourPassword', legacyHash('rqXexS6ZhobKA'))).toBe(false);
  });

  it("verifies Apache's $apr1$ MD5 with the Apache manual's example", async () => {
    const hash = '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/';
    expect(legacyHashKind(hash)).toBe('apr1-md5');
    expect(await verifyLegacyHash('myPassword', legacyHash(hash))).toBe(true);
    expect(await verifyLegacyHash('myPassword2', legacyHash(hash))).toBe(false);
  });

  it('verifies {PLAIN}, which Verdaccio also accepts', async () => {
    expect(await verifyLegacyHash('plain-text-pw', legacyHash('{PLAIN}plain-text-pw'))).toBe(true);
    expect(await verifyLegacyHash('plain-text-p', legacyHash('{PLAIN}plain-text-pw'))).toBe(false);
  });

  it('recognises no other form, and checks nothing stored without the import prefix', async () => {
    const sha512crypt = '$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/';
    expect(legacyHashKind(sha512crypt)).toBeUndefined();
    expect(await verifyLegacyHash('anything', legacyHash(sha512crypt))).toBe(false);
    expect(await verifyLegacyHash('myPassword', 'rqXexS6ZhobKA')).toBe(false);
    expect(await verifyPassword('myPassword', 'rqXexS6ZhobKA')).toBe(false);
  });

  it("passes through Shelf's password check and is always marked for replacement by scrypt", async () => {
    const stored = legacyHash('{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=');
    expect(await verifyPassword('myPassword', stored)).toBe(true);
    expect(await verifyPassword('notMyPassword', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });
});

describe('the htpasswd file', () => {
  it("reads name:hash lines, Verdaccio's ':autocreated <date>' comment and blank or comment lines", () => {
    const entries = parseHtpasswd(
      [
        'alice:$2a$10$TtjTcgOZLGbK8vWFVs.yfeCyz.PG0kl055qumuzFT3ddhYKxcI/.a:autocreated 2026-12-02T23:31:14.295Z',
        '',
        '# a comment',
        'bob:{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=',
        'carol:$6$saltsalt$qFmFH',
      ].join('\n'),
    );
    expect(entries).toEqual([
      { name: 'alice', hash: '$2a$10$TtjTcgOZLGbK8vWFVs.yfeCyz.PG0kl055qumuzFT3ddhYKxcI/.a', kind: 'bcrypt', line: 1 },
      { name: 'bob', hash: '{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=', kind: 'sha1', line: 4 },
      { name: 'carol', hash: '$6$saltsalt$qFmFH', kind: undefined, line: 5 },
    ]);
  });
});

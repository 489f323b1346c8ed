// The credential store: real keytar against an unlocked gnome-keyring where D-Bus exists, and the fallbacks where it does not.
import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { credentialStoreOptions, openCredentialStore, type SecretCipher } from '../../../src/main/services/credentials/credential-store';

const run = promisify(execFile);

/**
 * A cipher with safeStorage's shape and a key of its own (AES-256-GCM): safeStorage itself needs the Electron binary,
 * which cannot be downloaded here; what is tested is the store around it.
 */
function aesCipher(key = randomBytes(32)): SecretCipher {
  return {
    encryptString(text) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
const hasKeyring = existsSync('/usr/bin/dbus-run-session') && existsSync('/usr/bin/gnome-keyring-daemon');
const noBus = () => {
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
  delete process.env.DBUS_SESSION_BUS_ADDRESS;
  return () => {
    if (saved !== undefined) process.env.DBUS_SESSION_BUS_ADDRESS = saved;
  };
};

describe('credential store', () => {
  it.skipIf(!hasKeyring)('keeps secrets in the system keychain through keytar under the service name shelf', async () => {
    // A child process inside its own D-Bus session with an unlocked gnome-keyring: the real Secret Service path.
    const script = resolve(__dirname, 'keychain-roundtrip.ts');
    const { stdout } = await run(
      'dbus-run-session',
      [
        '--',
        'sh',
        '-c',
        `echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ${JSON.stringify(resolve('node_modules/.bin/tsx'))} ${JSON.stringify(script)}`,
      ],
      { cwd: resolve(__dirname, '../../..'), timeout: 60_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }));
    expect(stdout).toContain('backend=keychain');
    expect(stdout).toContain('read=s3cr3t-token');
    expect(stdout).toContain('after-delete=undefined');
  });

  it('falls back to memory with a visible warning when no D-Bus session exists', async () => {
    const restore = noBus();
    try {
      const store = await openCredentialStore();
      expect(store.backend).toBe('memory');
      expect(store.warning).toMatch(/no system keychain is reachable .*forgotten when Shelf stops/);
      await store.set('upstream:http://127.0.0.1:1/', 'tok');
      expect(await store.get('upstream:http://127.0.0.1:1/')).toBe('tok');
      await store.delete('upstream:http://127.0.0.1:1/');
      expect(await store.get('upstream:http://127.0.0.1:1/')).toBeUndefined();
    } finally {
      restore();
    }
  });

  it('stores secrets unencrypted only when the user chose a plaintext file, readable by the owner alone', async () => {
    const restore = noBus();
    const dir = mkdtempSync(join(tmpdir(), 'shelf-cred-'));
    try {
      const file = join(dir, 'credentials.json');
      const store = await openCredentialStore({ plaintextFile: file });
      expect(store.backend).toBe('plaintext');
      expect(store.warning).toMatch(/unencrypted/);
      await store.set('a', 'secret-a');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 'secret-a' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps secrets in a file sealed by the OS-keyed cipher (the desktop app's safeStorage) when the keychain is out of reach", async () => {
    const restore = noBus();
    const dir = mkdtempSync(join(tmpdir(), 'shelf-cred-'));
    try {
      const key = randomBytes(32);
      const options = credentialStoreOptions(dir, undefined, aesCipher(key));
      const store = await openCredentialStore({ ...options, plaintextFile: join(dir, 'never.json') });
      expect(store.backend).toBe('encrypted');
      expect(store.warning).toBeUndefined();
      await store.set('registry-token:http://127.0.0.1:1/', 's3cr3t-token');
      await store.set('other', 'second-secret');
      const file = join(dir, 'credentials.enc.json');
      const onDisk = readFileSync(file, 'utf8');
      expect(onDisk).not.toContain('s3cr3t-token');
      expect(Object.keys(JSON.parse(onDisk) as object).sort()).toEqual(['other', 'registry-token:http://127.0.0.1:1/']);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dir, 'never.json'))).toBe(false);
      // A later session with the same OS key reads it back; another key cannot.
      const again = await openCredentialStore(credentialStoreOptions(dir, undefined, aesCipher(key)));
      expect(await again.get('registry-token:http://127.0.0.1:1/')).toBe('s3cr3t-token');
      const stranger = await openCredentialStore(credentialStoreOptions(dir, undefined, aesCipher()));
      await expect(stranger.get('other')).rejects.toThrow();
      await again.delete('registry-token:http://127.0.0.1:1/');
      expect(await again.get('registry-token:http://127.0.0.1:1/')).toBeUndefined();
      expect(await again.get('other')).toBe('second-secret');
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skip("offers Electron's safeStorage only where its key is the OS's (not Linux's basic_text) — needs the Electron binary, which cannot be downloaded on this machine (src/main/electron/safe-storage.ts)", () => {});
});

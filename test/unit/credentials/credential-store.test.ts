// The credential store: real keytar against an unlocked gnome-keyring where D-Bus exists, and the fallbacks where it does not.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openCredentialStore } from '../../../src/main/services/credentials/credential-store';

const run = promisify(execFile);
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
});

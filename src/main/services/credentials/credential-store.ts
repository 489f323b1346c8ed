// Where secrets for remote registries live: the system keychain through keytar; in the desktop app without it, a file
// encrypted by the operating system's key (Electron's safeStorage); else memory for this session only.
// Plaintext on disk happens only when the user turns it on explicitly.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** keytar's service name: every Shelf secret sits under it in the keychain. */
export const KEYCHAIN_SERVICE = 'shelf';

export type CredentialBackend = 'keychain' | 'encrypted' | 'memory' | 'plaintext';

export interface CredentialStore {
  readonly backend: CredentialBackend;
  /** Set when secrets will not outlive this session or sit unencrypted; the UI and CLI show it. */
  readonly warning?: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Encryption with a key the operating system keeps (Electron's safeStorage has exactly this shape). */
export interface SecretCipher {
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export interface CredentialStoreOptions {
  /**
   * The desktop app's fallback when keytar cannot load: secrets in this file, each encrypted by `cipher` (safeStorage,
   * offered only where its key is really the OS's, not Chromium's fixed Linux fallback).
   */
  encrypted?: { file: string; cipher: SecretCipher };
  /** Keep secrets in this file, unencrypted, when no keychain is reachable — only if the user asked for it. */
  plaintextFile?: string;
  /** Injected in tests; defaults to loading keytar. */
  loadKeytar?: () => Promise<Keytar>;
}

class KeychainStore implements CredentialStore {
  readonly backend = 'keychain';
  constructor(private readonly keytar: Keytar) {}
  async get(account: string) {
    return (await this.keytar.getPassword(KEYCHAIN_SERVICE, account)) ?? undefined;
  }
  async set(account: string, secret: string) {
    await this.keytar.setPassword(KEYCHAIN_SERVICE, account, secret);
  }
  async delete(account: string) {
    await this.keytar.deletePassword(KEYCHAIN_SERVICE, account);
  }
}

class MemoryStore implements CredentialStore {
  readonly backend = 'memory';
  private readonly secrets = new Map<string, string>();
  constructor(readonly warning: string) {}
  async get(account: string) {
    return this.secrets.get(account);
  }
  async set(account: string, secret: string) {
    this.secrets.set(account, secret);
  }
  async delete(account: string) {
    this.secrets.delete(account);
  }
}

class PlaintextStore implements CredentialStore {
  readonly backend = 'plaintext';
  constructor(
    private readonly file: string,
    readonly warning: string,
  ) {}
  private read(): Record<string, string> {
    return existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>) : {};
  }
  private write(secrets: Record<string, string>) {
    writeFileSync(this.file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
  async get(account: string) {
    return this.read()[account];
  }
  async set(account: string, secret: string) {
    this.write({ ...this.read(), [account]: secret });
  }
  async delete(account: string) {
    const secrets = this.read();
    delete secrets[account];
    this.write(secrets);
  }
}

class EncryptedFileStore implements CredentialStore {
  readonly backend = 'encrypted';
  constructor(
    private readonly file: string,
    private readonly cipher: SecretCipher,
  ) {}
  private read(): Record<string, string> {
    return existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>) : {};
  }
  private write(secrets: Record<string, string>) {
    // Written aside and renamed: a crash never leaves half a file (and with it every other secret unreadable).
    writeFileSync(`${this.file}.tmp`, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
    chmodSync(this.file, 0o600);
  }
  async get(account: string) {
    const sealed = this.read()[account];
    return sealed === undefined ? undefined : this.cipher.decryptString(Buffer.from(sealed, 'base64'));
  }
  async set(account: string, secret: string) {
    this.write({ ...this.read(), [account]: this.cipher.encryptString(secret).toString('base64') });
  }
  async delete(account: string) {
    const secrets = this.read();
    delete secrets[account];
    this.write(secrets);
  }
}

/**
 * keytar from a given compiled addon (the desktop app's Electron-ABI build). keytar's own module is a thin wrapper
 * that only checks arguments are non-empty before calling this same binding, so the binding serves as it is.
 */
export function keytarFromBinding(path: string): Keytar {
  const addon = { exports: {} as Keytar };
  process.dlopen(addon, path);
  return addon.exports;
}

async function loadKeytar(): Promise<Keytar> {
  const mod = (await import('keytar')) as Keytar & { default?: Keytar };
  return mod.default ?? mod;
}

/** The desktop app's choices: keytar's Electron-ABI build, and the encrypted file in the data folder as its fallback. */
export function credentialStoreOptions(dataDir: string, keytarBinding?: string, cipher?: SecretCipher): CredentialStoreOptions {
  return {
    ...(keytarBinding && { loadKeytar: async () => keytarFromBinding(keytarBinding) }),
    ...(cipher && { encrypted: { file: join(dataDir, 'credentials.enc.json'), cipher } }),
  };
}

/** Tries the keychain with a harmless read; falls back as the user allowed, with a warning that says what it means. */
export async function openCredentialStore(options: CredentialStoreOptions = {}): Promise<CredentialStore> {
  let reason: string;
  try {
    // keytar is a native addon; loading it, or reaching the Secret Service through it, may fail — that is what decides.
    const keytar = await (options.loadKeytar ?? loadKeytar)();
    await keytar.getPassword(KEYCHAIN_SERVICE, '__shelf_probe__');
    return new KeychainStore(keytar);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // keytar is an optional dependency: npm skips it where it cannot be built, and the fix is worth saying.
    reason =
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? 'the optional keytar module is not installed; on Linux install libsecret-1-dev and run `npm install` again'
        : ((error as Error).message.split('\n')[0] ?? 'unknown error');
  }
  if (options.encrypted) return new EncryptedFileStore(options.encrypted.file, options.encrypted.cipher);
  if (options.plaintextFile) {
    return new PlaintextStore(
      options.plaintextFile,
      `no system keychain is reachable (${reason}); registry tokens are stored unencrypted in ${options.plaintextFile}, as you chose`,
    );
  }
  return new MemoryStore(
    `no system keychain is reachable (${reason}); registry tokens are kept in memory and will be forgotten when Shelf stops`,
  );
}

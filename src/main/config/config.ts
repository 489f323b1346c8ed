// Config: every setting Shelf runs with, its default, and where each one may come from.

export type SignupPolicy = 'open' | 'closed';

export interface Limits {
  /** Largest accepted tarball, compressed, in bytes. */
  maxTarballBytes: number;
  /** Largest accepted tarball once gunzipped, in bytes (refuses gzip bombs). */
  maxUnpackedBytes: number;
  /** Most entries a tarball may hold. */
  maxTarballEntries: number;
}

export interface Config {
  /** Folder holding shelf.db, blobs/ and config.json. */
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Base URL written into tarball links and login URLs; derived from host and port when unset. */
  publicUrl?: string;
  /** Extra Host header names the server answers to (DNS-rebinding guard). */
  allowedHosts: string[];
  signup: SignupPolicy;
  limits: Limits;
  /** Failed logins from one client before it is throttled, and the window they are counted in. */
  loginThrottle: { maxFailures: number; windowMs: number };
  /** Folder of the built renderer to serve in browser mode; none serves no UI. */
  rendererDir?: string;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
}

export const DEFAULT_LIMITS: Limits = {
  maxTarballBytes: 50 * 1024 * 1024,
  maxUnpackedBytes: 250 * 1024 * 1024,
  maxTarballEntries: 20_000,
};

export const DEFAULT_PORT = 4873;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

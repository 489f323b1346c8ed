// Browser mode's RPC endpoint and page routes, driven through the renderer's own HTTP client against a real fastify.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { conflict } from '../../../src/main/errors';
import { UI_CONTENT_SECURITY_POLICY, registerUiRoutes } from '../../../src/main/http/ui-routes';
import { UiSessionStore } from '../../../src/main/http/ui-session';
import { UiSessionRecords } from '../../../src/main/services/auth/ui-sessions';
import { openSqliteMetadata } from '../../../src/main/storage/sql/sqlite';
import type { Handlers } from '../../../src/main/rpc/dispatch';
import { CallError, httpClient } from '../../../src/renderer/src/client';
import { RPC_PATH, type RegistryStatus } from '../../../src/shared/contract';

const STATUS: RegistryStatus = {
  url: 'http://127.0.0.1:4873/',
  state: 'running',
  version: '0.0.0-test',
  mode: 'browser',
  packageCount: 0,
  userCount: 0,
  needsSetup: true,
  signup: 'open',
  dataDir: '/nowhere',
  startedAt: '2026-01-01T00:00:00.000Z',
};

/** A hand-made handler table: status answers, the list echoes its parsed arguments, setup fails as the service would. */
const spies = {
  'registry.status': vi.fn(async () => STATUS),
  'packages.list': vi.fn(async (args: { offset: number; limit: number }) => ({ total: args.limit, packages: [] })),
  'setup.createAdmin': vi.fn(async (): Promise<{ username: string }> => {
    throw conflict('the admin account already exists; sign in instead');
  }),
};
const handlers = spies as unknown as Handlers;

interface Server {
  app: FastifyInstance;
  base: string;
}

async function startServer(rendererDir?: string, log?: (message: string) => void): Promise<Server> {
  const app = Fastify({ logger: false });
  let base = '';
  // Sessions live in the metadata database: a throwaway SQLite file per server.
  const dbDir = mkdtempSync(join(tmpdir(), 'shelf-ui-sessions-'));
  const db = openSqliteMetadata(join(dbDir, 'shelf.db'));
  app.addHook('onClose', async () => {
    await db.close();
    rmSync(dbDir, { recursive: true, force: true });
  });
  const sessions = new UiSessionStore(new UiSessionRecords(db, Date.now));
  registerUiRoutes(app, { rendererDir, handlers: async () => handlers, isOwnOrigin: (origin) => origin === base, log, sessions });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { app, base };
}

/** Node's fetch sends no Origin; a browser page on `origin` would. */
const fetchFrom =
  (origin: string | undefined): typeof fetch =>
  (input, init) =>
    fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...(origin ? { Origin: origin } : {}) } });

async function rejection(promise: Promise<unknown>): Promise<CallError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CallError);
    return error as CallError;
  }
  throw new Error('expected the call to fail');
}

beforeEach(() => {
  for (const spy of Object.values(spies)) spy.mockClear();
});

describe('the RPC endpoint and the HTTP client', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.app.close();
  });
  const client = () => httpClient(fetchFrom(server.base), server.base);

  it('answers a call from its own origin with the handler result', async () => {
    await expect(client()['registry.status']({})).resolves.toEqual(STATUS);
  });

  it('hands the handler parsed arguments with the defaults filled in', async () => {
    await expect(client()['packages.list']({ offset: 3 })).resolves.toEqual({ total: 100, packages: [] });
    expect(spies['packages.list']).toHaveBeenCalledWith(
      { offset: 3, limit: 100 },
      expect.objectContaining({ transport: 'http', isLocalOwner: false }),
    );
  });

  it('treats an empty body as no arguments', async () => {
    const response = await fetch(`${server.base}${RPC_PATH}/packages.list`, { method: 'POST', headers: { Origin: server.base } });
    expect(response.status).toBe(200);
    expect(spies['packages.list']).toHaveBeenCalledWith({ offset: 0, limit: 100 }, expect.anything());
  });

  it("turns a service's refusal into an Error with the server's message and code, sent with the mapped status", async () => {
    const error = await rejection(client()['setup.createAdmin']({ username: 'a', password: 'b', email: 'a@example.test' }));
    expect(error.message).toBe('the admin account already exists; sign in instead');
    expect(error.code).toBe('conflict');

    const raw = await fetchFrom(server.base)(`${server.base}${RPC_PATH}/setup.createAdmin`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'a', password: 'b', email: 'a@example.test' }),
    });
    expect(raw.status).toBe(409);
    expect(await raw.json()).toEqual({ error: 'the admin account already exists; sign in instead', code: 'conflict' });
  });

  it('refuses malformed arguments with 400 naming the field, before any handler runs', async () => {
    const error = await rejection(client()['packages.list']({ limit: 0 }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('limit');
    expect(spies['packages.list']).not.toHaveBeenCalled();
  });

  it('answers an unknown call with not_found', async () => {
    const raw = await fetchFrom(server.base)(`${server.base}${RPC_PATH}/packages.drop`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toMatchObject({ code: 'not_found' });
  });

  it('refuses a call without an Origin header with 403, and runs no handler', async () => {
    const error = await rejection(httpClient(fetchFrom(undefined), server.base)['registry.status']({}));
    expect(error.code).toBe('http_403');
    expect(error.message).toContain('cross-origin calls are refused');

    const raw = await fetch(`${server.base}${RPC_PATH}/registry.status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(raw.status).toBe(403);
    expect((await raw.json()) as { error: string }).toEqual({ error: expect.stringContaining('cross-origin calls are refused') });
    expect(spies['registry.status']).not.toHaveBeenCalled();
  });

  it("refuses a call from another site's page with 403, and runs no handler", async () => {
    for (const origin of ['http://evil.example', 'null', `${server.base}.evil.example`]) {
      const error = await rejection(httpClient(fetchFrom(origin), server.base)['registry.status']({}));
      expect(error.message).toContain('cross-origin calls are refused');
    }
    expect(spies['registry.status']).not.toHaveBeenCalled();
  });

  it('reports an unreachable server as its own failure, not a crash', async () => {
    const error = await rejection(httpClient(fetchFrom(undefined), 'http://127.0.0.1:9')['registry.status']({}));
    expect(error.code).toBe('unreachable');
  });
});

describe('unexpected handler errors', () => {
  it('are logged on the server and reach the page only as a generic internal failure', async () => {
    const log = vi.fn();
    const server = await startServer(undefined, log);
    try {
      spies['registry.status'].mockRejectedValueOnce(new Error('disk on fire at /secret/path'));
      const error = await rejection(httpClient(fetchFrom(server.base), server.base)['registry.status']({}));
      expect(error.code).toBe('internal');
      expect(error.message).not.toContain('/secret/path');
      expect(log).toHaveBeenCalledWith(expect.stringContaining('disk on fire'));
    } finally {
      await server.app.close();
    }
  });
});

describe('the page routes', () => {
  let dir: string;
  let server: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shelf-ui-routes-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Shelf</title><script type="module" src="./assets/app-1234.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log("shelf");');
    server = await startServer(dir);
  });
  afterAll(async () => {
    await server.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page under /-/ui/ uncached, with a strict content security policy', async () => {
    for (const path of ['/-/ui/', '/-/ui/index.html']) {
      const response = await fetch(`${server.base}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
      expect(UI_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await response.text()).toContain('<title>Shelf</title>');
    }
  });

  it('sends / and /-/ui to the page, so its relative asset URLs resolve', async () => {
    for (const path of ['/', '/-/ui']) {
      const response = await fetch(`${server.base}${path}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/-/ui/');
    }
  });

  it('serves the hashed assets with a long cache life', async () => {
    const response = await fetch(`${server.base}/-/ui/assets/app-1234.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('shelf');
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.base}/-/ui/assets/missing.js`)).status).toBe(404);
  });

  it('claims no other path: those belong to the npm protocol', async () => {
    for (const path of ['/index.html', '/assets/app-1234.js', '/some-package', '/-/ui/elsewhere']) {
      expect((await fetch(`${server.base}${path}`)).status, path).toBe(404);
    }
  });

  it('serves no page at all without a built renderer', async () => {
    const bare = await startServer();
    try {
      expect((await fetch(`${bare.base}/`, { redirect: 'manual' })).status).toBe(404);
      expect((await fetch(`${bare.base}/-/ui/`)).status).toBe(404);
    } finally {
      await bare.app.close();
    }
  });
});

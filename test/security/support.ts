// The attacker's bench: a real `shelf serve` (the built CLI) on loopback with an admin and a second user, plus what a
// refusal test needs to prove nothing was written: a snapshot of every table's row count and of the blob folder,
// read from the real SQLite file.
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { storeSnapshot } from '../helpers/store-snapshot';
import { couchUserDocument, makeTarball, publishBody } from '../helpers/app-harness';

export { makeTarball, publishBody };

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** JSON body (sent as application/json unless headers say otherwise). */
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export interface Attacked {
  shelf: RunningShelf;
  url: string;
  /** The admin (created through the one-time setup link) and the second, ordinary user. */
  admin: { name: string; password: string; token: string };
  user: { name: string; password: string; token: string };
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** A UI call in browser mode, as the page makes it (own Origin, the session cookie of `as`). */
  rpc(call: string, args: unknown, as?: 'admin' | 'user' | 'anonymous'): Promise<Reply>;
  /** Couch login/sign-up over the npm protocol; returns the reply (token in body.token on 201). */
  couchLogin(name: string, password: string, token?: string): Promise<Reply>;
  /** Publishes name@version as `token` with a real tarball; returns the reply. */
  publish(token: string, name: string, version: string, files?: Record<string, string>): Promise<Reply>;
  /** Row counts of every table and the names of every stored blob: equal before and after a refusal. */
  snapshot(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startAttacked(extraArgs: string[] = []): Promise<Attacked> {
  const shelf = await startShelf(extraArgs);
  const url = shelf.url;
  const cookies: Record<string, string> = {};

  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${url}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };

  const rpc = async (call: string, args: unknown, as: 'admin' | 'user' | 'anonymous' = 'anonymous') => {
    const headers: Record<string, string> = { 'content-type': 'application/json', origin: url };
    if (as !== 'anonymous' && cookies[as]) headers.cookie = cookies[as]!;
    const response = await fetch(`${url}/-/shelf/rpc/${call}`, { method: 'POST', headers, body: JSON.stringify(args) });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie && as !== 'anonymous') cookies[as] = setCookie.split(';')[0]!;
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };

  const couchLogin = (name: string, password: string, token?: string) =>
    request('PUT', `/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
      token,
      body: couchUserDocument(name, password),
    });

  // The admin comes from the one-time setup link, as a person would create it.
  const setupToken = new URL(shelf.setupLink!).hash.replace('#setup=', '');
  const admin = { name: 'root-admin', password: 'admin-password-123', token: '' };
  const created = await rpc('setup.createAdmin', {
    setupToken,
    username: admin.name,
    password: admin.password,
    email: 'admin@example.test',
  });
  if (created.status !== 200) throw new Error(`setup failed: ${created.status} ${created.text}`);
  await rpc('session.signIn', { username: admin.name, password: admin.password }, 'admin');
  const adminLogin = await couchLogin(admin.name, admin.password);
  if (adminLogin.status !== 201) throw new Error(`admin login failed: ${adminLogin.status} ${adminLogin.text}`);
  admin.token = adminLogin.body.token;

  const user = { name: 'mallory', password: 'mallory-password-123', token: '' };
  const signup = await couchLogin(user.name, user.password);
  if (signup.status !== 201) throw new Error(`sign-up failed: ${signup.status} ${signup.text}`);
  user.token = signup.body.token;
  await rpc('session.signIn', { username: user.name, password: user.password }, 'user');

  const publish = async (token: string, name: string, version: string, files: Record<string, string> = {}) => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name, version }), 'index.js': 'module.exports = 1;\n', ...files });
    return request('PUT', `/${name.replace('/', '%2f')}`, { token, body: publishBody(name, version, tarball) });
  };

  const snapshot = () => storeSnapshot(shelf.dataDir);

  return { shelf, url, admin, user, request, rpc, couchLogin, publish, snapshot, close: () => shelf.stop() };
}

/**
 * A request from another loopback address (127.0.0.2, 127.0.0.3, …: Linux routes all of 127/8 to the loopback
 * interface), so a test can be several clients at once against one server: an attacker elsewhere and the real user.
 */
export function requestFrom(
  localAddress: string,
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  // Loaded lazily so the helpers above need nothing more than they did.
  return import('node:http').then(
    ({ request }) =>
      new Promise<Reply>((resolve, reject) => {
        const target = new URL(path, url);
        const headers: Record<string, string> = { ...options.headers };
        if (options.token) headers.authorization = `Bearer ${options.token}`;
        const body = options.body === undefined ? undefined : JSON.stringify(options.body);
        if (body !== undefined) headers['content-type'] ??= 'application/json';
        const req = request(
          { host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers, localAddress },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = text ? JSON.parse(text) : undefined;
              } catch {
                /* keep the text */
              }
              const responseHeaders = new Headers();
              for (const [key, value] of Object.entries(res.headers)) {
                if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
              }
              resolve({ status: res.statusCode!, headers: responseHeaders, body: parsed, text });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  );
}

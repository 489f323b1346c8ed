// Issue 11 item 2: anonymous requests must not steer the mirror. A real `shelf serve` mirrors a stand-in upstream whose
// base path is /npm/; the same loopback server also answers everywhere else, standing in for the upstream's other paths
// and for an internal service, so its request log proves where Shelf's requests went (and that hostile ones went nowhere).
import { request as httpRequest } from 'node:http';
import type { ServerResponse } from 'node:http';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, startAttacked, type Attacked } from './support';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { startHarness } from '../helpers/app-harness';

let fake: FakeUpstream;
let internal: FakeUpstream;
let shelf: Attacked;
let jsonStreamTarball: Buffer;

const json = (res: ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

function packument(name: string, version: string, tarball: string, bytes: Buffer) {
  return {
    name,
    'dist-tags': { latest: version },
    versions: { [version]: { name, version, dist: { tarball, integrity: ssri.fromData(bytes, { algorithms: ['sha512'] }).toString() } } },
    time: { modified: '2026-01-01T00:00:00.000Z', [version]: '2026-01-01T00:00:00.000Z' },
  };
}

/** GET with the path sent byte for byte (fetch would normalise `..` and friends before they reach Shelf). */
function rawGet(base: string, path: string): Promise<{ status: number; body: any }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  fake = await startFakeUpstream();
  internal = await startFakeUpstream();
  jsonStreamTarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'JSONStream', version: '1.3.5' }) });
  const scoped = await makeTarball({ 'package.json': JSON.stringify({ name: '@corp/tool', version: '1.0.0' }) });
  const base = `${fake.url}npm/`;
  fake.route('/npm/JSONStream', (_req, res) =>
    json(res, packument('JSONStream', '1.3.5', `${base}JSONStream/-/JSONStream-1.3.5.tgz`, jsonStreamTarball)),
  );
  fake.route('/npm/JSONStream/-/JSONStream-1.3.5.tgz', (_req, res) =>
    res.writeHead(200, { 'content-length': jsonStreamTarball.length }).end(jsonStreamTarball),
  );
  fake.route('/npm/@corp%2ftool', (_req, res) => json(res, packument('@corp/tool', '1.0.0', `${base}@corp/tool/-/tool-1.0.0.tgz`, scoped)));
  // Packuments whose tarball links point outside the upstream's base: elsewhere on the same origin, and another service.
  fake.route('/npm/sideways', (_req, res) => json(res, packument('sideways', '1.0.0', `${fake.url}internal/secret.tgz`, scoped)));
  fake.route('/npm/elsewhere', (_req, res) =>
    json(res, packument('elsewhere', '1.0.0', `${internal.url}npm/elsewhere/-/elsewhere-1.0.0.tgz`, scoped)),
  );
  fake.route('/npm/dotted', (_req, res) => json(res, packument('dotted', '1.0.0', `${base}%2e%2e/internal/secret.tgz`, scoped)));
  // A redirect out of the base path, and a document that describes another package than the one asked for.
  fake.route('/npm/hop', (_req, res) => res.writeHead(302, { location: '/npm/hop-moved' }).end());
  fake.route('/npm/hop-moved', (_req, res) => json(res, packument('hop', '1.0.0', `${base}hop/-/hop-1.0.0.tgz`, scoped)));
  fake.route('/npm/bouncer', (_req, res) => res.writeHead(302, { location: '/internal/secret' }).end());
  fake.route('/npm/impostor', (_req, res) => json(res, packument('admin', '1.0.0', `${base}admin/-/admin-1.0.0.tgz`, scoped)));
  // Everything else answers like a secret-holding internal endpoint would, so a leak would show in the reply.
  fake.routePrefix('/', (_req, res) => json(res, { name: 'secret', secret: 'internal-only' }));
  internal.routePrefix('/', (_req, res) => json(res, { secret: 'internal-only' }));
  shelf = await startAttacked(['--upstream', base, '--upstream-timeout', '5s']);
});

afterAll(async () => {
  await shelf?.close();
  await fake?.close();
  await internal?.close();
});

/** Every request the stand-in saw, as `GET /path`. */
const outsideBase = () => fake.requests.filter((r) => !r.startsWith('GET /npm/'));

describe('hostile package names', () => {
  const hostile: [label: string, path: string][] = [
    ['encoded backslash traversal', '/..%5c..%5cinternal%5csecret'],
    ['encoded dot-dot-slash', '/%2e%2e%2f%2e%2e%2finternal'],
    ['dot-dot name', '/%2e%2e'],
    ['query in the name', '/foo%3Fx=1'],
    ['fragment in the name', '/foo%23frag'],
    ['NUL in the name', '/foo%00'],
    ['leading period', '/.hidden'],
    ['leading underscore', '/_internal'],
    ['non-ASCII', '/caf%C3%A9'],
    ['space', '/foo%20bar'],
    ['percent sign', '/foo%2525'],
    ['very long (215 characters)', `/${'a'.repeat(215)}`],
    ['very long (5,000 characters)', `/${'b'.repeat(5000)}`],
    ['scope traversal', '/@corp%2f..%2f..%2finternal'],
    ['dot scope', '/@..%2finternal'],
    ['backslash in a scoped name', '/@corp%2ftool%5c..%5c..%5cinternal'],
    ['tarball of a hostile name', '/..%5cinternal/-/x-1.0.0.tgz'],
    ['node_modules', '/node_modules'],
  ];

  it.each(hostile)('%s is refused at once and nothing is fetched or stored', async (_label, path) => {
    const before = shelf.snapshot();
    const seen = fake.requests.length;
    const reply = await rawGet(shelf.url, path);
    expect([400, 404]).toContain(reply.status);
    expect(typeof reply.body.error).toBe('string');
    if (reply.status === 400) expect(reply.body.error).toMatch(/is not a valid package name \(.+\); it is not looked up upstream/);
    expect(JSON.stringify(reply.body)).not.toContain('internal-only');
    expect(fake.requests.slice(seen)).toEqual([]);
    expect(internal.requests).toEqual([]);
    expect(shelf.snapshot()).toEqual(before);
  });

  it('says why a name is refused', async () => {
    const reply = await rawGet(shelf.url, '/..%5c..%5cinternal');
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe(
      '"..\\\\..\\\\internal" is not a valid package name (name cannot start with a period; name can only contain URL-friendly characters); it is not looked up upstream',
    );
  });

  it('still mirrors a name only valid for old packages (JSONStream), asking only for its own paths', async () => {
    const seen = fake.requests.length;
    const doc = await shelf.request('GET', '/JSONStream');
    expect(doc.status).toBe(200);
    expect(doc.body.versions['1.3.5'].dist.tarball).toBe(`${shelf.url}/JSONStream/-/JSONStream-1.3.5.tgz`);
    const tarball = await fetch(`${shelf.url}/JSONStream/-/JSONStream-1.3.5.tgz`);
    expect(tarball.status).toBe(200);
    expect(Buffer.from(await tarball.arrayBuffer()).equals(jsonStreamTarball)).toBe(true);
    expect(fake.requests.slice(seen)).toEqual(['GET /npm/JSONStream', 'GET /npm/JSONStream/-/JSONStream-1.3.5.tgz']);
  });

  it('asks for a scoped name as @scope%2fname under the base path', async () => {
    const seen = fake.requests.length;
    expect((await shelf.request('GET', '/@corp%2ftool')).status).toBe(200);
    expect(fake.requests.slice(seen)).toEqual(['GET /npm/@corp%2ftool']);
  });
});

describe('where the upstream may send Shelf', () => {
  it.each([
    [
      'elsewhere on the upstream origin',
      'sideways',
      /points the tarball of sideways@1\.0\.0 at http:\/\/127\.0\.0\.1:\d+, outside the configured upstream addresses/,
    ],
    [
      'another service',
      'elsewhere',
      /points the tarball of elsewhere@1\.0\.0 at http:\/\/127\.0\.0\.1:\d+, outside the configured upstream addresses/,
    ],
    ['a dot-dot path out of the base', 'dotted', /points the tarball of dotted@1\.0\.0 at .*outside the configured upstream addresses/],
  ])('a tarball link to %s is not followed (502, nothing cached)', async (_label, name, message) => {
    expect((await shelf.request('GET', `/${name}`)).status).toBe(200);
    const before = shelf.snapshot();
    const reply = await shelf.request('GET', `/${name}/-/${name}-1.0.0.tgz`);
    expect(reply.status).toBe(502);
    expect(reply.body.error).toMatch(message);
    expect(reply.body.error).toMatch(/add that registry with --upstream if it is trusted/);
    expect(outsideBase()).toEqual([]);
    expect(internal.requests).toEqual([]);
    expect(shelf.snapshot()).toEqual(before);
  });

  it('follows a redirect that stays under the base path', async () => {
    const seen = fake.requests.length;
    const reply = await shelf.request('GET', '/hop');
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    expect(fake.requests.slice(seen)).toEqual(['GET /npm/hop', 'GET /npm/hop-moved']);
  });

  it('does not follow a redirect out of the base path', async () => {
    const before = shelf.snapshot();
    const reply = await shelf.request('GET', '/bouncer');
    expect(reply.status).toBe(502);
    expect(reply.body.error).toMatch(/outside the configured upstream addresses/);
    expect(reply.text).not.toContain('internal-only');
    expect(outsideBase()).toEqual([]);
    expect(shelf.snapshot()).toEqual(before);
  });

  it('refuses a document that describes another package, and stores nothing', async () => {
    const before = shelf.snapshot();
    const reply = await shelf.request('GET', '/impostor');
    expect(reply.status).toBe(502);
    expect(reply.body.error).toMatch(
      /^the upstream 127\.0\.0\.1:\d+ sent a packument of impostor that cannot be used: it describes another package \("admin"\)/,
    );
    expect(shelf.snapshot()).toEqual(before);
  });

  it('never asked the stand-in for anything outside /npm/ in this whole file', () => {
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(outsideBase()).toEqual([]);
    expect(internal.requests).toEqual([]);
  });
});

describe('the upstream token', () => {
  it("goes to its own upstream's base only: a tarball on another configured upstream is fetched without it", async () => {
    const a = await startFakeUpstream();
    const b = await startFakeUpstream();
    const bytes = await makeTarball({ 'package.json': JSON.stringify({ name: 'split', version: '1.0.0' }) });
    const seen: { url: string; authorization?: string }[] = [];
    const record = (res: ServerResponse, req: import('node:http').IncomingMessage) => {
      seen.push({ url: `${req.headers.host}${req.url}`, authorization: req.headers.authorization });
      return res;
    };
    a.route('/npm/split', (req, res) =>
      json(record(res, req), packument('split', '1.0.0', `${b.url}mirror/split/-/split-1.0.0.tgz`, bytes)),
    );
    b.route('/mirror/split/-/split-1.0.0.tgz', (req, res) => record(res, req).writeHead(200).end(bytes));
    const mirror = await startHarness({
      mirror: {
        upstreams: [{ url: `${a.url}npm/` }, { url: `${b.url}mirror/`, scope: '@other' }],
        useNpmRegistry: false,
        offline: false,
        maxAgeMs: 60_000,
        timeoutMs: 5_000,
        retries: 0,
        cacheCapBytes: null,
        localScopes: [],
      },
    });
    try {
      mirror.app.services.mirror.setToken(`${a.url}npm/`, 'secret-token-of-a');
      expect((await mirror.call('GET', '/split')).status).toBe(200);
      const tarball = await fetch(`${mirror.url}/split/-/split-1.0.0.tgz`);
      expect(tarball.status).toBe(200);
      expect(seen).toEqual([
        { url: `${new URL(a.url).host}/npm/split`, authorization: 'Bearer secret-token-of-a' },
        { url: `${new URL(b.url).host}/mirror/split/-/split-1.0.0.tgz`, authorization: undefined },
      ]);
    } finally {
      await mirror.close();
      await a.close();
      await b.close();
    }
  });
});

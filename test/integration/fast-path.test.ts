// The fast path (src/main/http/fast-path.ts) answers hot packument GETs before fastify sees them. It must answer exactly
// as the fastify route does: the same status, the same headers in the same order, the same bytes. The same data folder is
// served twice by a real `shelf serve`, first with the fast path switched off (SHELF_FAST_PATH=off), then on, and every
// request's second answer (the first fills memory) is compared; the debug log shows which answers the fast path gave, so
// the comparison is known to cover it.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couchUserDocument, packageTarball, publishBody } from '../helpers/app-harness';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';

interface Answer {
  status: number;
  /** Raw header pairs in the order sent, without Date (the one header that differs between two answers by nature). */
  headers: string[];
  body: Buffer;
}

function send(base: string, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, base), { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const raw = response.rawHeaders;
        const kept: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'date') kept.push(`${raw[i]}: ${raw[i + 1]}`);
        resolve({ status: response.statusCode!, headers: kept, body: Buffer.concat(chunks) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

const DAY = 24 * 3600 * 1000;
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/** A request of the comparison: `fast` says whether the fast path should answer it (when its document is in memory). */
interface Case {
  label: string;
  method: 'GET' | 'HEAD';
  path: string;
  headers: Record<string, string>;
  fast: boolean;
  /** Sent with the ETag of this label's answer as If-None-Match. */
  revalidates?: string;
}

describe('the fast path answers hot GETs exactly as the fastify route does', () => {
  let upstream: FakeUpstream;
  let dataDir: string;
  let token = '';
  let firstAddress = '';
  const answers: Record<'off' | 'on', Map<string, Answer>> = { off: new Map(), on: new Map() };
  const logs: Record<'off' | 'on', string> = { off: '', on: '' };

  // Every address a client may use: another loopback name (no gzip copy made for it yet: the route makes one) and the
  // address the documents' stored gzip copies were made for (the first server's).
  const cases = (): Case[] => {
    const list: Case[] = [];
    for (const host of ['localhost:4873', firstAddress]) {
      const at = (label: string, c: Omit<Case, 'label'>) =>
        list.push({ label: `${label} @${host}`, ...c, headers: { host, ...c.headers } });
      for (const name of ['fast-pub', '@fast%2fscoped', 'mirrored-a', 'mirrored-big']) {
        at(`${name} json`, { method: 'GET', path: `/${name}`, headers: { accept: 'application/json' }, fast: true });
        at(`${name} gzip`, {
          method: 'GET',
          path: `/${name}`,
          headers: { accept: 'application/json', 'accept-encoding': 'gzip, deflate, br' },
          fast: true,
        });
        at(`${name} abbreviated gzip`, {
          method: 'GET',
          path: `/${name}`,
          headers: { accept: ABBREVIATED, 'accept-encoding': 'gzip' },
          fast: true,
        });
        at(`${name} abbreviated`, { method: 'GET', path: `/${name}`, headers: { accept: ABBREVIATED }, fast: true });
        at(`${name} head`, { method: 'HEAD', path: `/${name}`, headers: { accept: 'application/json' }, fast: true });
        at(`${name} 304`, {
          method: 'GET',
          path: `/${name}`,
          headers: { accept: 'application/json' },
          fast: true,
          revalidates: `${name} json @${host}`,
        });
        at(`${name} write query`, { method: 'GET', path: `/${name}?write=true`, headers: { accept: ABBREVIATED }, fast: false });
      }
      // Restricted: refused to an anonymous caller (as a missing name), served to its owner's token (never fast).
      at('secret anonymous', { method: 'GET', path: '/@fast%2fsecret', headers: {}, fast: false });
      at('missing', { method: 'GET', path: '/fast-missing-name', headers: {}, fast: false });
    }
    return list;
  };
  // Tokens last: a token's use is recorded (a write), which sends the next request of any kind the full way once.
  const tokenCases = (): Case[] =>
    ['fast-pub', '@fast%2fsecret', 'mirrored-a'].map((name) => ({
      label: `${name} with token`,
      method: 'GET',
      path: `/${name}`,
      headers: { host: 'localhost:4873', authorization: `Bearer ${token}` },
      fast: false,
    }));

  async function serve(mode: 'off' | 'on'): Promise<void> {
    const shelf = await startShelf(
      ['--upstream', upstream.url, '--cache-max-age', '1h', '--min-release-age', '3d', '--log-level', 'debug'],
      { dataDir, env: { SHELF_FAST_PATH: mode } },
    );
    try {
      if (mode === 'off') await seed(shelf);
      for (const c of [...cases(), ...tokenCases()]) {
        const headers = { ...c.headers };
        if (c.revalidates) headers['if-none-match'] = String(headerOf(answers[mode].get(c.revalidates)!, 'etag'));
        await send(shelf.url, c.method, c.path, headers);
        answers[mode].set(c.label, await send(shelf.url, c.method, c.path, headers));
      }
    } finally {
      logs[mode] = shelf.output();
      await shelf.stop();
    }
  }

  async function seed(shelf: RunningShelf): Promise<void> {
    firstAddress = new URL(shelf.url).host;
    token = await putJson(shelf.url, '/-/user/org.couchdb.user:fast-owner', couchUserDocument('fast-owner', 'correct-horse-battery')).then(
      (r) => (JSON.parse(r.body.toString()) as { token: string }).token,
    );
    for (const [name, access] of [
      ['fast-pub', 'public'],
      ['@fast/scoped', 'public'],
      ['@fast/secret', 'restricted'],
    ] as const) {
      const body = publishBody(name, '1.0.0', await packageTarball(name, '1.0.0'), { body: { access } });
      const published = await putJson(shelf.url, `/${name.replace('/', '%2f')}`, body, token);
      expect(published.status, published.body.toString()).toBe(201);
    }
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const tarball = await packageTarball('mirrored-a', '1.0.0');
    const old = publishBody('mirrored-a', '1.0.0', tarball).versions as Record<string, Record<string, unknown>>;
    const young = publishBody('mirrored-a', '1.1.0', await packageTarball('mirrored-a', '1.1.0')).versions as Record<
      string,
      Record<string, unknown>
    >;
    const document = {
      _id: 'mirrored-a',
      name: 'mirrored-a',
      'dist-tags': { latest: '1.1.0' },
      versions: { ...old, ...young },
      // 1.1.0 is a day old: held by the three-day quarantine, so it must be absent and named in X-Shelf-Policy.
      time: { '1.0.0': '2020-01-01T00:00:00.000Z', '1.1.0': new Date(Date.now() - DAY).toISOString() },
    };
    upstream.route('/mirrored-a', (_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document)),
    );
    // A document whose stored row is over 1 MB (a long readme) while its abbreviated form is small: kept in memory
    // all the same, as the served shape alone counts (a CRA install has 29 such rows).
    const big = publishBody('mirrored-big', '1.0.0', await packageTarball('mirrored-big', '1.0.0')).versions;
    const bigDocument = {
      _id: 'mirrored-big',
      name: 'mirrored-big',
      'dist-tags': { latest: '1.0.0' },
      versions: big,
      readme: `# mirrored-big\n\n${'A long readme line. '.repeat(60_000)}`,
      time: { '1.0.0': '2020-01-01T00:00:00.000Z' },
    };
    upstream.route('/mirrored-big', (_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(bigDocument)),
    );
    dataDir = mkdtempSync(join(tmpdir(), 'shelf-fast-path-'));
    await serve('off');
    await serve('on');
  }, 120_000);

  afterAll(async () => {
    await upstream?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends the same status, headers (in order) and bytes for every request, fast or not', () => {
    const labels = [...answers.off.keys()];
    expect(labels.length).toBeGreaterThan(40);
    for (const label of labels) {
      const off = answers.off.get(label)!;
      const on = answers.on.get(label)!;
      expect({ label, status: on.status, headers: on.headers }).toEqual({ label, status: off.status, headers: off.headers });
      expect(on.body.equals(off.body), `${label}: body`).toBe(true);
    }
  });

  it('the fast path answered the hot requests, and only those', () => {
    expect(logs.off).not.toContain('(fast path)');
    const fastLines = logs.on.split('\n').filter((line) => line.includes('(fast path)'));
    for (const c of [...cases(), ...tokenCases()]) {
      const path = c.path;
      const line = fastLines.find((l) => l.includes(` ${c.method} ${path} `));
      if (c.fast) expect(line, `${c.label} was not answered by the fast path`).toBeDefined();
    }
    // Never: a query string, a restricted or missing name, a request with a token.
    for (const path of ['/fast-pub?write=true', '/@fast%2fsecret', '/fast-missing-name', '/mirrored-a?write=true'])
      expect(fastLines.filter((l) => l.includes(` ${path} `))).toEqual([]);
    // Each hot request's second answer came from the fast path: one line per case marked fast (304s included).
    expect(fastLines.length).toBeGreaterThanOrEqual(cases().filter((c) => c.fast).length);
  });

  it('what was compared is what it should be: the hold, the cache state, the refusal, the 304s', () => {
    const pub = answers.on.get('fast-pub json @localhost:4873')!;
    expect(pub.status).toBe(200);
    expect(JSON.parse(pub.body.toString()).versions['1.0.0'].dist.tarball).toBe('http://localhost:4873/fast-pub/-/fast-pub-1.0.0.tgz');
    expect(headerOf(answers.on.get('fast-pub gzip @localhost:4873')!, 'content-encoding')).toBe('gzip');
    expect(answers.on.get('fast-pub 304 @localhost:4873')!.status).toBe(304);
    expect(answers.on.get('fast-pub head @localhost:4873')!.body.length).toBe(0);
    expect(headerOf(answers.on.get('fast-pub head @localhost:4873')!, 'content-length')).toBe(String(pub.body.length));
    const mirrored = answers.on.get('mirrored-a json @localhost:4873')!;
    expect(headerOf(mirrored, 'x-shelf-cache')).toBe('hit');
    expect(headerOf(mirrored, 'x-shelf-policy')).toMatch(/^1\.1\.0=/);
    expect(Object.keys(JSON.parse(mirrored.body.toString()).versions)).toEqual(['1.0.0']);
    expect(answers.on.get('mirrored-a 304 @localhost:4873')!.status).toBe(304);
    // The row the old whole-row cache (1 MB per entry) could not keep: its full document alone is over 1 MB, and the
    // abbreviated one small; both came from memory (the fast path's lines above) as cache hits.
    const bigFull = answers.on.get('mirrored-big json @localhost:4873')!;
    expect(bigFull.body.length).toBeGreaterThan(1024 * 1024);
    expect(headerOf(bigFull, 'x-shelf-cache')).toBe('hit');
    const bigAbbreviated = answers.on.get('mirrored-big abbreviated @localhost:4873')!;
    expect(bigAbbreviated.body.length).toBeLessThan(16 * 1024);
    expect(headerOf(bigAbbreviated, 'x-shelf-cache')).toBe('hit');
    expect(answers.on.get('secret anonymous @localhost:4873')!.status).toBe(404);
    expect(answers.on.get('@fast%2fsecret with token')!.status).toBe(200);
    expect(headerOf(answers.on.get('@fast%2fsecret with token')!, 'cache-control')).toBe('private, no-cache');
  });
});

function headerOf(answer: Answer, name: string): string | undefined {
  const line = answer.headers.find((h) => h.toLowerCase().startsWith(`${name}: `));
  return line?.slice(name.length + 2);
}

function putJson(base: string, path: string, body: unknown, token?: string): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL(path, base),
      {
        method: 'PUT',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(payload.length),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: [], body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

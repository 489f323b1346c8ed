// Serves frozen packuments (test/corpus/<project>/registry.json.gz, or any { name: packument } object) as an npm
// registry on a free loopback port: the corpus tests' upstream, never the internet.
//
// Plain ESM so scripts/freeze-corpus.mjs and the vitest suite share it. Tarballs are tiny synthetic ones made from the
// manifest (resolution never needs the real bytes); each version's dist points at this server and carries the
// synthetic tarball's integrity, so a client that does download gets what the packument promises.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { syntheticTarball } from '../fixtures/lock-registry.mjs';

export function readFrozen(file) {
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
}

const fileName = (name, version) => `${name.startsWith('@') ? name.split('/')[1] : name}-${version}.tgz`;

export async function serveFrozen(docs) {
  const server = createServer();
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const url = `http://127.0.0.1:${server.address().port}`;
  const rendered = new Map();
  const tarballs = new Map();
  const state = { requests: 0, names: new Set(), missing: new Set() };
  const render = (name) => {
    if (rendered.has(name)) return rendered.get(name);
    const doc = structuredClone(docs[name]);
    for (const [version, manifest] of Object.entries(doc.versions)) {
      const tarball = syntheticTarball({ ...manifest, name, version, dist: undefined });
      const path = `${name}/-/${fileName(name, version)}`;
      tarballs.set(path, tarball);
      manifest.dist = {
        tarball: `${url}/${path}`,
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
      };
    }
    const bytes = Buffer.from(JSON.stringify(doc));
    rendered.set(name, bytes);
    return bytes;
  };
  server.on('request', (req, res) => {
    state.requests += 1;
    const path = decodeURIComponent(new URL(req.url, url).pathname.slice(1));
    if (path.includes('/-/')) {
      const name = path.slice(0, path.indexOf('/-/'));
      if (docs[name]) render(name);
      const tarball = tarballs.get(path);
      if (!tarball) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length });
      return void res.end(tarball);
    }
    if (!Object.hasOwn(docs, path)) {
      state.missing.add(path);
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
    state.names.add(path);
    const bytes = render(path);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
    res.end(bytes);
  });
  return {
    url,
    get requests() {
      return state.requests;
    },
    asked: state.names,
    /** Names asked for that the frozen set lacks (the freezer adds them and tries again). */
    missing: state.missing,
    close: () => new Promise((res) => server.close(() => res())),
  };
}

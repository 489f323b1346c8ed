// The practical ceiling for serving: node:http + fs.createReadStream, nothing else. Two modes (listens on 127.0.0.1 only):
//   node static-server.mjs <file> <port>             every request gets the one file (the tarball ceiling, bench 16-tarball)
//   node static-server.mjs --index <json> <port>     a registry's documents as files (the CI-fleet peer, bench 16-ci-fleet)
// The index maps a decoded URL path (`/@scope/name`, `/@scope/name/-/name-1.0.0.tgz`) to { file, gzFile?, type }: a
// fixed lookup, as a static file server does, no rendering. A document with gzFile is sent precompressed to clients
// that accept gzip (as nginx's gzip_static does), since Shelf compresses packuments too.
// In index mode the server times every request itself (request event to the response's 'finish', the last byte handed to
// the kernel) and GET /-/bench/timings returns { ms[], statuses, kinds } since the last call, then starts afresh.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';

const argv = process.argv.slice(2);

if (argv[0] === '--index') {
  const [, indexFile, port] = argv;
  const index = new Map();
  for (const [path, doc] of Object.entries(JSON.parse(readFileSync(indexFile, 'utf8')))) {
    index.set(path, { ...doc, size: statSync(doc.file).size, gzSize: doc.gzFile ? statSync(doc.gzFile).size : undefined });
  }
  let timings = { ms: [], statuses: {}, kinds: {} };
  createServer((req, res) => {
    const started = process.hrtime.bigint();
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === '/-/bench/timings') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(timings));
      timings = { ms: [], statuses: {}, kinds: {} };
      return;
    }
    if (pathname === '/-/ping') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    let key;
    try {
      key = decodeURIComponent(pathname);
    } catch {
      key = pathname;
    }
    const doc = index.get(key);
    const kind = key.includes('/-/') ? 'tarball' : 'packument';
    res.once('finish', () => {
      timings.ms.push(Number(process.hrtime.bigint() - started) / 1e6);
      timings.statuses[res.statusCode] = (timings.statuses[res.statusCode] ?? 0) + 1;
      timings.kinds[kind] = (timings.kinds[kind] ?? 0) + 1;
    });
    if (!doc) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    const gzip = doc.gzFile && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const headers = { 'content-type': doc.type, 'content-length': gzip ? doc.gzSize : doc.size };
    if (gzip) headers['content-encoding'] = 'gzip';
    if (doc.gzFile) headers.vary = 'Accept-Encoding';
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(gzip ? doc.gzFile : doc.file).pipe(res);
  }).listen(Number(port), '127.0.0.1');
} else {
  const [file, port] = argv;
  const size = statSync(file).size;
  createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    createReadStream(file).pipe(res);
  }).listen(Number(port), '127.0.0.1');
}

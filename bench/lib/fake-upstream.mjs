// A stand-in upstream registry on loopback for generated documents: GET /<name> answers <dir>/<name>.json, as stored.
// Usage: node fake-upstream.mjs <dir> <port>   (listens on 127.0.0.1 only)
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [dir, port] = process.argv.slice(2);
const cache = new Map();
createServer((req, res) => {
  const name = decodeURIComponent(req.url.split('?')[0].slice(1)).replace('/', '__');
  const file = join(dir, `${name}.json`);
  if (req.url === '/-/ping') return res.end('{}');
  if (!/^[\w@.-]+$/.test(name) || !existsSync(file)) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end('{"error":"not found"}');
  }
  if (!cache.has(file)) cache.set(file, readFileSync(file));
  const body = cache.get(file);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}).listen(Number(port), '127.0.0.1');

// Fires bursts of N concurrent GETs of one URL (fresh connections, npm's Accept-Encoding) and reports each burst's
// completion time. Bursts run back to back until --for ms have passed or --max bursts are done (bounded).
// Usage: node burst.mjs <url> --n 20 --for 3000 --max 10 [--accept TYPE]   → JSON on stdout
import http from 'node:http';

const argv = process.argv.slice(2);
const url = new URL(argv[0]);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error('loopback only');
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const n = Number(opt('n', 20));
const forMs = Number(opt('for', 3000));
const max = Number(opt('max', 10));
const delay = Number(opt('delay', 0));
const accept = opt('accept', 'application/json');

function get() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: false, headers: { accept, 'accept-encoding': 'gzip, deflate' } }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
  });
}

await new Promise((r) => setTimeout(r, delay));
const bursts = [];
const start = performance.now();
while (bursts.length < max && (bursts.length === 0 || performance.now() - start < forMs)) {
  const t0 = performance.now();
  const responses = await Promise.all(Array.from({ length: n }, get));
  bursts.push({
    ms: performance.now() - t0,
    statuses: [...new Set(responses.map((r) => r.status))],
    bytes: responses[0].bytes,
    slowestMs: Math.max(...responses.map((r) => r.ms)),
  });
}
console.log(JSON.stringify({ bursts }));

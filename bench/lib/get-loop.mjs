// A minimal closed-loop HTTP load generator for large bodies, where autocannon's own response parsing is the bottleneck:
// C keep-alive connections each GET one URL back to back for D seconds, discarding the body; prints JSON figures.
// Usage: node get-loop.mjs <url> --c 10 --d 10 [--accept-encoding gzip]   (loopback only; stops by itself)
import http from 'node:http';

const argv = process.argv.slice(2);
const url = new URL(argv[0]);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error('loopback only');
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const connections = Number(opt('c', 10));
const seconds = Number(opt('d', 10));
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const latencies = [];
let bytes = 0;
let errors = 0;
let non2xx = 0;
const end = performance.now() + seconds * 1000;
function one() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers: { accept: '*/*', 'accept-encoding': 'gzip, deflate' } }, (res) => {
      if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        resolve();
      });
      res.on('error', () => (errors++, resolve()));
    });
    req.on('error', () => (errors++, resolve()));
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  });
}
const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < end) await one();
  }),
);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
console.log(
  JSON.stringify({
    requests: latencies.length,
    rps: latencies.length / elapsed,
    bytesPerSec: bytes / elapsed,
    p50: pct(50),
    p99: pct(99),
    errors,
    non2xx,
    elapsed,
  }),
);
agent.destroy();

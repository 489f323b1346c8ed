// Closed-loop mixed traffic for the sustained-load benchmark: C keep-alive connections, each sending in turn
// 80% packument GETs, 15% tarball GETs and 5% publishes (new packages), for D seconds; prints JSON figures.
// Usage: node mixed-load.mjs <base-url> <token> <names-comma-separated> --c 10 --d 60   (loopback only; stops by itself)
import http from 'node:http';
import { packageTarball, publishBody } from './common.mjs';

const argv = process.argv.slice(2);
const [base, token, namesArg] = argv;
const url = new URL(base);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error('loopback only');
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const connections = Number(opt('c', 10));
const seconds = Number(opt('d', 60));
const names = namesArg.split(',');
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const PATTERN = [...Array(16).fill('meta'), ...Array(3).fill('tarball'), 'publish']; // 80 / 15 / 5 %
const stats = { meta: [], tarball: [], publish: [] };
let errors = 0;
const errorSamples = [];
let published = 0;

function request(method, path, headers, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(30_000, () => req.destroy());
    req.end(body);
  });
}

const end = performance.now() + seconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, async (_, c) => {
    let i = c;
    while (performance.now() < end) {
      const kind = PATTERN[i % PATTERN.length];
      const name = names[i % names.length];
      i++;
      let status;
      const t0 = performance.now();
      if (kind === 'meta')
        status = await request('GET', `/${name}`, {
          accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*',
          'accept-encoding': 'gzip, deflate',
        });
      else if (kind === 'tarball') status = await request('GET', `/${name}/-/${name}-1.0.0.tgz`, { 'accept-encoding': 'gzip, deflate' });
      else {
        const pname = `sustained-${process.pid}-${c}-${i}`;
        const body = Buffer.from(JSON.stringify(publishBody(pname, '1.0.0', packageTarball(pname, '1.0.0'))));
        status = await request(
          'PUT',
          `/${pname}`,
          { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` },
          body,
        );
        if (status >= 200 && status < 300) published++;
      }
      stats[kind].push(performance.now() - t0);
      if (!(status >= 200 && status < 300)) {
        errors++;
        if (errorSamples.length < 10) errorSamples.push(`${kind} ${name} → ${status}`);
      }
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : undefined;
};
const total = stats.meta.length + stats.tarball.length + stats.publish.length;
console.log(
  JSON.stringify({
    elapsed,
    requests: total,
    rps: total / elapsed,
    errors,
    errorSamples,
    published,
    byKind: Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, { count: v.length, p50: pct(v, 50), p99: pct(v, 99) }])),
  }),
);
agent.destroy();

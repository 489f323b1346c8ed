// The ceiling for serving a small document: node:http sending fixed bytes (the document Shelf served, and its gzip copy)
// with no routing and no lookup. Usage: node bare-server.mjs <identity file> <gzip file> <content-type> <port>
// (listens on 127.0.0.1 only). Gzip is sent when the request accepts it, as Shelf does.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [identityFile, gzipFile, contentType, port] = process.argv.slice(2);
const identity = readFileSync(identityFile);
const gzip = readFileSync(gzipFile);
createServer((req, res) => {
  const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gz ? gzip : identity;
  const headers = { 'content-type': contentType, 'content-length': body.length };
  if (gz) headers['content-encoding'] = 'gzip';
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(port), '127.0.0.1');

// The ceiling for serving a small document: node:http sending fixed bytes (the document Shelf served, and its gzip copy)
// with no routing and no lookup. Usage: node bare-server.mjs <identity file> <gzip file> <content-type> <port> [headers]
// (listens on 127.0.0.1 only). Gzip is sent when the request accepts it, as Shelf does. [headers] is a JSON object of
// fixed response headers to send as well (the ones Shelf sent: ETag, Last-Modified, Vary, Cache-Control), so that the
// response on the wire is the same, header for header; node:http adds Date, Connection and Keep-Alive to both.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [identityFile, gzipFile, contentType, port, fixedHeaders = '{}'] = process.argv.slice(2);
const identity = readFileSync(identityFile);
const gzip = readFileSync(gzipFile);
const fixed = JSON.parse(fixedHeaders);
createServer((req, res) => {
  const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gz ? gzip : identity;
  const headers = { 'content-type': contentType, ...fixed, 'content-length': body.length };
  if (gz) headers['content-encoding'] = 'gzip';
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(port), '127.0.0.1');

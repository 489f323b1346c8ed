// The practical ceiling for tarball serving: node:http + fs.createReadStream of one file, nothing else.
// Usage: node static-server.mjs <file> <port>   (listens on 127.0.0.1 only)
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';

const [file, port] = process.argv.slice(2);
const size = statSync(file).size;
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  createReadStream(file).pipe(res);
}).listen(Number(port), '127.0.0.1');

#!/usr/bin/env node
// The `shelf` executable: runs the built CLI (npm install builds it through the prepare script).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('shelf: the CLI is not built yet; run `npm run build` in the Shelf folder first\n');
  process.exit(1);
}
require(cli);

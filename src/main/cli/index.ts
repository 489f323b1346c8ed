// The `shelf` command line: parses the command and hands it to the command's module.
import { join } from 'node:path';
import { Command } from 'commander';
import { SHELF_VERSION } from '../version';
import { registerCache } from './cache';
import { registerMirror } from './mirror';
import { registerServe } from './serve';
import { registerUpstreamToken } from './upstream-token';
import { registerLock } from './lock';
import { registerInstall } from './install';
import { registerGraphReports } from './graph-reports';
import { registerAccount } from './account';
import { registerPublish } from './publish';
import { registerInfoSearch } from './info-search';

// Built as out/main/cli.js; the renderer is built next to it in out/renderer.
const RENDERER_DIR = join(__dirname, '..', 'renderer');

const program = new Command('shelf')
  .description('Shelf: a local npm-compatible registry, mirror and dependency resolver')
  .version(SHELF_VERSION)
  .showHelpAfterError();

registerServe(program, RENDERER_DIR);
registerLock(program);
registerInstall(program);
registerGraphReports(program);
registerAccount(program);
registerPublish(program);
registerInfoSearch(program);
registerMirror(program);
registerCache(program);
registerUpstreamToken(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`shelf: ${(error as Error).message}\n`);
  process.exit(1);
});

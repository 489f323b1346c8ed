// The `shelf` command line: registers the commands from their light descriptors and loads only the one that runs.
import { join } from 'node:path';
import { Command } from 'commander';
import { SHELF_VERSION } from '../version';
import { descriptorFor, registerStubs } from './commands';

// Built as out/main/cli.js; the renderer is built next to it in out/renderer.
const RENDERER_DIR = join(__dirname, '..', 'renderer');

async function main(): Promise<void> {
  const program = new Command('shelf')
    .description('Shelf: a local npm-compatible registry, mirror and dependency resolver')
    .version(SHELF_VERSION)
    // Usage errors are one line like every other failure ("shelf: unknown option '--x'"), with commander's
    // "did you mean" kept on it; the help they used to be followed by is one `--help` away. Subcommands inherit this.
    .configureOutput({
      outputError: (message, write) => write(`shelf: ${message.replace(/^error: /, '').replace(/\n\((Did you mean)/, ' ($1')}`),
    });
  // The program has no options of its own besides --version/--help, so the first argument names the command.
  const descriptor = descriptorFor(process.argv.slice(2));
  if (descriptor) (await descriptor.load(RENDERER_DIR))(program);
  else registerStubs(program);
  await program.parseAsync(process.argv);
}

main().catch((error: unknown) => {
  process.stderr.write(`shelf: ${(error as Error).message}\n`);
  process.exit(1);
});

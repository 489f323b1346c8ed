// `shelf upstream-token set|delete <url>`: keeps an upstream registry's token in the credential store (asked for on a
// terminal, else read from stdin).
import type { Command } from 'commander';
import { parseUpstreams } from '../config/settings';
import { openCredentialStore } from '../services/credentials/credential-store';
import { fail } from './settings-options';
import { promptOf, readSecret } from './terminal-input';
import { upstreamAccount } from './upstreams';

function upstreamUrl(raw: string): string {
  try {
    return parseUpstreams(raw)[0]!.url;
  } catch (error) {
    return fail((error as Error).message);
  }
}

export function registerUpstreamToken(program: Command): void {
  const command = program.command('upstream-token').description("keep an upstream registry's token in the system keychain");
  command
    .command('set <url>')
    .description('store a token: asked for on a terminal, else read from standard input (`echo $TOKEN | shelf upstream-token set URL`)')
    .option('--json', 'print the result as JSON')
    .action(async (raw: string, options: { json?: boolean }) => {
      const url = upstreamUrl(raw);
      const token = await readSecret({}, `Token for ${url}: `);
      if (!token)
        fail(
          promptOf({})
            ? 'no token given; paste it at the prompt'
            : 'no token on standard input; pipe it in, e.g. `echo $TOKEN | shelf upstream-token set URL`',
        );
      const store = await openCredentialStore();
      await store.set(upstreamAccount(url), token);
      if (store.warning) process.stderr.write(`shelf: warning: ${store.warning}\n`);
      process.stdout.write(
        options.json ? `${JSON.stringify({ url, stored: store.backend })}\n` : `token for ${url} stored (${store.backend})\n`,
      );
    });
  command
    .command('delete <url>')
    .description('forget the token of an upstream')
    .option('--json', 'print the result as JSON')
    .action(async (raw: string, options: { json?: boolean }) => {
      const url = upstreamUrl(raw);
      const store = await openCredentialStore();
      await store.delete(upstreamAccount(url));
      process.stdout.write(options.json ? `${JSON.stringify({ url, deleted: true })}\n` : `token for ${url} forgotten\n`);
    });
}

// `shelf login | logout | whoami | token create|list|revoke`: the arguments and the printing; the account and its tokens
// on a registry are services/remotes/account.ts's.
import type { Command } from 'commander';
import { ShelfError } from '../errors';
import { addRegistryOptions, exitWith, processIO, runCommand, type RegistryFlags } from './command-io';
import { createToken, listTokens, logIn, logOut, revokeToken, whoami } from '../services/remotes/account';
import { remoteRegistry, type SessionIO } from './registry-session';
import { promptOf, readSecret } from './terminal-input';

export interface LoginFlags extends RegistryFlags {
  username?: string;
  email?: string;
}

export interface TokenCreateFlags extends RegistryFlags {
  readOnly?: boolean;
  cidr?: string[];
  expires?: string;
  name?: string;
}

const print = (io: SessionIO, json: boolean | undefined, data: unknown, text: string) =>
  io.out(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);

/**
 * Logs in (or signs up where the registry allows it) and stores the token. On a terminal it asks for the username
 * (unless given) and the password, not echoed; otherwise the password is read from standard input.
 */
export function loginCommand(flags: LoginFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const registry = remoteRegistry(io, flags);
    const prompt = promptOf(io);
    const name = flags.username ?? io.env.SHELF_USERNAME ?? (prompt ? await prompt('Username: ') : undefined);
    if (!name)
      throw new ShelfError(
        'invalid_request',
        prompt
          ? 'no username given; type one at the prompt or pass --username NAME'
          : 'say who to log in as with --username NAME (the password is read from standard input)',
      );
    const password = await readSecret(io, 'Password: ');
    if (!password)
      throw new ShelfError(
        'invalid_request',
        prompt
          ? 'no password given; type it at the prompt'
          : 'no password on standard input; pipe it in, e.g. `printf %s "$PASSWORD" | shelf login --username NAME`',
      );
    const { store } = await logIn(registry, name, password, flags.email ?? `${name}@localhost`);
    if (store.warning) io.err(`shelf: warning: ${store.warning}; pass the token with --token or SHELF_TOKEN instead\n`);
    print(
      io,
      flags.json,
      { registry: registry.registry, username: name, stored: store.backend },
      `logged in as ${name} on ${registry.registry} (token kept in the ${store.backend})`,
    );
    return 0;
  });
}

export function logoutCommand(flags: RegistryFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const registry = remoteRegistry(io, flags);
    await logOut(registry);
    print(io, flags.json, { registry: registry.registry, loggedOut: true }, `logged out of ${registry.registry}; the token is revoked`);
    return 0;
  });
}

export function whoamiCommand(flags: RegistryFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const registry = remoteRegistry(io, flags);
    const username = await whoami(registry);
    print(io, flags.json, { registry: registry.registry, username }, username);
    return 0;
  });
}

export function tokenListCommand(flags: RegistryFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const objects = await listTokens(remoteRegistry(io, flags));
    const lines = objects.map(
      (t) =>
        `${t.key}  ${t.token}…  ${t.readonly ? 'read-only' : 'publish'}  created ${t.created.slice(0, 10)}${t.expires ? `  expires ${t.expires.slice(0, 10)}` : ''}${t.name ? `  ${t.name}` : ''}${t.cidr_whitelist ? `  from ${t.cidr_whitelist.join(',')}` : ''}`,
    );
    print(io, flags.json, objects, lines.length ? lines.join('\n') : 'no tokens');
    return 0;
  });
}

/** Creates a token; the registry asks for the account password: prompted for on a terminal, else read from standard input. */
export function tokenCreateCommand(flags: TokenCreateFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const password = async () => {
      const secret = await readSecret(io, 'Password: ');
      if (!secret)
        throw new ShelfError(
          'invalid_request',
          promptOf(io)
            ? 'creating a token needs your password; type it at the prompt'
            : 'creating a token needs your password on standard input',
        );
      return secret;
    };
    const created = await createToken(remoteRegistry(io, flags), password, {
      readOnly: flags.readOnly === true,
      cidr: flags.cidr ?? [],
      expires: flags.expires === undefined ? undefined : /^\d+$/.test(flags.expires) ? Number(flags.expires) : flags.expires,
      name: flags.name,
    });
    print(
      io,
      flags.json,
      created,
      `${created.token}\n(key ${created.key}; ${created.readonly ? 'read-only' : 'publish'}; shown once — keep it now)`,
    );
    return 0;
  });
}

export function tokenRevokeCommand(key: string, flags: RegistryFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    await revokeToken(remoteRegistry(io, flags), key);
    print(io, flags.json, { revoked: key }, `revoked ${key}`);
    return 0;
  });
}

export function registerAccount(program: Command): void {
  addRegistryOptions(
    program
      .command('login')
      .description('log in to the registry and keep the token in the system keychain (prompts on a terminal, else reads stdin)')
      .option('--username <name>', 'account name (env SHELF_USERNAME; asked for on a terminal)')
      .option('--email <email>', 'email for a new account, where the registry allows sign-up'),
  ).action((flags: LoginFlags) => exitWith(loginCommand(flags, processIO())));
  addRegistryOptions(program.command('logout').description('revoke the stored login token and forget it')).action((flags: RegistryFlags) =>
    exitWith(logoutCommand(flags, processIO())),
  );
  addRegistryOptions(program.command('whoami').description('print the account the token belongs to')).action((flags: RegistryFlags) =>
    exitWith(whoamiCommand(flags, processIO())),
  );
  const token = program.command('token').description('list, create and revoke access tokens');
  addRegistryOptions(token.command('list').description('list your tokens (secrets are never shown again)')).action((flags: RegistryFlags) =>
    exitWith(tokenListCommand(flags, processIO())),
  );
  addRegistryOptions(
    token
      .command('create')
      .description('create a token (asks for your password on a terminal, else reads it from stdin); prints the secret once')
      .option('--read-only', 'the token can only read')
      .option('--cidr <range...>', 'only accept the token from these CIDR ranges')
      .option('--expires <days|date>', 'expire after this many days, or on this date')
      .option('--name <name>', 'a label for the token'),
  ).action((flags: TokenCreateFlags) => exitWith(tokenCreateCommand(flags, processIO())));
  addRegistryOptions(token.command('revoke <key>').description('revoke a token by its key (from `shelf token list`)')).action(
    (key: string, flags: RegistryFlags) => exitWith(tokenRevokeCommand(key, flags, processIO())),
  );
}

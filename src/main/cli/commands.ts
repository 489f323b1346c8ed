// The light list of `shelf` commands: names, help lines and how to load each implementation. Loading every command's
// module up front (fastify, the resolver, SQLite…) cost about a third of a second before any command ran; with this
// list, `shelf --help` and `shelf --version` load none, and a command loads only its own module (its chunk).
import { Help, type Command } from 'commander';

export type Register = (program: Command) => void;

export interface CommandDescriptor {
  /** The top-level commands the module registers, as typed on the command line. */
  names: readonly string[];
  /** One row of `shelf --help` per command: the term commander would print, and the description. */
  help: readonly (readonly [term: string, description: string])[];
  /** Imports the module (a separate chunk in the bundle) and returns its register function. */
  load(rendererDir: string): Promise<Register>;
}

// The help rows repeat what each module registers; test/unit/cli/commands.test.ts checks they stay the same.
export const COMMANDS: readonly CommandDescriptor[] = [
  {
    names: ['serve'],
    help: [['serve [options]', 'run the registry and its web UI without the desktop app']],
    load: async (rendererDir) => {
      const { registerServe } = await import('./serve');
      return (program) => registerServe(program, rendererDir);
    },
  },
  {
    names: ['lock'],
    help: [['lock [options] [folder]', 'resolve dependencies and write package-lock.json (v3) without installing']],
    load: async () => (await import('./lock')).registerLock,
  },
  {
    names: ['install'],
    help: [
      ['install [options] [folder]', 'install dependencies into node_modules (hoisted, as npm lays them out) and write package-lock.json'],
    ],
    load: async () => (await import('./install')).registerInstall,
  },
  {
    names: ['why', 'tree', 'dupes', 'explain'],
    help: [
      ['why [options] <package>', 'every path from your project to each copy of a package, and the rule that chose its version'],
      ['tree [options]', 'the resolved dependency tree'],
      ['dupes [options]', 'packages installed in more than one version, why, and a verified way to dedupe each'],
      ['explain [options] [folder]', 'resolve without writing anything; on failure, say why in sentences and list verified fixes'],
    ],
    load: async () => (await import('./graph-reports')).registerGraphReports,
  },
  {
    names: ['audit'],
    help: [['audit [options] [folder]', "advisories for a project's lockfile from the advisory data Shelf cached (offline)"]],
    load: async () => (await import('./audit')).registerAudit,
  },
  {
    names: ['login', 'logout', 'whoami', 'token'],
    help: [
      ['login [options]', 'log in to the registry and keep the token in the system keychain (prompts on a terminal, else reads stdin)'],
      ['logout [options]', 'revoke the stored login token and forget it'],
      ['whoami [options]', 'print the account the token belongs to'],
      ['token', 'list, create and revoke access tokens'],
    ],
    load: async () => (await import('./account')).registerAccount,
  },
  {
    names: ['publish'],
    help: [
      [
        'publish [options] [folder]',
        'pack a folder with the same file rules as npm pack and publish it; --dry-run only shows what would go',
      ],
    ],
    load: async () => (await import('./publish')).registerPublish,
  },
  {
    names: ['search', 'info'],
    help: [
      ['search [options] <text>', 'search the registry'],
      ['info [options] <spec>', 'show a package version: tags, versions, dependencies, tarball and integrity'],
    ],
    load: async () => (await import('./info-search')).registerInfoSearch,
  },
  {
    names: ['mirror'],
    help: [
      [
        'mirror [options] [path]',
        'download every packument and tarball a project needs (a folder or lockfile), or one package, into the cache',
      ],
    ],
    load: async () => (await import('./mirror')).registerMirror,
  },
  {
    names: ['cache'],
    help: [['cache', "inspect and manage the mirror's cache of upstream packages"]],
    load: async () => (await import('./cache')).registerCache,
  },
  {
    names: ['fsck'],
    help: [
      ['fsck [options]', 'check the data folder for orphaned, missing or corrupt tarballs and out-of-step packuments; --repair fixes them'],
    ],
    load: async () => (await import('./fsck')).registerFsck,
  },
  {
    names: ['import'],
    help: [['import', 'bring packages and users over from another registry (Verdaccio)']],
    load: async () => (await import('./import')).registerImport,
  },
  {
    names: ['upstream-token'],
    help: [['upstream-token', "keep an upstream registry's token in the system keychain"]],
    load: async () => (await import('./upstream-token')).registerUpstreamToken,
  },
  {
    names: ['backup'],
    help: [['backup [options] <file>', 'back up the database, tarballs and settings into one archive (works while Shelf is running)']],
    load: async () => (await import('./backup')).registerBackup,
  },
  {
    names: ['restore'],
    help: [['restore [options] <file>', 'verify a backup made by `shelf backup` and restore it into a new data folder']],
    load: async () => (await import('./restore')).registerRestore,
  },
  {
    names: ['store'],
    help: [['store', 'move a whole store between a data folder and PostgreSQL + S3']],
    load: async () => (await import('./store')).registerStore,
  },
];

/** The descriptor whose module runs this command line, if it names one (`shelf NAME …` or `shelf help NAME`). */
export function descriptorFor(args: readonly string[]): CommandDescriptor | undefined {
  const name = args[0] === 'help' ? args[1] : args[0];
  return name === undefined ? undefined : COMMANDS.find((d) => d.names.includes(name));
}

/**
 * Registers every command as a stub that carries only its help row: enough for `shelf --help`, `shelf --version` and
 * commander's "did you mean" on a misspelt command, without loading any implementation.
 */
export function registerStubs(program: Command): void {
  const terms = new Map<string, string>();
  for (const descriptor of COMMANDS)
    for (const [term, description] of descriptor.help) {
      const name = term.split(' ')[0]!;
      terms.set(name, term);
      program.command(name).description(description);
    }
  const help = new Help();
  program.configureHelp({ subcommandTerm: (command) => terms.get(command.name()) ?? help.subcommandTerm(command) });
}

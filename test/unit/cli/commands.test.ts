// The light command list (src/main/cli/commands.ts) against the modules it loads: `shelf --help` is printed from the
// list without loading them, so its rows must be the ones each module registers.
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, descriptorFor, registerStubs } from '../../../src/main/cli/commands';

describe('the shelf command list', () => {
  it('has the help row each module registers, for every command it names', async () => {
    const help = new Help();
    for (const descriptor of COMMANDS) {
      const program = new Command('shelf');
      (await descriptor.load('/nonexistent-renderer'))(program);
      const registered = program.commands.map((c) => [help.subcommandTerm(c), c.description()]);
      expect(registered, descriptor.names.join(', ')).toEqual(descriptor.help);
      expect(program.commands.map((c) => c.name())).toEqual(descriptor.names);
    }
  });

  it('names every command once', () => {
    const names = COMMANDS.flatMap((d) => d.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('picks the module from the first argument, or from `help NAME`', () => {
    expect(descriptorFor(['whoami', '--json'])?.names).toContain('whoami');
    expect(descriptorFor(['help', 'tree'])?.names).toContain('tree');
    expect(descriptorFor(['--help'])).toBeUndefined();
    expect(descriptorFor(['help'])).toBeUndefined();
    expect(descriptorFor([])).toBeUndefined();
    expect(descriptorFor(['whoam'])).toBeUndefined();
  });

  it('lists every command in `shelf --help` from stubs alone', () => {
    const program = new Command('shelf');
    registerStubs(program);
    const text = program.helpInformation();
    for (const [term] of COMMANDS.flatMap((d) => d.help)) expect(text).toContain(term);
    expect(text).toContain('help [command]');
  });
});

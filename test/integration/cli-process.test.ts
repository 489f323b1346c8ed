// The built `shelf` executable as people and scripts run it: start-up from the light command list, one-line usage
// errors, login on a real pseudo-terminal (prompts, password not echoed) and from a pipe, and what `npm pack` ships.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/clients';
import { ROOT, cleanEnv, startShelf, type RunningShelf } from '../helpers/shelf-process';

const SHELF = join(ROOT, 'bin', 'shelf.js');
// No keychain: the token stays in memory for the process, and a developer's real keychain is never written.
const ENV = { ...cleanEnv(), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', NO_COLOR: '1' };
const PASSWORD = 'tty-password-0123';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from a folder outside the checkout, with standard input from a pipe (not a terminal). */
function shelf(args: string[], input = ''): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [SHELF, ...args], { cwd: tempDir(), env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt once it has appeared. */
function shelfOnTerminal(args: string[], answers: [RegExp, string][]): Promise<{ code: number | null; transcript: string }> {
  return new Promise((resolveRun, reject) => {
    const command = [process.execPath, SHELF, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: tempDir(), env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let transcript = '';
    let next = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no answer on the terminal within 20 s:\n${transcript}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      transcript += d.toString();
      // Answer only after the prompt is drawn: typed earlier, the terminal would still echo it.
      if (next < answers.length && answers[next]![0].test(transcript)) child.stdin.write(`${answers[next++]![1]}\r`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, transcript });
    });
  });
}

const hasScript = spawnSync('script', ['--version']).status === 0;

let running: RunningShelf;
beforeAll(async () => {
  running = await startShelf();
});
afterAll(async () => running?.stop());

describe('shelf start-up and usage errors', () => {
  it('lists every command in --help, and every option with its default in a command’s help', async () => {
    const top = await shelf(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['serve', 'lock', 'install', 'why', 'tree', 'dupes', 'explain', 'login', 'logout', 'whoami', 'token'])
      expect(top.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    for (const name of ['publish', 'search', 'info', 'mirror', 'cache', 'upstream-token', 'help'])
      expect(top.stdout).toContain(`  ${name}`);
    const serve = await shelf(['serve', '--help']);
    expect(serve.stdout).toMatch(/--port <port>[\s\S]*default 4873/);
    const publish = await shelf(['help', 'publish']);
    expect(publish.stdout).toContain('(default: "latest")');
    expect(publish.stdout).toContain('--registry <url>');
    expect(publish.stdout).toContain('--json');
  });

  it('fails a misspelt command or unknown option with one line on stderr', async () => {
    const typo = await shelf(['whoam']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe("shelf: unknown command 'whoam' (Did you mean whoami?)\n");
    const option = await shelf(['whoami', '--bogus']);
    expect(option.code).toBe(1);
    expect(option.stderr).toBe("shelf: unknown option '--bogus'\n");
  });

  it('fails a bad --registry and an unreachable registry with one line, for resolver commands too', async () => {
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { x: '^1' } }));
    const bad = await shelf(['tree', '--folder', project, '--registry', 'not-a-url']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('shelf: --registry not-a-url is not a URL; give one such as http://127.0.0.1:4873/\n');
    const down = await shelf(['whoami', '--registry', 'http://127.0.0.1:1/', '--token', 'x', '--json']);
    expect(down.code).toBe(1);
    expect(down.stdout).toBe('');
    expect(down.stderr).toMatch(
      /^shelf: could not reach http:\/\/127\.0\.0\.1:1\/ to say who you are \([^\n]+\); is it running\? \(--registry\)\n$/,
    );
  });
});

describe('shelf serve --json', () => {
  it('prints one JSON line describing the running server, and nothing else on stdout', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [SHELF, 'serve', '--json', '--port', '0', '--data-dir', dataDir, '--upstream', 'none'], {
      cwd: tempDir(),
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const line = await new Promise<string>((resolveLine, reject) => {
        const timer = setTimeout(() => reject(new Error(`no JSON line within 20 s: ${stdout}`)), 20_000);
        child.stdout.on('data', () => {
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolveLine(stdout.split('\n')[0]!);
          }
        });
      });
      const info = JSON.parse(line);
      expect(info).toMatchObject({ dataDir, signup: expect.any(String), mirror: { offline: false, upstreams: [] } });
      expect(info.registry).toBe(`${info.url}/`);
      expect(info.ui).toBe(`${info.url}/-/ui/`);
      expect(info.setupLink).toMatch(new RegExp(`^${info.url}/-/ui/#setup=`));
      expect((await fetch(`${info.url}/-/ping`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolveExit) => child.once('exit', resolveExit));
    }
    expect(stdout.trim().split('\n')).toHaveLength(1);
  }, 30_000);
});

describe('shelf login', () => {
  it('reads the password from standard input when it is not a terminal, with --json', async () => {
    const first = await shelf(['login', '--registry', running.registry, '--username', 'piped', '--json'], PASSWORD);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ registry: running.registry, username: 'piped', stored: 'memory' });
    const wrong = await shelf(['login', '--registry', running.registry, '--username', 'piped'], 'not-the-password');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/^shelf: .* refused to log in as piped \(401/);
    const none = await shelf(['login', '--registry', running.registry]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('shelf: say who to log in as with --username NAME (the password is read from standard input)\n');
  });

  it.skipIf(!hasScript)('asks for the username and the password on a terminal, without echoing the password', async () => {
    const signup = await shelfOnTerminal(
      ['login', '--registry', running.registry],
      [
        [/Username: /, 'tty-user'],
        [/Password: /, PASSWORD],
      ],
    );
    expect(signup.code, signup.transcript).toBe(0);
    expect(signup.transcript).toContain('tty-user'); // the username is echoed as typed
    expect(signup.transcript).not.toContain(PASSWORD);
    expect(signup.transcript).toContain(`logged in as tty-user on ${running.registry}`);

    // The same account again, with the password checked: only the right one gets in.
    const wrong = await shelfOnTerminal(['login', '--registry', running.registry, '--username', 'tty-user'], [[/Password: /, 'wrong-one']]);
    expect(wrong.code).toBe(1);
    expect(wrong.transcript).not.toContain('Username:');
    expect(wrong.transcript).toMatch(/shelf: .* refused to log in as tty-user \(401/);
  });
});

describe('the packed CLI', () => {
  it('ships every chunk the entry loads', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: ENV, encoding: 'utf8' });
    expect(packed.status, packed.stderr).toBe(0);
    const files = new Set((JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
    expect(files).toContain('bin/shelf.js');
    const entry = readFileSync(join(ROOT, 'out', 'main', 'cli.js'), 'utf8');
    const chunks = [...entry.matchAll(/require\("\.\/(chunks\/[^"]+)"\)/g)].map((m) => `out/main/${m[1]}`);
    expect(chunks.length).toBeGreaterThan(10); // one per command module, loaded on demand
    for (const chunk of chunks) {
      expect(existsSync(join(ROOT, chunk)), chunk).toBe(true);
      expect(files, chunk).toContain(chunk);
    }
  });
});

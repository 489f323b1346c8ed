// Runs the real npm, pnpm and yarn clients against a test registry, each with its own config, cache and home folder.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanEnv } from './shelf-process';

export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<ClientResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/**
 * Runs a command that prompts (npm adduser, npm token create) and answers each prompt when it appears.
 * npm reads prompts one line at a time from a non-TTY stdin, so answers must not be sent before their prompt.
 */
export function runPrompted(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; answers: [RegExp, string][]; timeoutMs?: number },
): Promise<ClientResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let next = 0;
    const answer = () => {
      const pending = options.answers[next];
      if (pending && pending[0].test(stdout + stderr)) {
        next++;
        child.stdin.write(`${pending[1]}\n`);
        if (next === options.answers.length) child.stdin.end();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      answer();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      answer();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** A sandbox for one npm user: its own .npmrc, cache and HOME, pointing at the registry. */
export class NpmUser {
  readonly home: string;
  readonly npmrc: string;
  readonly cache: string;

  constructor(readonly registry: string) {
    this.home = mkdtempSync(join(tmpdir(), 'shelf-npm-'));
    this.npmrc = join(this.home, '.npmrc');
    this.cache = join(this.home, 'cache');
    mkdirSync(this.cache);
    writeFileSync(this.npmrc, `registry=${registry}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  }

  env(): NodeJS.ProcessEnv {
    return { ...cleanEnv(), HOME: this.home, npm_config_userconfig: this.npmrc, npm_config_cache: this.cache };
  }

  npm(args: string[], cwd: string, input?: string): Promise<ClientResult> {
    return run('npm', [...args, '--registry', this.registry], { cwd, env: this.env(), input });
  }

  npmPrompted(args: string[], cwd: string, answers: [RegExp, string][]): Promise<ClientResult> {
    return runPrompted('npm', [...args, '--registry', this.registry], { cwd, env: this.env(), answers });
  }

  /** The auth line npm writes for this registry: `//host:port/:_authToken=...`. */
  setToken(token: string): void {
    const key = this.registry.replace(/^https?:/, '');
    writeFileSync(this.npmrc, `registry=${this.registry}\n${key}:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  }
}

export const PNPM = join(ROOT, 'node_modules', '.bin', 'pnpm');
export const YARN = join(ROOT, 'node_modules', '.bin', 'yarn');

/** Writes a package folder with a package.json and an index.js. */
export function makePackage(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ license: 'MIT', main: 'index.js', ...manifest }, null, 2));
  writeFileSync(join(dir, 'index.js'), files['index.js'] ?? `module.exports = ${JSON.stringify(manifest.name)};\n`);
  for (const [file, content] of Object.entries(files)) if (file !== 'index.js') writeFileSync(join(dir, file), content);
  return dir;
}

export function tempDir(prefix = 'shelf-work-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

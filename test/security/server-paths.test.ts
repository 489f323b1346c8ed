// Issue 11, item 3 (server-path reads): in browser mode a signed-in non-admin could name any folder on the server's
// disk to publish.inspect / publish.run / graph.resolve, and so publish (and download) the server's own files. Against
// a real `shelf serve`: the path-taking forms are refused for a non-admin with one message whether the path exists or
// not, before anything is read or written; the browser's upload form publishes exactly the uploaded files (the
// secret-file warning still shows); uploads cannot name paths outside their folder; an admin's path still works.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAttacked, type Attacked } from './support';

let shelf: Attacked;
let work: string;
/** A folder on the server's disk holding a package and a secret, as the attacker hoped to publish it. */
let serverFolder: string;
const SECRET = 'DATABASE_PASSWORD=server-side-secret-7f3a';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const upload = (name: string, files: Record<string, string>) => ({
  name,
  files: Object.entries(files).map(([path, text]) => ({ path, data: b64(text) })),
});

beforeAll(async () => {
  shelf = await startAttacked();
  work = mkdtempSync(join(tmpdir(), 'shelf-server-paths-'));
  serverFolder = join(work, 'server-pkg');
  mkdirSync(serverFolder);
  writeFileSync(
    join(serverFolder, 'package.json'),
    JSON.stringify({ name: 'server-pkg', version: '1.0.0', license: 'MIT', description: 'x' }),
  );
  writeFileSync(join(serverFolder, 'index.js'), 'module.exports = 1;\n');
  writeFileSync(join(serverFolder, '.env'), SECRET);
}, 60_000);

afterAll(async () => {
  await shelf?.close();
  rmSync(work, { recursive: true, force: true });
});

const REFUSAL = "only an admin may have Shelf read a folder on the server's disk; upload the folder's files instead";

describe('a non-admin cannot make the server read a path', () => {
  const calls: [string, (path: string) => Record<string, unknown>][] = [
    ['publish.inspect', (path) => ({ path })],
    ['publish.run', (path) => ({ path, tag: 'latest' })],
    ['graph.resolve', (path) => ({ kind: 'folder', path })],
  ];

  it.each(calls)('%s: refused with one answer for an existing folder, a missing one and a file, nothing written', async (call, args) => {
    const before = shelf.snapshot();
    const answers = [];
    for (const path of [serverFolder, join(work, 'no-such-folder'), join(serverFolder, '.env'), '/etc']) {
      const answer = await shelf.rpc(call, args(path), 'user');
      answers.push({ status: answer.status, body: answer.body });
    }
    for (const answer of answers) expect(answer).toEqual({ status: 403, body: { error: REFUSAL, code: 'permission_denied' } });
    expect(JSON.stringify(answers)).not.toContain(SECRET);
    expect(shelf.snapshot()).toEqual(before);
    // Nothing was published under the folder's name either.
    expect((await shelf.request('GET', '/server-pkg', { token: shelf.admin.token })).status).toBe(404);
  });

  it('signed out, the path forms are refused before the path matters', async () => {
    const before = shelf.snapshot();
    const answer = await shelf.rpc('publish.run', { path: serverFolder }, 'anonymous');
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('authentication_required');
    expect(shelf.snapshot()).toEqual(before);
  });

  it('naming both a path and an upload is refused by the contract, before any handler', async () => {
    const before = shelf.snapshot();
    const answer = await shelf.rpc('publish.run', { path: serverFolder, upload: upload('x', { 'package.json': '{}' }) }, 'user');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain('give either path (a folder on the server) or upload');
    expect(shelf.snapshot()).toEqual(before);
  });
});

describe('the browser uploads the folder instead', () => {
  const files = {
    'package.json': JSON.stringify({ name: 'uploaded-pkg', version: '1.0.0', license: 'MIT', description: 'from the browser' }),
    'index.js': 'module.exports = "uploaded";\n',
    'lib/util.js': 'exports.x = 1;\n',
    'README.md': '# uploaded-pkg\n',
    '.env': 'TOKEN=the-users-own-file',
  };

  it('inspect packs exactly the uploaded files, shows the folder name, and still warns about the secret-looking file', async () => {
    const answer = await shelf.rpc('publish.inspect', { upload: upload('uploaded-pkg', files) }, 'user');
    expect(answer.status).toBe(200);
    expect(answer.body.path).toBe('uploaded-pkg');
    expect(answer.body.name).toBe('uploaded-pkg');
    expect(answer.body.problems).toEqual([]);
    expect(answer.body.files.map((f: { path: string }) => f.path).sort()).toEqual([
      '.env',
      'README.md',
      'index.js',
      'lib/util.js',
      'package.json',
    ]);
    expect(answer.body.files.find((f: { path: string }) => f.path === '.env').suspicious).toBe(true);
    expect(answer.body.warnings).toContain(
      '.env looks like it holds secrets; add it to .npmignore or "files" unless it is meant to be public',
    );
  });

  it('run publishes what was uploaded, and the stored tarball holds those bytes', async () => {
    const withoutSecret = { ...files, '.npmignore': '.env\n' };
    const answer = await shelf.rpc('publish.run', { upload: upload('uploaded-pkg', withoutSecret), tag: 'latest' }, 'user');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: 'uploaded-pkg', version: '1.0.0', verified: true, registryId: 'local' });
    const packument = await shelf.request('GET', '/uploaded-pkg', { token: shelf.user.token });
    expect(packument.status).toBe(200);
    expect(packument.body.versions['1.0.0'].dist.integrity).toBe(answer.body.integrity);
    expect(packument.body.readme).toBe('# uploaded-pkg\n');
    const tarball = await fetch(packument.body.versions['1.0.0'].dist.tarball, {
      headers: { authorization: `Bearer ${shelf.user.token}` },
    });
    const tar = gunzipSync(Buffer.from(await tarball.arrayBuffer())).toString('latin1');
    expect(tar).toContain('module.exports = "uploaded";');
    expect(tar).toContain('package/lib/util.js');
    expect(tar).not.toContain('the-users-own-file');
  });

  it.each([
    ['../escape.js', 'is not a file path inside the folder'],
    ['/etc/passwd', 'is not a file path inside the folder'],
    ['lib/../../escape.js', 'is not a file path inside the folder'],
    ['lib\\..\\..\\escape.js', 'is not a file path inside the folder'],
    ['C:/escape.js', 'is not a file path inside the folder'],
    ['./index.js', 'is not a file path inside the folder'],
  ])('an upload path %j is refused (400) and nothing is written, here or outside the folder', async (path, message) => {
    const before = shelf.snapshot();
    const answer = await shelf.rpc(
      'publish.run',
      { upload: upload('evil', { 'package.json': JSON.stringify({ name: 'evil-upload', version: '1.0.0' }), [path]: 'pwned' }) },
      'user',
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain(message);
    expect(shelf.snapshot()).toEqual(before);
    expect((await shelf.request('GET', '/evil-upload', { token: shelf.admin.token })).status).toBe(404);
  });

  it('an upload that names one path twice, or a file and a folder of one name, is refused', async () => {
    const before = shelf.snapshot();
    const twice = await shelf.rpc(
      'publish.inspect',
      {
        upload: {
          name: 'x',
          files: [
            { path: 'package.json', data: b64('{}') },
            { path: 'package.json', data: b64('{}') },
          ],
        },
      },
      'user',
    );
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe('package.json is in the upload twice');
    const clash = await shelf.rpc('publish.inspect', { upload: upload('x', { 'package.json': '{}', lib: 'a', 'lib/a.js': 'b' }) }, 'user');
    expect(clash.status).toBe(400);
    expect(clash.body.error).toContain('clashes with another uploaded path');
    expect(shelf.snapshot()).toEqual(before);
  });

  it('graph.resolve takes an upload of package.json and the lockfile, and refuses any other file', async () => {
    expect((await shelf.publish(shelf.user.token, 'graph-leaf', '1.0.0')).status).toBe(201);
    const project = { 'package.json': JSON.stringify({ name: 'my-app', version: '0.0.0', dependencies: { 'graph-leaf': '^1.0.0' } }) };
    const graph = await shelf.rpc('graph.resolve', { kind: 'upload', upload: upload('my-app', project) }, 'user');
    expect(graph.status).toBe(200);
    expect(graph.body.title).toBe('my-app (my-app)');
    expect(graph.body.nodes.map((n: { name: string; version: string }) => `${n.name}@${n.version}`).sort()).toEqual([
      'graph-leaf@1.0.0',
      'my-app@0.0.0',
    ]);

    const before = shelf.snapshot();
    const extra = await shelf.rpc('graph.resolve', { kind: 'upload', upload: upload('my-app', { ...project, '.env': SECRET }) }, 'user');
    expect(extra.status).toBe(400);
    expect(extra.body.error).toBe(
      '.env is not needed to resolve a project; upload its package.json files and its package-lock.json or npm-shrinkwrap.json only',
    );
    expect(JSON.stringify(extra.body)).not.toContain(SECRET);
    expect(shelf.snapshot()).toEqual(before);
  });
});

describe("an admin may still name a server path (an operator's own disk)", () => {
  it('publish.inspect and graph.resolve read the folder for the admin', async () => {
    const inspect = await shelf.rpc('publish.inspect', { path: serverFolder }, 'admin');
    expect(inspect.status).toBe(200);
    expect(inspect.body).toMatchObject({ name: 'server-pkg', version: '1.0.0', path: serverFolder });
    const graph = await shelf.rpc('graph.resolve', { kind: 'folder', path: serverFolder }, 'admin');
    expect(graph.status).toBe(200);
    expect(graph.body.nodes).toHaveLength(1);
  });

  it("for the admin too, a missing folder and a file get the same message (no probing the disk's layout)", async () => {
    const missing = await shelf.rpc('publish.inspect', { path: join(work, 'nothing-here') }, 'admin');
    const file = await shelf.rpc('publish.inspect', { path: join(serverFolder, 'index.js') }, 'admin');
    expect(missing.status).toBe(400);
    expect(file.status).toBe(400);
    expect(missing.body.error).toBe(
      `${join(work, 'nothing-here')} is not a folder Shelf can read; pick the folder that holds package.json`,
    );
    expect(file.body.error).toBe(
      `${join(serverFolder, 'index.js')} is not a folder Shelf can read; pick the folder that holds package.json`,
    );
  });
});

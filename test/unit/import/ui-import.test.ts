// Settings' Verdaccio import through the UI contract: the desktop app imports from paths on its machine; browser mode
// refuses with the command to run on the server; only admins may do either.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ShelfApp } from '../../../src/main/app';
import { resolveConfig } from '../../../src/main/config/load';
import { dispatch, memorySession, toCallFailure, type CallContext } from '../../../src/main/rpc/dispatch';
import { createHandlers } from '../../../src/main/rpc/handlers';
import { packageTarball } from '../../helpers/app-harness';

let dir: string;
let app: ShelfApp;
let storage: string;
const contexts: Record<'admin' | 'user', CallContext> = {} as never;

function handlers(mode: 'desktop' | 'browser') {
  return createHandlers({
    services: app.services,
    config: app.config,
    mode,
    version: 'test',
    startedAt: '',
    url: () => 'http://127.0.0.1:1/',
  });
}

async function counts() {
  const db = app.services.packages.ctx.db;
  const n = async (table: string) => ((await db.get(`SELECT count(*) AS n FROM ${table}`)) as { n: number }).n;
  return {
    users: await n('users'),
    packages: await n('packages'),
    versions: await n('versions'),
    dist_tags: await n('dist_tags'),
    maintainers: await n('maintainers'),
  };
}

async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return toCallFailure(error);
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shelf-ui-import-'));
  app = await createApp(
    { ...resolveConfig({ dataDir: join(dir, 'data'), env: {} }), port: 0 },
    { mode: 'browser', writeLog: () => undefined },
  );
  const admin = await app.services.auth.createUser({ name: 'root-admin', password: 'admin-password-1', isAdmin: true });
  const user = await app.services.auth.createUser({ name: 'someone', password: 'someone-password-1' });
  for (const [key, id] of [['admin', admin.id] as const, ['user', user.id] as const]) {
    const session = memorySession();
    session.signIn(id);
    contexts[key] = { transport: 'ipc', isLocalOwner: false, session, client: 'local' };
  }
  // A storage folder as Verdaccio lays it out: the packument beside the tarball.
  storage = join(dir, 'storage');
  const tarball = await packageTarball('from-verdaccio', '1.0.0');
  mkdirSync(join(storage, 'from-verdaccio'), { recursive: true });
  writeFileSync(join(storage, 'from-verdaccio', 'from-verdaccio-1.0.0.tgz'), tarball);
  writeFileSync(
    join(storage, 'from-verdaccio', 'package.json'),
    JSON.stringify({
      name: 'from-verdaccio',
      versions: {
        '1.0.0': {
          name: 'from-verdaccio',
          version: '1.0.0',
          dist: { integrity: ssri.fromData(tarball).toString(), tarball: 'http://old/from-verdaccio/-/from-verdaccio-1.0.0.tgz' },
        },
      },
      'dist-tags': { latest: '1.0.0' },
      time: { '1.0.0': '2024-01-02T03:04:05.000Z' },
      readme: '# from Verdaccio\n',
    }),
  );
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('import.verdaccio (UI contract)', () => {
  it('refuses in browser mode with the exact command for this data folder, writing nothing', async () => {
    const before = await counts();
    const failure = await failureOf(dispatch(handlers('browser'), 'import.verdaccio', { storageDir: storage }, contexts.admin));
    expect(failure).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(failure.message).toBe(
      'importing from Verdaccio is done on the machine Shelf runs on, from a terminal: ' +
        `shelf import verdaccio <storage folder> --htpasswd <htpasswd file> --config <config.yaml> --data-dir ${app.config.dataDir}`,
    );
    expect(await counts()).toEqual(before);
  });

  it('refuses a user who is not an admin, writing nothing', async () => {
    const before = await counts();
    const failure = await failureOf(dispatch(handlers('desktop'), 'import.verdaccio', { storageDir: storage }, contexts.user));
    expect(failure).toMatchObject({ code: 'permission_denied', status: 403 });
    expect(failure.message).toBe("only an admin may import from Verdaccio; ask the registry's admin");
    expect(await counts()).toEqual(before);
  });

  it('refuses a relative path in the desktop app, writing nothing', async () => {
    const before = await counts();
    const failure = await failureOf(dispatch(handlers('desktop'), 'import.verdaccio', { storageDir: 'storage' }, contexts.admin));
    expect(failure).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(failure.message).toBe('give full paths for the storage folder, the htpasswd file and config.yaml');
    expect(await counts()).toEqual(before);
  });

  it('imports in the desktop app, then finds everything present on a second run', async () => {
    const first: any = await dispatch(handlers('desktop'), 'import.verdaccio', { storageDir: storage }, contexts.admin);
    // No htpasswd: the packages need an owner, which --owner (here, the signed-in admin's account) would give.
    expect(first.versions).toEqual({ imported: 0, alreadyPresent: 0, failed: 1 });
    expect(first.problems[0].message).toMatch(/no imported account may publish it/);

    const owned: any = await dispatch(
      handlers('desktop'),
      'import.verdaccio',
      { storageDir: storage, owner: 'root-admin' },
      contexts.admin,
    );
    expect(owned.versions).toEqual({ imported: 1, alreadyPresent: 0, failed: 0 });
    const packument = JSON.parse((await app.services.packages.readPackument(undefined, 'from-verdaccio', false)).json.toString());
    expect(packument.readme).toBe('# from Verdaccio\n');
    expect(packument.time['1.0.0']).toBe('2024-01-02T03:04:05.000Z');
    expect(packument.maintainers.map((m: { name: string }) => m.name)).toEqual(['root-admin']);

    const again: any = await dispatch(
      handlers('desktop'),
      'import.verdaccio',
      { storageDir: storage, owner: 'root-admin' },
      contexts.admin,
    );
    expect(again.versions).toEqual({ imported: 0, alreadyPresent: 1, failed: 0 });
    expect(again.packages).toEqual({ imported: 0, updated: 0, alreadyPresent: 1, failed: 0 });
  });
});

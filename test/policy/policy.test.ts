// Issue 18: the supply-chain policy at the mirror, against a real `shelf serve` whose upstream is a stand-in on loopback.
// Each rule: what npm and pnpm install, where `latest` points, the held tarball's 403 (rule named, nothing written), the
// advisory exception, the takedown purge, the install-script hold and its review, licences, and registry signatures
// (npm audit signatures passes through Shelf).
import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmUser, PNPM, YARN, makePackage, run, tempDir } from '../helpers/clients';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import { startAttacked, type Attacked } from '../security/support';
import { DAY, MINUTE, startPolicyUpstream, type PolicyUpstream } from './upstream';

let upstream: PolicyUpstream;
let shelf: Attacked;
let work: string;
let npmUser: NpmUser;
/** The operator's webhook receiver: every notice Shelf POSTs. */
let hook: Server;
const notices: { action: string; name: string; version: string; rule: string; text: string }[] = [];

const MONTHS = 120 * DAY;

beforeAll(async () => {
  upstream = await startPolicyUpstream(
    {
      aged: { '1.0.0': { publishedAgoMs: MONTHS }, '1.1.0': { publishedAgoMs: 10 * DAY }, '1.2.0': { publishedAgoMs: 5 * MINUTE } },
      fixed: { '1.0.0': { publishedAgoMs: MONTHS }, '1.0.1': { publishedAgoMs: 5 * MINUTE } },
      '@trusted/fresh': { '1.0.0': { publishedAgoMs: MONTHS }, '1.1.0': { publishedAgoMs: 5 * MINUTE } },
      gone: { '1.0.0': { publishedAgoMs: MONTHS }, '1.1.0': { publishedAgoMs: 30 * DAY } },
      banned: { '1.0.0': { publishedAgoMs: 30 * DAY }, '2.0.0': { publishedAgoMs: 20 * DAY } },
      scripted: {
        '1.0.0': { publishedAgoMs: MONTHS },
        '1.1.0': { publishedAgoMs: 20 * DAY, scripts: { postinstall: 'node -e "process.exit(0)"' } },
      },
      // A worm's way in: a release that changes no script of its own but gains a dependency that runs one.
      'worm-host': { '1.0.0': { publishedAgoMs: MONTHS }, '1.1.0': { publishedAgoMs: 20 * DAY, dependencies: { 'worm-dep': '^1.0.0' } } },
      'worm-dep': { '1.0.0': { publishedAgoMs: MONTHS, scripts: { preinstall: 'node -e "process.exit(0)"' } } },
      'calm-host': { '1.0.0': { publishedAgoMs: MONTHS }, '1.1.0': { publishedAgoMs: 20 * DAY, dependencies: { aged: '^1.0.0' } } },
      // Published from CI with provenance, then once without: what a stolen token publishing from a laptop looks like.
      attested: {
        '1.0.0': { publishedAgoMs: MONTHS, provenance: true },
        '1.1.0': { publishedAgoMs: 20 * DAY, provenance: true },
        '1.2.0': { publishedAgoMs: 10 * DAY },
      },
      licensed: { '1.0.0': { publishedAgoMs: MONTHS, license: 'MIT' }, '1.1.0': { publishedAgoMs: 20 * DAY, license: 'GPL-3.0-only' } },
      signed: { '1.0.0': { publishedAgoMs: MONTHS, signature: 'valid' }, '1.1.0': { publishedAgoMs: 20 * DAY, signature: 'forged' } },
    },
    {
      fixed: [
        { id: 1001, title: 'Prototype pollution', vulnerable_versions: '<1.0.1', severity: 'high', url: 'https://example.test/1001' },
      ],
    },
  );
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      notices.push(JSON.parse(body) as (typeof notices)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/shelf`;
  // The quarantine comes from the flag; the other rules from the policy an admin sets in the UI.
  shelf = await startAttacked([
    '--upstream',
    upstream.fake.url,
    '--min-release-age',
    '3d',
    '--cache-max-age',
    '0',
    '--policy-webhook',
    hookUrl,
  ]);
  // Attestations are verified against the test's own sigstore root (never sigstore's public-good TUF repository).
  work = tempDir('shelf-policy-');
  writeFileSync(join(work, 'trusted_root.json'), JSON.stringify(upstream.sigstore.trustedRoot));
  const set = await shelf.rpc(
    'policy.set',
    {
      policy: {
        provenanceTrustedRoot: join(work, 'trusted_root.json'),
        exceptions: ['@trusted/*'],
        deny: [{ package: 'banned', range: '>=2.0.0', reason: 'compromised release' }],
        installScripts: 'hold',
        licenses: { deny: ['GPL-3.0-only'] },
        signatures: 'verify',
        provenance: 'hold',
      },
    },
    'admin',
  );
  expect(set.status, set.text).toBe(200);
  npmUser = new NpmUser(shelf.shelf.registry);
}, 60_000);

afterAll(async () => {
  await shelf?.close();
  await upstream?.close();
  await new Promise((resolve) => hook?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

const doc = async (name: string, abbreviated = false) => {
  const reply = await shelf.request('GET', `/${name.replace('/', '%2f')}`, {
    headers: abbreviated ? { accept: 'application/vnd.npm.install-v1+json' } : {},
  });
  expect(reply.status, reply.text).toBe(200);
  return reply;
};

const tarballPath = (name: string, version: string) => `/${name}/-/${name.slice(name.indexOf('/') + 1)}-${version}.tgz`;

function cachedTarball(name: string, version: string): { integrity: string } | undefined {
  const db = new Database(join(shelf.shelf.dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT integrity FROM cached_tarballs WHERE name = ? AND version = ?').get(name, version) as
      { integrity: string } | undefined;
  } finally {
    db.close();
  }
}

/** A held tarball: 403 naming the rule, the X-Shelf-Policy header, and nothing stored by the refusal. */
async function expectRefused(name: string, version: string, rule: string, words: RegExp) {
  await doc(name); // the decision is made (and stored) here, not by the refusal
  const before = shelf.snapshot();
  const reply = await shelf.request('GET', tarballPath(name, version));
  expect(reply.status, reply.text).toBe(403);
  expect(reply.body.error).toContain(`${name}@${version} is held by Shelf's policy (rule: ${rule})`);
  expect(reply.body.error).toMatch(words);
  expect(reply.headers.get('x-shelf-policy')).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')}=${rule}`));
  expect(shelf.snapshot()).toEqual(before);
  expect(cachedTarball(name, version)).toBeUndefined();
  return reply;
}

function project(dir: string, dependencies: Record<string, string>): string {
  const path = makePackage(join(work, dir), { name: dir, version: '1.0.0', private: true, dependencies });
  writeFileSync(join(path, '.npmrc'), `registry=${shelf.shelf.registry}\nstore-dir=${join(work, 'pnpm-store')}\n`);
  return path;
}

const installed = (dir: string, name: string) =>
  (JSON.parse(readFileSync(join(work, dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

describe('quarantine by age', () => {
  it('hides the version published minutes ago from both packuments and moves latest to the newest allowed one', async () => {
    for (const abbreviated of [false, true]) {
      const reply = await doc('aged', abbreviated);
      expect(Object.keys(reply.body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
      expect(reply.body['dist-tags'].latest).toBe('1.1.0');
      expect(reply.headers.get('x-shelf-policy')).toBe(
        `1.2.0=age;until=${new Date(Date.parse(upstream.published('aged', '1.2.0')) + 3 * DAY).toISOString()}`,
      );
    }
    const full = await doc('aged');
    expect(full.body.time['1.2.0']).toBeUndefined();
  });

  it('refuses the quarantined tarball with a 403 naming the rule and when it becomes available', async () => {
    const until = new Date(Date.parse(upstream.published('aged', '1.2.0')) + 3 * DAY).toISOString();
    const reply = await expectRefused('aged', '1.2.0', 'age', new RegExp(`becomes available at ${until.replace(/\./g, '\\.')}`));
    expect(reply.headers.get('x-shelf-policy')).toBe(`1.2.0=age;until=${until}`);
    const manifest = await shelf.request('GET', '/aged/1.2.0');
    expect(manifest.status).toBe(403);
    expect(manifest.body.error).toContain("aged@1.2.0 is held by Shelf's policy (rule: age)");
    expect(manifest.headers.get('x-shelf-policy')).toBe(`1.2.0=age;until=${until}`);
  });

  it('npm and pnpm install the newest allowed version; asking for the held one fails', async () => {
    const npmProject = project('npm-aged', { aged: '^1.0.0' });
    const npm = await npmUser.npm(['install', '--ignore-scripts'], npmProject);
    expect(npm.code, npm.stdout + npm.stderr).toBe(0);
    expect(installed('npm-aged', 'aged')).toBe('1.1.0');
    const pnpmProject = project('pnpm-aged', { aged: '^1.0.0' });
    const pnpm = await run(process.execPath, [PNPM, 'install', '--ignore-scripts', '--reporter', 'append-only'], {
      cwd: pnpmProject,
      env: npmUser.env(),
      timeoutMs: 180_000,
    });
    expect(pnpm.code, pnpm.stdout + pnpm.stderr).toBe(0);
    expect(installed('pnpm-aged', 'aged')).toBe('1.1.0');
    const pinned = await npmUser.npm(['install', '--ignore-scripts', 'aged@1.2.0'], project('npm-aged-pinned', {}));
    expect(pinned.code).not.toBe(0);
    expect(pinned.stdout + pinned.stderr).toMatch(/ETARGET|No matching version/);
  }, 240_000);

  it("the UI's mirrored package page and cached search show latest where the policy moved it, and why", async () => {
    const view = await shelf.rpc('mirror.cachedPackage', { name: 'aged' }, 'user');
    expect(view.status, view.text).toBe(200);
    expect(view.body.distTags.latest).toBe('1.1.0');
    const search = await shelf.rpc('mirror.searchCached', { text: 'aged', limit: 10 }, 'user');
    expect(search.body.results.find((r: any) => r.name === 'aged').latest).toBe('1.1.0');
    const why = await shelf.rpc('policy.why', { name: 'aged' }, 'user');
    expect(why.body.items).toEqual([
      expect.objectContaining({ version: '1.2.0', held: true, rule: 'age', message: expect.stringContaining('becomes available at') }),
    ]);
  });

  it('yarn 4 and bun install the newest allowed version too (their own age gates off: Shelf does the holding)', async () => {
    const yarnProject = project('yarn-aged', { aged: '^1.0.0' });
    writeFileSync(
      join(yarnProject, '.yarnrc.yml'),
      [
        `npmRegistryServer: "${shelf.url}"`,
        'unsafeHttpWhitelist: ["127.0.0.1"]',
        'nodeLinker: node-modules',
        'enableGlobalCache: false',
        'enableScripts: false',
        'npmMinimalAgeGate: 0',
        '',
      ].join('\n'),
    );
    writeFileSync(join(yarnProject, 'yarn.lock'), '');
    const yarnEnv = {
      ...npmUser.env(),
      YARN_ENABLE_TELEMETRY: '0',
      YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
      YARN_IGNORE_PATH: '1',
      CI: '',
    };
    const yarn = await run(process.execPath, [YARN, 'install'], { cwd: yarnProject, env: yarnEnv, timeoutMs: 180_000 });
    expect(yarn.code, yarn.stdout + yarn.stderr).toBe(0);
    expect(installed('yarn-aged', 'aged')).toBe('1.1.0');

    const bunProject = project('bun-aged', { aged: '^1.0.0' });
    writeFileSync(join(bunProject, 'bunfig.toml'), `[install]\nregistry = "${shelf.shelf.registry}"\n`);
    const bunEnv = { ...npmUser.env(), BUN_INSTALL_CACHE_DIR: join(work, 'bun-cache') };
    const bun = await run(join(ROOT, 'node_modules', '.bin', 'bun'), ['install', '--ignore-scripts'], {
      cwd: bunProject,
      env: bunEnv,
      timeoutMs: 180_000,
    });
    expect(bun.code, bun.stdout + bun.stderr).toBe(0);
    expect(installed('bun-aged', 'aged')).toBe('1.1.0');
  }, 400_000);

  it('`shelf why` names the held version it passed over, and a range only a held version meets fails naming the rule', async () => {
    const shelfCli = (args: string[], cwd: string) =>
      run(process.execPath, [join(ROOT, 'bin', 'shelf.js'), ...args, '--registry', shelf.shelf.registry], {
        cwd,
        env: { ...cleanEnv(), SHELF_DATA_DIR: join(work, 'cli-data') },
      });
    const dir = project('why-aged', { aged: '^1.0.0' });
    const why = await shelfCli(['why', 'aged', '--json'], dir);
    expect(why.code, why.stderr).toBe(0);
    const [copy] = JSON.parse(why.stdout) as { version: string; choice: { skipped: { version: string; reason: string }[] } }[];
    expect(copy!.version).toBe('1.1.0');
    expect(copy!.choice.skipped).toContainEqual({
      version: '1.2.0',
      reason: `held by the registry's policy (age) until ${new Date(Date.parse(upstream.published('aged', '1.2.0')) + 3 * DAY).toISOString()}`,
    });
    const text = await shelfCli(['why', 'aged'], dir);
    expect(text.stdout).toMatch(/passed over 1\.2\.0: held by the registry's policy \(age\) until /);

    const only = project('lock-banned', { banned: '^2.0.0' });
    const lock = await shelfCli(['lock'], only);
    expect(lock.code).not.toBe(0);
    expect(lock.stdout + lock.stderr).toMatch(
      /no version of banned satisfies "\^2\.0\.0".*held by the registry's policy: 2\.0\.0 \(deny\)/s,
    );
    expect(existsSync(join(only, 'package-lock.json'))).toBe(false);
  });

  it('exempts a scope listed in the exceptions', async () => {
    const reply = await doc('@trusted/fresh');
    expect(Object.keys(reply.body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.1.0');
    expect(reply.headers.get('x-shelf-policy')).toBeNull();
  });

  it('lets a quarantined version through when it fixes an advisory affecting every allowed version', async () => {
    const reply = await doc('fixed');
    expect(Object.keys(reply.body.versions).sort()).toEqual(['1.0.0', '1.0.1']);
    expect(reply.body['dist-tags'].latest).toBe('1.0.1');
    expect(reply.headers.get('x-shelf-policy')).toBe('1.0.1=flagged-age');
    expect(upstream.advisoryRequests).toContain('fixed');
    const tarball = await shelf.request('GET', tarballPath('fixed', '1.0.1'));
    expect(tarball.status).toBe(200);
    const why = await shelf.rpc('policy.why', { name: 'fixed' }, 'user');
    expect(why.body.items[0].message).toMatch(/fixes advisory 1001 \(Prototype pollution\) affecting 1\.0\.0/);
  });
});

describe('deny list and takedowns', () => {
  it('denies a range: hidden, latest moved, tarball refused naming the deny rule', async () => {
    const reply = await doc('banned');
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.0.0');
    await expectRefused('banned', '2.0.0', 'deny', /on the deny list \(banned@>=2\.0\.0: compromised release\)/);
  });

  it('a version gone from the upstream packument is marked, its cached tarball purged, and the purge is in the audit log', async () => {
    const first = await shelf.request('GET', tarballPath('gone', '1.1.0'));
    expect(first.status).toBe(200);
    const cached = cachedTarball('gone', '1.1.0')!;
    expect(cached).toBeDefined();
    const blobs = shelf.snapshot().blobs as string[];
    expect(blobs.some((b) => cached.integrity.includes(b) || b.length > 10)).toBe(true);
    const blobCount = blobs.length;
    upstream.remove('gone', '1.1.0');
    const reply = await doc('gone'); // revalidated (--cache-max-age 0): the upstream no longer lists 1.1.0
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.0.0');
    expect(cachedTarball('gone', '1.1.0')).toBeUndefined();
    expect((shelf.snapshot().blobs as string[]).length).toBe(blobCount - 1);
    await expectRefused('gone', '1.1.0', 'takedown', /removed by the upstream \(it disappeared from the upstream packument\)/);
    const audit = await shelf.rpc('policy.audit', {}, 'admin');
    expect(audit.body.entries.find((e: any) => e.action === 'takedown' && e.name === 'gone')).toMatchObject({
      version: '1.1.0',
      detail: expect.stringContaining('the cached tarball was purged'),
    });
  });

  it('a tarball the upstream answers 451 for is a takedown from then on', async () => {
    upstream.refuseTarball('gone', '1.0.0', 451);
    const failed = await shelf.request('GET', tarballPath('gone', '1.0.0'));
    expect(failed.status).toBeGreaterThanOrEqual(400);
    await expectRefused('gone', '1.0.0', 'takedown', /the upstream answered 451 for its tarball/);
  });
});

describe('install-script changes', () => {
  it('holds a version that adds a postinstall until an admin approves it', async () => {
    const reply = await doc('scripted');
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.0.0');
    await expectRefused(
      'scripted',
      '1.1.0',
      'install-scripts',
      /held for review: adds postinstall "node -e \\"process.exit\(0\)\\"" compared with 1\.0\.0/,
    );
    const held = await shelf.rpc('policy.held', {}, 'admin');
    expect(held.body.items).toContainEqual(
      expect.objectContaining({ name: 'scripted', version: '1.1.0', held: true, rule: 'install-scripts' }),
    );
    const refused = await shelf.rpc('policy.review', { name: 'scripted', version: '1.1.0', decision: 'approved' }, 'user');
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/only an admin may review held versions/);
    const approved = await shelf.rpc('policy.review', { name: 'scripted', version: '1.1.0', decision: 'approved' }, 'admin');
    expect(approved.status, approved.text).toBe(200);
    const after = await doc('scripted');
    expect(after.body['dist-tags'].latest).toBe('1.1.0');
    expect((await shelf.request('GET', tarballPath('scripted', '1.1.0'))).status).toBe(200);
  });
});

describe('dependencies gained with install scripts', () => {
  it('holds a version that gains a dependency running a preinstall, and npm installs the version before it', async () => {
    const reply = await doc('worm-host');
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.0.0');
    await expectRefused(
      'worm-host',
      '1.1.0',
      'install-scripts',
      /held for review: gains dependency worm-dep@\^1\.0\.0, whose 1\.0\.0 runs preinstall "node -e \\"process\.exit\(0\)\\"" compared with 1\.0\.0/,
    );
    const dir = project('worm-app', { 'worm-host': '^1.0.0' });
    const install = await npmUser.npm(['install', '--ignore-scripts'], dir);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect(installed('worm-app', 'worm-host')).toBe('1.0.0');
    const why = await shelf.rpc('policy.held', {}, 'admin');
    expect(why.body.items).toContainEqual(
      expect.objectContaining({ name: 'worm-host', version: '1.1.0', held: true, rule: 'install-scripts' }),
    );
  });

  it('serves a version that gains a dependency without install scripts', async () => {
    const reply = await doc('calm-host');
    expect(Object.keys(reply.body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.1.0');
    expect(reply.headers.get('x-shelf-policy')).toBeNull();
  });
});

describe('provenance', () => {
  it('holds a version published without the provenance the version before it had', async () => {
    const reply = await doc('attested');
    expect(Object.keys(reply.body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(reply.body['dist-tags'].latest).toBe('1.1.0');
    expect(reply.body.versions['1.1.0'].dist.attestations.provenance.predicateType).toBe('https://slsa.dev/provenance/v1');
    await expectRefused(
      'attested',
      '1.2.0',
      'provenance',
      /held for review: published without provenance, though 1\.1\.0 before it was published with it/,
    );
    const abbreviated = await doc('attested', true);
    expect(Object.keys(abbreviated.body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
  });
});

describe('licences', () => {
  it('hides a version whose licence is denied', async () => {
    const reply = await doc('licensed');
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    await expectRefused('licensed', '1.1.0', 'license', /its licence GPL-3\.0-only is denied by the policy/);
  });
});

describe('registry signatures', () => {
  it('holds a version whose signature does not verify against the upstream keys, and serves the keys', async () => {
    const reply = await doc('signed');
    expect(Object.keys(reply.body.versions)).toEqual(['1.0.0']);
    expect(reply.body.versions['1.0.0'].dist.signatures[0].keyid).toBe(upstream.keyId);
    await expectRefused('signed', '1.1.0', 'signature', /does not verify/);
    const keys = await shelf.request('GET', '/-/npm/v1/keys');
    expect(keys.status).toBe(200);
    expect(keys.body.keys[0].keyid).toBe(upstream.keyId);
  });

  // `npm audit signatures` itself first initialises sigstore's TUF client, which must reach tuf-repo-cdn.sigstore.dev
  // (tests never touch the internet); the registry-signature check it then makes is pacote's, run here as npm runs it:
  // with the keys from Shelf's /-/npm/v1/keys and the manifest Shelf serves.
  it("npm's signature check (pacote with verifySignatures) passes through Shelf for the installed version", async () => {
    const dir = project('npm-signed', { signed: '^1.0.0' });
    const install = await npmUser.npm(['install', '--ignore-scripts'], dir);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect(installed('npm-signed', 'signed')).toBe('1.0.0');
    const npmRoot = (await run('npm', ['root', '-g'], { cwd: dir, env: npmUser.env() })).stdout.trim();
    const pacote = createRequire(join(npmRoot, 'npm', 'package.json'))('pacote') as {
      manifest(spec: string, opts: Record<string, unknown>): Promise<{ _signatures?: unknown[] }>;
    };
    const served = (await shelf.request('GET', '/-/npm/v1/keys')).body.keys as { key: string }[];
    const keys = served.map((k) => ({ ...k, pemkey: `-----BEGIN PUBLIC KEY-----\n${k.key}\n-----END PUBLIC KEY-----` }));
    const registry = shelf.shelf.registry;
    const opts = { registry, verifySignatures: true, [`//${new URL(registry).host}/:_keys`]: keys, cache: join(work, 'pacote-cache') };
    const manifest = await pacote.manifest('signed@1.0.0', opts);
    expect(manifest._signatures).toHaveLength(1);
    // The same check refuses a signature over other bytes: the forged 1.1.0 as the upstream serves it.
    const direct = { ...opts, registry: upstream.fake.url, [`//${new URL(upstream.fake.url).host}/:_keys`]: keys };
    await expect(pacote.manifest('signed@1.1.0', direct)).rejects.toMatchObject({ code: 'EINTEGRITYSIGNATURE' });
  }, 120_000);
});

describe('shelf audit', () => {
  it("reports a lockfile's advisories from the cached data, without the upstream", async () => {
    const dir = join(work, 'audit-app');
    makePackage(dir, { name: 'audit-app', version: '1.0.0', private: true, dependencies: { fixed: '1.0.0', aged: '^1.0.0' } });
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        name: 'audit-app',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: {
          '': { name: 'audit-app', version: '1.0.0', dependencies: { fixed: '1.0.0', aged: '^1.0.0' } },
          'node_modules/fixed': { version: '1.0.0', resolved: `${shelf.shelf.registry}fixed/-/fixed-1.0.0.tgz` },
          'node_modules/aged': { version: '1.1.0', resolved: `${shelf.shelf.registry}aged/-/aged-1.1.0.tgz` },
          'node_modules/never-mirrored': { version: '3.0.0', resolved: `${shelf.shelf.registry}never-mirrored/-/never-mirrored-3.0.0.tgz` },
        },
      }),
    );
    const requestsBefore = upstream.fake.requests.length;
    const result = await run(process.execPath, [join(ROOT, 'bin', 'shelf.js'), 'audit', dir, '--data-dir', shelf.shelf.dataDir, '--json'], {
      cwd: dir,
      env: cleanEnv(),
    });
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.packages).toBe(3);
    expect(report.findings).toEqual([
      { name: 'fixed', version: '1.0.0', advisories: [expect.objectContaining({ id: 1001, vulnerable_versions: '<1.0.1' })] },
    ]);
    expect(report.unknown).toEqual(['never-mirrored']);
    expect(upstream.fake.requests.length).toBe(requestsBefore);

    // npm audit against Shelf, offline: answered from the same cached advisories.
    expect((await shelf.rpc('mirror.setOffline', { offline: true }, 'admin')).status).toBe(200);
    try {
      const audit = await npmUser.npm(['audit', '--json'], dir);
      expect(audit.code, audit.stderr).toBe(1);
      const report = JSON.parse(audit.stdout);
      expect(Object.keys(report.vulnerabilities)).toEqual(['fixed']);
      expect(report.vulnerabilities.fixed).toMatchObject({
        severity: 'high',
        via: [expect.objectContaining({ title: 'Prototype pollution', range: '<1.0.1' })],
      });
      expect(upstream.fake.requests.length).toBe(requestsBefore);
      const direct = await shelf.request('POST', '/-/npm/v1/security/advisories/bulk', {
        body: { fixed: ['1.0.0', '1.0.1'], aged: ['1.1.0'] },
      });
      expect(direct.headers.get('x-shelf-audit')).toBe('cache');
      expect(Object.keys(direct.body)).toEqual(['fixed']);
    } finally {
      await shelf.rpc('mirror.setOffline', { offline: false }, 'admin');
    }
  }, 120_000);
});

describe('notifications', () => {
  it("POSTs a notice of each hold and takedown to the operator's webhook", async () => {
    // The notices are sent in the background; wait (bounded) for the ones the tests above caused.
    const wanted = (n: (typeof notices)[number]) =>
      (n.action === 'held' && n.name === 'worm-host' && n.version === '1.1.0') || (n.action === 'takedown' && n.name === 'gone');
    for (let i = 0; i < 100 && notices.filter(wanted).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(notices).toContainEqual(
      expect.objectContaining({
        action: 'held',
        name: 'worm-host',
        version: '1.1.0',
        rule: 'install-scripts',
        text: expect.stringMatching(/^worm-host@1\.1\.0 held \(install-scripts\): held for review: gains dependency worm-dep/),
      }),
    );
    expect(notices).toContainEqual(expect.objectContaining({ action: 'takedown', name: 'gone', version: '1.1.0', rule: 'takedown' }));
    // One notice per decision, not one per read.
    expect(notices.filter((n) => n.action === 'held' && n.name === 'worm-host')).toHaveLength(1);
  });
});

describe('the policy itself', () => {
  it('only admins read or change it, and a bad policy is refused with nothing written', async () => {
    const asUser = await shelf.rpc('policy.set', { policy: {} }, 'user');
    expect(asUser.status).toBe(403);
    expect(asUser.text).toMatch(/only an admin may change the policy/);
    const before = readFileSync(join(shelf.shelf.dataDir, 'policy.json'), 'utf8');
    const bad = await shelf.rpc('policy.set', { policy: { deny: [{ package: 'x', range: 'not a range' }] } }, 'admin');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/'not a range' \(for x\) is not a semver range/);
    expect(readFileSync(join(shelf.shelf.dataDir, 'policy.json'), 'utf8')).toBe(before);
    expect(existsSync(join(shelf.shelf.dataDir, 'policy.json'))).toBe(true);
  });
});

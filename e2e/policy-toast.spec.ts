// Issue 18: a toast on the open page when the policy holds an upstream version, and the mirrored package page's
// provenance. A real `shelf serve` mirrors a stand-in upstream on loopback: one package's newer release adds a
// postinstall, another's carries an attestation whose digest is not its tarball's (real sigstore bundles from the test's
// own CA and log key). The first read of each (by an npm client, here a plain GET) decides, and the signed-in page hears
// the holds over the event stream.
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../test/helpers/fake-upstream';
import { createTestSigstore } from '../test/policy/sigstore';
import { views } from './support/app-shots';
import { callContract, collectPageProblems, expectOverview, fillSetupForm } from './support/pages';
import { startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let upstream: FakeUpstream;
let server: ShelfServer;
let page: Page;
let problems: string[];
let rootDir: string;

const NAME = 'toast-scripted';
const ATTESTED = 'toast-attested';

test.beforeAll(async ({ browser }) => {
  upstream = await startFakeUpstream();
  const version = (v: string, scripts?: Record<string, string>) => ({
    name: NAME,
    version: v,
    ...(scripts && { scripts }),
    dist: {
      tarball: `${upstream.url}${NAME}/-/${NAME}-${v}.tgz`,
      integrity: `sha512-${createHash('sha512').update(v).digest('base64')}`,
    },
  });
  const doc = {
    name: NAME,
    'dist-tags': { latest: '1.1.0' },
    versions: { '1.0.0': version('1.0.0'), '1.1.0': version('1.1.0', { postinstall: 'node steal.js' }) },
    time: { '1.0.0': '2025-01-01T00:00:00.000Z', '1.1.0': '2025-06-01T00:00:00.000Z' },
  };
  upstream.route(`/${NAME}`, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)));

  // Published from CI with provenance; 1.1.0's attestation names another tarball's digest.
  const sigstore = await createTestSigstore();
  rootDir = mkdtempSync(join(tmpdir(), 'shelf-e2e-root-'));
  writeFileSync(join(rootDir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
  const attested: Record<string, unknown> = {};
  const time: Record<string, string> = {};
  for (const [v, ago] of [
    ['1.0.0', 20],
    ['1.1.0', 10],
  ] as const) {
    const integrity = `sha512-${createHash('sha512').update(`${ATTESTED}@${v}`).digest('base64')}`;
    const answer = await sigstore.attest(ATTESTED, v, integrity, {
      digest: v === '1.1.0' ? createHash('sha512').update('other bytes').digest('hex') : undefined,
    });
    upstream.route(`/-/npm/v1/attestations/${ATTESTED}@${v}`, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
    );
    attested[v] = {
      name: ATTESTED,
      version: v,
      dist: {
        tarball: `${upstream.url}${ATTESTED}/-/${ATTESTED}-${v}.tgz`,
        integrity,
        attestations: {
          url: `${upstream.url}-/npm/v1/attestations/${ATTESTED}@${v}`,
          provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
        },
      },
    };
    time[v] = new Date(Date.now() - ago * 86_400_000).toISOString();
  }
  const attestedDoc = { name: ATTESTED, 'dist-tags': { latest: '1.1.0' }, versions: attested, time };
  upstream.route(`/${ATTESTED}`, (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(attestedDoc)),
  );
  server = await startServer(['--upstream', upstream.url]);
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
  // The toast needs the page's event stream open before the hold happens.
  const stream = page.waitForResponse((response) => response.url().endsWith('/-/shelf/events') && response.status() === 200);
  await page.goto(server.setupLink);
  await fillSetupForm(page);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await expectOverview(page);
  await stream;
});

test.afterAll(async () => {
  await page?.context().close();
  await server?.stop();
  await upstream?.close();
  if (rootDir) rmSync(rootDir, { recursive: true, force: true });
});

test('a version held by the policy shows a toast on the open page, saying what and why', async () => {
  await callContract(page, server.url, 'policy.set', { policy: { installScripts: 'hold' } });
  const notifications = page.getByRole('status', { name: 'Notifications' });
  await expect(notifications.getByText(`${NAME}@1.1.0 held by the policy`)).toHaveCount(0);

  // An npm client reads the package through Shelf: the ingest holds 1.1.0.
  const read = await page.request.get(`${server.url}/${NAME}`);
  expect(read.status()).toBe(200);
  expect(Object.keys(((await read.json()) as { versions: Record<string, unknown> }).versions)).toEqual(['1.0.0']);

  const toast = notifications.getByText(
    `${NAME}@1.1.0 held by the policy (install-scripts): held for review: adds postinstall "node steal.js" compared with 1.0.0`,
  );
  await expect(toast).toBeVisible();
  await notifications.getByRole('button', { name: `Dismiss: ${NAME}@1.1.0 held by the policy` }).click();
  await expect(toast).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('the mirrored package page shows provenance as verified, and why a version is not', async () => {
  await callContract(page, server.url, 'policy.set', {
    policy: { provenance: 'hold', provenanceTrustedRoot: join(rootDir, 'trusted_root.json') },
  });
  const read = await page.request.get(`${server.url}/${ATTESTED}`);
  expect(read.status()).toBe(200);
  expect(Object.keys(((await read.json()) as { versions: Record<string, unknown> }).versions)).toEqual(['1.0.0']);
  const notifications = page.getByRole('status', { name: 'Notifications' });
  await expect(
    notifications.getByText(`${ATTESTED}@1.1.0 held by the policy (provenance): held for review: its provenance does not verify`),
  ).toBeVisible();

  await notifications.getByRole('button', { name: `Dismiss: ${ATTESTED}@1.1.0 held by the policy` }).click();
  await page.goto(`${server.url}/-/ui/#/package/${ATTESTED}`);
  await expect(page.getByRole('heading', { level: 1, name: ATTESTED })).toBeVisible();
  const provenance = page.getByRole('region', { name: `Provenance of ${ATTESTED}` });
  const verified = provenance.getByRole('row', { name: /1\.0\.0/ });
  await expect(verified).toContainText('verified');
  await expect(verified).toContainText(`https://github.com/acme/${ATTESTED}`);
  await expect(verified).toContainText('.github/workflows/release.yml @ refs/heads/main');
  await expect(verified).toContainText(/\d{8}/);
  const failed = provenance.getByRole('row', { name: /1\.1\.0/ });
  await expect(failed).toContainText('not verified');
  await expect(failed).toContainText("is not the tarball's integrity");
  await views(page, 'package-provenance');
  // The package page asks package.details first; for a mirrored package that answer is a 404 (then the cache is read).
  expect(problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
});

// Download counts are kept in memory and written together (one write transaction per tarball request cost a quarter of
// the tarball throughput): written by the timer without any read, written before every read, and written on close.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DOWNLOAD_FLUSH_MS } from '../../../src/main/services/packages/downloads';
import { openSqliteMetadata } from '../../../src/main/storage/sql/sqlite';
import { packageTarball, publishBody, startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function withPackage(): Promise<Harness> {
  h = await startHarness();
  const token = await h.login('alice');
  const tarball = await packageTarball('counted', '1.0.0');
  expect((await h.call('PUT', '/counted', { token, body: publishBody('counted', '1.0.0', tarball) })).status).toBe(201);
  return h;
}

const download = async (harness: Harness) => expect((await harness.call('GET', '/counted/-/counted-1.0.0.tgz')).status).toBe(200);
/** What the tables hold, read straight from the database (not through DownloadStats, which would write first). */
const stored = async (harness: Harness) => {
  const db = harness.app.services.packages.ctx.db;
  return {
    daily: ((await db.get('SELECT coalesce(sum(count), 0) AS n FROM download_counts')) as { n: number }).n,
    total: ((await db.get('SELECT coalesce(sum(total), 0) AS n FROM package_downloads')) as { n: number }).n,
  };
};

describe('download counts', () => {
  it('are written by the timer, in one go, without anyone reading them', async () => {
    const harness = await withPackage();
    for (let i = 0; i < 3; i++) await download(harness);
    await new Promise((resolve) => setTimeout(resolve, DOWNLOAD_FLUSH_MS + 300));
    expect(await stored(harness)).toEqual({ daily: 3, total: 3 });
  });

  it('are exact for every reader straight after the downloads', async () => {
    const harness = await withPackage();
    for (let i = 0; i < 4; i++) await download(harness);
    expect(await harness.app.services.stats.summary(1)).toMatchObject({ total: 4, last_week: 4 });
    expect(await stored(harness)).toEqual({ daily: 4, total: 4 });
    const listing = await harness.call('GET', '/api/v1/packages/counted');
    expect(listing.body.downloads).toMatchObject({ total: 4 });
    expect(listing.body.versions[0].downloads).toBe(4);
  });

  it('are written when the app closes', async () => {
    const harness = await withPackage();
    h = undefined;
    try {
      for (let i = 0; i < 2; i++) await download(harness);
      await harness.app.close();
      const db = openSqliteMetadata(join(harness.dataDir, 'shelf.db'));
      expect(((await db.get('SELECT total FROM package_downloads')) as { total: number }).total).toBe(2);
      await db.close();
    } finally {
      rmSync(harness.dataDir, { recursive: true, force: true });
    }
  });
});

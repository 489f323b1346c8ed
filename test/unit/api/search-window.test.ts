// Search over the popularity-keyed index: ranking within a bounded window, exact totals and paging past it, the exact
// name first wherever it lies, and the index's keys following downloads, yanks and access changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/main/services/auth/principal';
import { SearchService, type SearchFilter } from '../../../src/main/services/search/search-service';
import { packageTarball } from '../../helpers/app-harness';
import { startApi, type ApiHarness } from './api-client';

let a: ApiHarness;
let alice: string;
/** A search service that ranks only the 3 most popular matches of a query, so that small data sets reach past it. */
let narrow: SearchService;

async function publish(name: string, description: string, extra: Record<string, unknown> = {}) {
  const response = await a.api('POST', '/packages', {
    token: alice,
    body: { name, version: '1.0.0', description, tarball: (await packageTarball(name, '1.0.0')).toString('base64'), ...extra },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

async function download(name: string, times: number) {
  for (let i = 0; i < times; i++) expect((await a.api('GET', `/packages/${name}/1.0.0/tarball`)).status).toBe(200);
}

const find = async (filter: Partial<SearchFilter> & { text: string }, principal?: Principal) =>
  narrow.find({ offset: 0, limit: 20, ...filter }, principal);
const names = (result: { rows: { name: string }[] }) => result.rows.map((r) => r.name);

beforeAll(async () => {
  a = await startApi();
  alice = await a.register('alice');
  // Eight packages that all match "gizmo"; "gizmo" itself matches only through its name and is never downloaded.
  await publish('gizmo', 'an unrelated description');
  for (let i = 1; i <= 7; i++) await publish(`gizmo-${i}`, `gizmo helper number ${i}`);
  await download('gizmo-2', 6);
  await download('gizmo-5', 2);
  await publish('lone-widget', 'renders a widget');
  const ctx = a.h.app.services.packages.ctx;
  narrow = new SearchService(ctx.db, ctx, { rankedWindow: 3, downloads: a.h.app.services.stats });
});
afterAll(async () => a.close());

describe('ranked window', () => {
  it('counts every match and pages through each exactly once, the exact name first', async () => {
    const all: string[] = [];
    for (let offset = 0; offset < 10; offset += 2) {
      const page = await find({ text: 'gizmo', offset, limit: 2 });
      expect(page.total).toBe(8);
      all.push(...names(page));
    }
    expect(all[0]).toBe('gizmo');
    expect([...all].sort()).toEqual(['gizmo', 'gizmo-1', 'gizmo-2', 'gizmo-3', 'gizmo-4', 'gizmo-5', 'gizmo-6', 'gizmo-7']);
    // The window holds the most downloaded matches, ranked; the rest follow.
    expect(all.slice(1, 3)).toEqual(['gizmo-2', 'gizmo-5']);
  });

  it('gives the same first page as ranking every match when the window holds the best ones', async () => {
    const ctx = a.h.app.services.packages.ctx;
    const wide = await new SearchService(ctx.db, ctx, { downloads: a.h.app.services.stats }).find(
      { text: 'gizmo', offset: 0, limit: 3 },
      undefined,
    );
    expect(names(await find({ text: 'gizmo', limit: 3 }))).toEqual(names(wide));
    expect(wide.total).toBe(8);
  });

  it('orders by downloads exactly across the window', async () => {
    expect(names(await find({ text: 'helper', sort: 'downloads', limit: 2 }))).toEqual(['gizmo-2', 'gizmo-5']);
    expect((await find({ text: 'helper', sort: 'downloads', offset: 5, limit: 5 })).rows).toHaveLength(2);
  });
});

describe('index keys follow the package', () => {
  it('moves a package up the window once it is downloaded', async () => {
    expect(names(await find({ text: 'helper', limit: 2 }))).not.toContain('gizmo-7');
    await download('gizmo-7', 30);
    expect(names(await find({ text: 'helper', limit: 2 }))[0]).toBe('gizmo-7');
  });

  it('drops a package whose every version is yanked, from the results and the total, and brings it back', async () => {
    expect((await a.api('POST', '/packages/lone-widget/1.0.0/yank', { token: alice })).status).toBe(200);
    expect((await find({ text: 'widget' })).total).toBe(0);
    expect((await find({ text: '' })).total).toBe(8);
    expect((await a.api('POST', '/packages/lone-widget/1.0.0/unyank', { token: alice })).status).toBe(200);
    expect(names(await find({ text: 'widget' }))).toEqual(['lone-widget']);
    expect((await find({ text: '' })).total).toBe(9);
  });

  it('shows a restricted package to its maintainer and an admin only', async () => {
    const ctx = a.h.app.services.packages.ctx;
    await ctx.db.run("UPDATE packages SET access = 'restricted' WHERE name = 'gizmo-3'");
    try {
      const user = (await a.h.app.services.auth.findUser('alice'))!;
      expect((await find({ text: 'gizmo' })).total).toBe(7);
      expect((await find({ text: '' })).total).toBe(8);
      const mine = await find({ text: 'gizmo', limit: 20 }, { user, scope: 'read' } as Principal);
      expect(mine.total).toBe(8);
      expect(names(mine)).toContain('gizmo-3');
      expect((await find({ text: '' }, { user, scope: 'read' } as Principal)).total).toBe(9);
      const stranger = { user: { ...user, id: -5, isAdmin: false }, scope: 'read' } as Principal;
      expect((await find({ text: 'gizmo' }, stranger)).total).toBe(7);
      expect((await find({ text: 'gizmo' }, { user: { ...user, id: -5, isAdmin: true }, scope: 'read' } as Principal)).total).toBe(8);
    } finally {
      await ctx.db.run("UPDATE packages SET access = 'public' WHERE name = 'gizmo-3'");
    }
  });
});

describe('words', () => {
  it('finds words inside names and by their beginning', async () => {
    expect(names(await find({ text: 'widget' }))).toEqual(['lone-widget']);
    expect(names(await find({ text: 'widg' }))).toEqual(['lone-widget']);
    expect(names(await find({ text: 'lone-widget' }))).toEqual(['lone-widget']);
    expect((await find({ text: 'gizm' })).total).toBe(8);
    // A word with nothing to index narrows nothing, rather than matching nothing.
    expect((await find({ text: 'widget -' })).total).toBe(1);
  });
});

// Search over a real server: query syntax (phrases, -word, OR, qualifiers), filters, sorting, ranking and suggestions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTarball } from '../../helpers/app-harness';
import { expectRefusal, startApi, type ApiHarness } from './api-client';

let a: ApiHarness;
let alice: string;

async function publish(name: string, description: string, extra: Record<string, unknown> = {}) {
  const response = await a.api('POST', '/packages', {
    token: alice,
    body: { name, version: '1.0.0', description, tarball: (await packageTarball(name, '1.0.0')).toString('base64'), ...extra },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

const names = (body: { results: { name: string }[] }) => body.results.map((r) => r.name);

beforeAll(async () => {
  a = await startApi();
  alice = await a.register('alice');
  await publish('parser', 'a tiny helper');
  await publish('json-parser', 'a fast parser for json documents', { keywords: ['json', 'parse'], categories: ['formats'] });
  await publish('yaml-tool', 'reads yaml configuration files', { keywords: ['yaml'], author: 'Yuki' });
  await publish('csv-tool', 'reads csv spreadsheets quickly', { keywords: ['csv'] });
  // Two packages whose text matches a query equally well; one is downloaded, one is not.
  await publish('quiet-widget', 'renders a colour picker widget');
  await publish('famous-widget', 'renders a colour picker widget');
  for (let i = 0; i < 5; i++) expect((await a.api('GET', '/packages/famous-widget/1.0.0/tarball')).status).toBe(200);
});
afterAll(async () => a.close());

describe('ranking', () => {
  it('puts an exact name match first', async () => {
    expect(names((await a.api('GET', '/search?q=parser')).body)[0]).toBe('parser');
  });

  it('puts a popular package above an unpopular one with the same relevance', async () => {
    expect(names((await a.api('GET', '/search?q=picker')).body)).toEqual(['famous-widget', 'quiet-widget']);
    const npm = await a.h.call('GET', '/-/v1/search?text=picker');
    expect(npm.body.objects.map((o: { package: { name: string } }) => o.package.name)).toEqual(['famous-widget', 'quiet-widget']);
  });

  it('sorts by downloads, newest and name on request', async () => {
    expect(names((await a.api('GET', '/search?sort=downloads&limit=1')).body)).toEqual(['famous-widget']);
    expect(names((await a.api('GET', '/search?sort=newest&limit=1')).body)).toEqual(['famous-widget']);
    expect(names((await a.api('GET', '/search?sort=name&limit=2')).body)).toEqual(['csv-tool', 'famous-widget']);
  });
});

describe('query syntax', () => {
  it('ANDs words and matches "quoted phrases"', async () => {
    expect(names((await a.api('GET', '/search?q=reads%20yaml')).body)).toEqual(['yaml-tool']);
    expect(names((await a.api('GET', `/search?q=${encodeURIComponent('"csv spreadsheets"')}`)).body)).toEqual(['csv-tool']);
    expect((await a.api('GET', `/search?q=${encodeURIComponent('"spreadsheets csv"')}`)).body.total).toBe(0);
  });

  it('excludes -words and joins a OR b', async () => {
    expect(names((await a.api('GET', '/search?q=reads%20-yaml')).body)).toEqual(['csv-tool']);
    expect(names((await a.api('GET', '/search?q=yaml%20OR%20csv&sort=name')).body)).toEqual(['csv-tool', 'yaml-tool']);
    expect((await a.api('GET', '/search?q=-widget')).body.total).toBe(4);
  });

  it('honours keywords:, author:, maintainer: and scope: in both searches', async () => {
    expect(names((await a.api('GET', '/search?q=keywords:json')).body)).toEqual(['json-parser']);
    expect(names((await a.api('GET', '/search?q=author:Yuki')).body)).toEqual(['yaml-tool']);
    expect((await a.api('GET', '/search?q=maintainer:alice')).body.total).toBe(6);
    expect((await a.api('GET', '/search?q=scope:team')).body.total).toBe(0);
    const npm = await a.h.call('GET', '/-/v1/search?text=reads%20-yaml');
    expect(npm.body.objects.map((o: { package: { name: string } }) => o.package.name)).toEqual(['csv-tool']);
  });

  it('filters by keyword and category parameters', async () => {
    expect(names((await a.api('GET', '/search?keyword=csv')).body)).toEqual(['csv-tool']);
    expect(names((await a.api('GET', '/search?category=formats')).body)).toEqual(['json-parser']);
  });
});

describe('paging', () => {
  it('lists everything for an empty query, with both result arrays, and caps limit at 100', async () => {
    const all = await a.api('GET', '/search?limit=500');
    expect(all.body.total).toBe(6);
    expect(all.body.limit).toBe(100);
    expect(all.body.packages).toEqual(all.body.results);
    const page = await a.api('GET', '/search?limit=2&offset=2&sort=name');
    expect(names(page.body)).toEqual(['json-parser', 'parser']);
  });

  it('refuses a bad limit, offset or sort with 400', async () => {
    await expectRefusal(a, () => a.api('GET', '/search?limit=0'), 400, 'invalid_request');
    await expectRefusal(a, () => a.api('GET', '/search?offset=-1'), 400, 'invalid_request');
    await expectRefusal(a, () => a.api('GET', '/search?sort=stars'), 400, 'invalid_request');
  });
});

describe('suggestions', () => {
  it('completes name prefixes, most downloaded first', async () => {
    const response = await a.api('GET', '/search/suggest?q=f');
    expect(response.body.suggestions.map((s: { name: string }) => s.name)).toEqual(['famous-widget']);
    expect((await a.api('GET', '/search/suggest?q=')).body.suggestions).toEqual([]);
    expect((await a.api('GET', '/search/suggest?q=y')).body.suggestions[0]).toMatchObject({ name: 'yaml-tool', version: '1.0.0' });
  });
});

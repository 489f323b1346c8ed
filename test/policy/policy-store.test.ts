// The Policy screen's store, run in Node against a real Shelf (in-process) over the browser-mode transport the page uses:
// load, save (and a refused save keeping the form's error), the held list filled by a real mirrored package, a review.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/main/config/config';
import { httpClient, setClient } from '../../src/renderer/src/client';
import { usePolicyStore } from '../../src/renderer/src/stores/policy';
import { startHarness, type Harness } from '../helpers/app-harness';
import { DAY, startPolicyUpstream, type PolicyUpstream } from './upstream';

let upstream: PolicyUpstream;
let shelf: Harness;

/** Sends the page's Origin and keeps its session cookie, as the browser does. */
function pageFetch(origin: string): typeof fetch {
  let cookie = '';
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('Origin', origin);
    if (cookie) headers.set('Cookie', cookie);
    const response = await fetch(input, { ...init, headers });
    const set = response.headers.getSetCookie()[0];
    if (set) cookie = set.split(';')[0]!;
    return response;
  };
}

beforeAll(async () => {
  upstream = await startPolicyUpstream(
    {
      scripted: { '1.0.0': { publishedAgoMs: 90 * DAY }, '1.1.0': { publishedAgoMs: 30 * DAY, scripts: { postinstall: 'node steal.js' } } },
    },
    {},
  );
  const mirror: MirrorConfig = {
    upstreams: [{ url: upstream.fake.url }],
    useNpmRegistry: false,
    offline: false,
    maxAgeMs: 60_000,
    timeoutMs: 5_000,
    retries: 0,
    cacheCapBytes: null,
    localScopes: [],
  };
  shelf = await startHarness({ mirror });
  const client = httpClient(pageFetch(shelf.url), shelf.url);
  setClient(client);
  const setupToken = new URL((await shelf.app.setupLink())!).hash.replace('#setup=', '');
  await client['setup.createAdmin']({ setupToken, username: 'admin', password: 'correct horse battery', email: 'admin@example.test' });
});

afterAll(async () => {
  setClient(undefined);
  await shelf?.close();
  await upstream?.close();
});

describe.sequential('the Policy screen store', () => {
  it('loads the empty policy, refuses a bad one with the server words and writes no file', async () => {
    await usePolicyStore.getState().load();
    expect(usePolicyStore.getState()).toMatchObject({
      loaded: true,
      error: undefined,
      held: [],
      view: { minReleaseAgeMs: null, fromFlag: false },
    });
    expect(await usePolicyStore.getState().save({ installScripts: 'sometimes' })).toBe(false);
    expect(usePolicyStore.getState().saveError).toMatch(/installScripts/);
    expect(existsSync(join(shelf.dataDir, 'policy.json'))).toBe(false);
  });

  it('saves a rule; a mirrored version it holds shows in the held list, with the scripts change, until approved', async () => {
    expect(await usePolicyStore.getState().save({ installScripts: 'hold' })).toBe(true);
    expect(usePolicyStore.getState().view?.policy).toMatchObject({ installScripts: 'hold' });
    const doc = await shelf.call('GET', '/scripted');
    expect(doc.body['dist-tags'].latest).toBe('1.0.0');
    await usePolicyStore.getState().load();
    expect(usePolicyStore.getState().held).toEqual([
      expect.objectContaining({
        name: 'scripted',
        version: '1.1.0',
        held: true,
        rule: 'install-scripts',
        reason: expect.stringContaining('adds postinstall "node steal.js"'),
      }),
    ]);
    await usePolicyStore.getState().loadWhy('scripted');
    expect(usePolicyStore.getState().why).toEqual({
      name: 'scripted',
      items: [
        expect.objectContaining({
          version: '1.1.0',
          held: true,
          message: expect.stringMatching(/^scripted@1\.1\.0 is held by Shelf's policy \(rule: install-scripts\)/),
        }),
      ],
      // No attestations to verify (the provenance rule is off here): none kept.
      provenance: [],
    });
    expect(await usePolicyStore.getState().review('scripted', '1.1.0', 'approved')).toBe(true);
    expect((await shelf.call('GET', '/scripted')).body['dist-tags'].latest).toBe('1.1.0');
    await usePolicyStore.getState().load();
    expect(usePolicyStore.getState().held).toEqual([]);
    expect(usePolicyStore.getState().audit.map((e) => e.action)).toEqual(['approved', 'held', 'policy-changed']);
  });
});

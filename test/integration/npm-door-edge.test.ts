// Issue 14, part 2: what npm's registry does at its door, Shelf does too. An oversized search `size` is clamped to 250
// (npm's registry does this; clients and suites rely on it) instead of refused, and a name that no package can have is
// answered 404 at once, without asking the upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';

let upstream: FakeUpstream;
let shelf: RunningShelf;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  shelf = await startShelf(['--upstream', upstream.url]);
});
afterAll(async () => {
  await shelf?.stop();
  await upstream?.close();
});

describe('/-/v1/search size', () => {
  it('clamps an oversized size to 250 instead of answering 400', async () => {
    const reply = await fetch(`${shelf.url}/-/v1/search?text=anything&size=1000`);
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { objects: unknown[] };
    expect(Array.isArray(body.objects)).toBe(true);
    expect(body.objects.length).toBeLessThanOrEqual(250);
  });

  it('still refuses a size that is not a whole number above 0', async () => {
    for (const size of ['0', '-3', 'ten', '2.5']) {
      const reply = await fetch(`${shelf.url}/-/v1/search?text=anything&size=${size}`);
      expect(reply.status, size).toBe(400);
      expect(((await reply.json()) as { error: string }).error).toBe('size must be a whole number from 1 to 250');
    }
  });
});

describe('invalid package names', () => {
  it('are answered 400 or 404 at once and never forwarded upstream', async () => {
    for (const path of ['/.name', '/caf%C3%A9', '/_private', '/%2e%2e%2f-%2fsecret']) {
      const reply = await fetch(`${shelf.url}${path}`);
      // The issue allows either: a name no package can have is not found (404) or not a name at all (400).
      expect([400, 404], path).toContain(reply.status);
      expect(((await reply.json()) as { error: string }).error, path).toMatch(
        / is not a valid package name \(.+\); it is not looked up upstream$/,
      );
    }
    const asked = upstream.requests.filter((line) => /name|caf|private|secret/i.test(line));
    expect(asked).toEqual([]);
    // The upstream is wired: a valid name is asked of it.
    await fetch(`${shelf.url}/valid-name-probe`);
    expect(upstream.requests.some((line) => line.includes('valid-name-probe'))).toBe(true);
  });
});

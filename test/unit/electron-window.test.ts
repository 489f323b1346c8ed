// The desktop window's "is this our own page?" predicate (navigation, redirects, permissions and IPC senders all ask
// it): the whole address must match, not only the path of a file: URL.
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRendererPageUrl } from '../../src/main/electron/renderer-url';

const indexPath = process.platform === 'win32' ? 'C:\\Shelf\\out\\renderer\\index.html' : '/opt/Shelf/out/renderer/index.html';
const indexUrl = pathToFileURL(indexPath).href;
const built = { indexUrl };

describe('isRendererPageUrl (built page)', () => {
  it('accepts the page itself, with any hash or query (the router lives in the hash)', () => {
    expect(isRendererPageUrl(indexUrl, built)).toBe(true);
    expect(isRendererPageUrl(`${indexUrl}#/packages`, built)).toBe(true);
    expect(isRendererPageUrl(`${indexUrl}?x=1#/settings`, built)).toBe(true);
  });

  it('refuses the same path on another host (a network share), which the path-only check let through', () => {
    const path = new URL(indexUrl).pathname;
    expect(isRendererPageUrl(`file://attacker.example${path}`, built)).toBe(false);
    expect(isRendererPageUrl(`file://192.168.1.20${path}#/`, built)).toBe(false);
  });

  it('refuses other files, other schemes with the same path, and things that are not URLs', () => {
    const path = new URL(indexUrl).pathname;
    expect(isRendererPageUrl(pathToFileURL(indexPath.replace('index.html', 'other.html')).href, built)).toBe(false);
    expect(isRendererPageUrl(`https://example.test${path}`, built)).toBe(false);
    expect(isRendererPageUrl(`http://localhost${path}`, built)).toBe(false);
    expect(isRendererPageUrl('javascript:alert(1)', built)).toBe(false);
    expect(isRendererPageUrl('not a url', built)).toBe(false);
    expect(isRendererPageUrl('', built)).toBe(false);
  });
});

describe('isRendererPageUrl (dev server)', () => {
  const dev = { indexUrl, devUrl: 'http://localhost:5173/' };

  it("accepts the dev server's own origin", () => {
    expect(isRendererPageUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isRendererPageUrl('http://localhost:5173/#/graph', dev)).toBe(true);
  });

  it('refuses another port, host, scheme or embedded credentials, and the built file while the dev server is in use', () => {
    expect(isRendererPageUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isRendererPageUrl('http://127.0.0.1:5173/', dev)).toBe(false);
    expect(isRendererPageUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isRendererPageUrl('http://user:pw@localhost:5173/', dev)).toBe(false);
    expect(isRendererPageUrl(indexUrl, dev)).toBe(false);
  });
});

// Whether a URL is the desktop window's own page, as a pure function of the URL and where the page lives, so it is
// unit-tested under plain Node (renderer-location.ts supplies the real page and dev-server addresses).

export interface RendererPage {
  /** The built page as a file: URL (pathToFileURL of out/renderer/index.html). */
  indexUrl: string;
  /** electron-vite's dev server in development; its whole origin is the app's page then. */
  devUrl?: string;
}

/**
 * True for the app's own page and nothing else. The whole address is compared — scheme, host and path — because a
 * file: URL with a host (file://server/share/…/index.html, a network share on Windows) has the same path as the local
 * page but is someone else's file. The hash and query are not compared: they change while the page stays the same.
 */
export function isRendererPageUrl(raw: string, page: RendererPage): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (page.devUrl) {
    const dev = new URL(page.devUrl);
    return url.protocol === dev.protocol && url.host === dev.host && url.username === '' && url.password === '';
  }
  const index = new URL(page.indexUrl);
  return (
    url.protocol === 'file:' &&
    index.protocol === 'file:' &&
    url.host === index.host &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === index.pathname
  );
}

// Splits npm protocol paths into a package name and the rest, accepting the encodings each client uses.

export interface NpmPath {
  name: string;
  rest: string[];
}

/**
 * `/@scope%2fname/-/name-1.0.0.tgz` (npm, yarn), `/@scope%2Fname` (pnpm) and `/@scope/name/...` (tarball URLs)
 * all name `@scope/name`. Returns undefined when the path cannot hold a package name.
 */
export function parsePackagePath(path: string): NpmPath | undefined {
  const normalised = path.replace(/%2f/gi, '/');
  let segments: string[];
  try {
    segments = normalised
      .split('/')
      .filter((s, i) => i > 0 || s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (segments[0] === '') segments.shift();
  const first = segments[0];
  if (!first) return undefined;
  if (first.startsWith('@')) {
    const second = segments[1];
    if (!second) return undefined;
    return { name: `${first}/${second}`, rest: segments.slice(2) };
  }
  return { name: first, rest: segments.slice(1) };
}

/** The path part of a raw request URL, without the query string. */
export function pathOf(rawUrl: string | undefined): string {
  const url = rawUrl ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

// How Shelf names things on another registry: a package's path (npm's `@scope%2fname`), its document URL, and the
// credential store's account for a registry's token — one scheme, so a token `shelf login` saved is the one the
// Registries screen shows for the same address.
/** Encodes a package name for a registry path (`@scope%2fname`). */
export const packagePath = (name: string): string =>
  name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);

/** A registry address as Shelf keeps it: parsed, ending in a slash. */
export function registryBase(url: string): string {
  const href = new URL(url).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/** npm's spelling of a package's document URL: a scoped name keeps its @ and encodes the slash. */
export const packumentUrl = (registryUrl: string, name: string): string => `${registryBase(registryUrl)}${packagePath(name)}`;

/** The credential store's account name for a registry's token. */
export const tokenAccount = (registryUrl: string): string => `registry-token:${registryBase(registryUrl)}`;

/** npm's couch login document (PUT /-/user/org.couchdb.user:NAME), which answers with a token. */
export function couchLogin(name: string, password: string, email?: string): { path: string; body: Record<string, unknown> } {
  return {
    path: `-/user/org.couchdb.user:${encodeURIComponent(name)}`,
    body: {
      _id: `org.couchdb.user:${name}`,
      name,
      password,
      ...(email !== undefined && { email }),
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    },
  };
}

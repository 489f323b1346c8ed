// Reads an htpasswd file (Verdaccio's auth file): one `name:hash` per line, optionally followed by `:comment`.
import { readFileSync } from 'node:fs';
import { notFound } from '../../errors';
import { legacyHashKind, type LegacyHashKind } from '../auth/legacy-hashes';

export interface HtpasswdEntry {
  name: string;
  hash: string;
  /** undefined: a form Shelf (and Verdaccio) cannot verify. */
  kind: LegacyHashKind | undefined;
  line: number;
}

export function parseHtpasswd(text: string): HtpasswdEntry[] {
  const entries: HtpasswdEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) return;
    const name = line.slice(0, colon);
    // The hash runs to the next colon: Verdaccio appends `:autocreated <date>` after it. No supported form contains one.
    const rest = line.slice(colon + 1);
    const hash = rest.includes(':') ? rest.slice(0, rest.indexOf(':')) : rest;
    entries.push({ name, hash, kind: legacyHashKind(hash), line: index + 1 });
  });
  return entries;
}

export function readHtpasswd(file: string): HtpasswdEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw notFound(
      `cannot read the htpasswd file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass the file Verdaccio's auth.htpasswd.file names`,
    );
  }
  return parseHtpasswd(text);
}

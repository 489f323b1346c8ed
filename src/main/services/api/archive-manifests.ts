// Reads the non-npm manifests an archive may carry (synapse.json, vais.toml) so their name and version can be checked.
import { Readable } from 'node:stream';
import * as tar from 'tar';

export interface ArchiveIdentity {
  file: string;
  name?: string;
  version?: string;
}

const WANTED = /^(?:package\/)?(synapse\.json|vais\.toml)$/;
const MAX_MANIFEST_BYTES = 256 * 1024;

function parseVaisToml(text: string): { name?: string; version?: string } {
  // Only [package] name/version are needed; a full TOML parser would be a dependency for two strings.
  const section = /^\s*\[package\]\s*$([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/m.exec(text)?.[1] ?? text;
  const field = (key: string) => new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, 'm').exec(section)?.[1];
  return { name: field('name'), version: field('version') };
}

/** The archive has already passed the tarball inspection (safe paths, sizes), so reading two small files is safe. */
export async function readArchiveIdentities(bytes: Buffer): Promise<ArchiveIdentity[]> {
  const found: ArchiveIdentity[] = [];
  const parser = new tar.Parser({
    filter: (path) => WANTED.test(path.replace(/^\.\//, '')),
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      let size = 0;
      entry.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_MANIFEST_BYTES) chunks.push(chunk);
      });
      entry.on('end', () => {
        const file = entry.path.replace(/^\.\//, '');
        const text = Buffer.concat(chunks).toString('utf8');
        if (file.endsWith('.toml')) {
          found.push({ file, ...parseVaisToml(text) });
          return;
        }
        try {
          const json = JSON.parse(text) as { name?: unknown; version?: unknown };
          found.push({
            file,
            name: typeof json.name === 'string' ? json.name : undefined,
            version: typeof json.version === 'string' ? json.version : undefined,
          });
        } catch {
          found.push({ file });
        }
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    Readable.from([bytes]).pipe(parser);
  });
  return found;
}

// The Code tab: the shown version's tarball as folders and files with their sizes, one folder at a time, with a path back up.
import { useMemo, useState } from 'react';
import { usePackageStore } from '../stores/package';
import { ErrorState, Loading, formatBytes } from './States';

interface Entry {
  name: string;
  /** Path from the package root, '/'-separated. */
  path: string;
  folder: boolean;
  size: number;
  files: number;
}

/** The entries directly inside `dir` ('' is the root): folders first, each with the size and count of what it holds. */
export function entriesIn(files: { path: string; size: number }[], dir: string): Entry[] {
  const prefix = dir ? `${dir}/` : '';
  const byName = new Map<string, Entry>();
  for (const f of files) {
    if (!f.path.startsWith(prefix)) continue;
    const rest = f.path.slice(prefix.length);
    const [first, ...deeper] = rest.split('/');
    if (!first) continue;
    const folder = deeper.length > 0;
    const entry = byName.get(first) ?? { name: first, path: prefix + first, folder, size: 0, files: 0 };
    entry.size += f.size;
    entry.files += 1;
    byName.set(first, entry);
  }
  return [...byName.values()].sort((a, b) => (a.folder === b.folder ? a.name.localeCompare(b.name) : a.folder ? -1 : 1));
}

export function CodeBrowser() {
  const listing = usePackageStore((s) => s.files);
  const error = usePackageStore((s) => s.filesError);
  const [dir, setDir] = useState('');
  const entries = useMemo(() => (listing ? entriesIn(listing.files, dir) : []), [listing, dir]);
  if (error) return <ErrorState message={error} />;
  if (!listing) return <Loading what="files" />;
  const parts = dir ? dir.split('/') : [];
  return (
    <div className="code-browser">
      <nav aria-label="Folder" className="breadcrumbs">
        <button type="button" className="link" onClick={() => setDir('')} aria-current={dir === '' ? 'location' : undefined}>
          {listing.name}@{listing.version}
        </button>
        {parts.map((part, i) => (
          <span key={parts.slice(0, i + 1).join('/')}>
            {' / '}
            <button
              type="button"
              className="link"
              onClick={() => setDir(parts.slice(0, i + 1).join('/'))}
              aria-current={i === parts.length - 1 ? 'location' : undefined}
            >
              {part}
            </button>
          </span>
        ))}
      </nav>
      <table className="packages code-table">
        <caption className="visually-hidden">Files in {dir || 'the package root'}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="num">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.path}>
              <th scope="row" className="mono">
                {e.folder ? (
                  <button type="button" className="link" onClick={() => setDir(e.path)}>
                    {e.name}/
                  </button>
                ) : (
                  e.name
                )}
                {e.folder && <span className="hint"> {e.files} files</span>}
              </th>
              <td className="num">{formatBytes(e.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        {listing.files.length} files, {formatBytes(listing.unpackedSize)} unpacked, {formatBytes(listing.size)} packed.
      </p>
    </div>
  );
}

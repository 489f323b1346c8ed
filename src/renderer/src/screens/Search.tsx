// Search: results as you type (debounced), filters, arrow keys move through results, Enter opens one.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { Empty, ErrorState, formatDate } from '../components/States';
import { href, navigate } from '../route';
import { useSearchStore } from '../stores/search';

export function Search() {
  const s = useSearchStore();
  const [chosen, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);
  const ids = { q: useId(), scope: useId(), keyword: useId(), author: useId() };
  const run = s.run;

  useEffect(() => {
    if (!useSearchStore.getState().loaded) void run();
  }, [run]);

  // A new result list keeps the position when it still fits, else starts again at the top.
  const active = chosen < s.results.length ? chosen : 0;
  const onKey = (event: KeyboardEvent) => {
    if (!s.results.length) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = Math.max(0, Math.min(s.results.length - 1, active + (event.key === 'ArrowDown' ? 1 : -1)));
      setActive(next);
      listRef.current?.querySelectorAll('a')[next]?.focus();
    } else if (event.key === 'Enter' && (event.target as HTMLElement).tagName === 'INPUT') {
      event.preventDefault();
      const hit = s.results[active];
      if (hit) navigate({ screen: 'package', name: hit.name });
    }
  };

  return (
    <section aria-labelledby="search-heading" onKeyDown={onKey}>
      <h1 id="search-heading">Search</h1>
      <div className="panel">
        <div className="field">
          <label htmlFor={ids.q}>Search packages</label>
          <input
            id={ids.q}
            type="search"
            aria-describedby="search-keys"
            autoFocus
            placeholder="name, words, or qualifiers such as keywords:cli"
            value={s.text}
            onChange={(e) => s.setText(e.target.value)}
          />
        </div>
        <div className="filters">
          <div className="field">
            <label htmlFor={ids.scope}>Scope</label>
            <input id={ids.scope} placeholder="@team" value={s.filters.scope} onChange={(e) => s.setFilter('scope', e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.keyword}>Keyword</label>
            <input id={ids.keyword} value={s.filters.keyword} onChange={(e) => s.setFilter('keyword', e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.author}>Author</label>
            <input id={ids.author} value={s.filters.author} onChange={(e) => s.setFilter('author', e.target.value)} />
          </div>
        </div>
        <p id="search-keys" className="visually-hidden">
          Results update as you type. Down and Up arrows move through the results; Enter opens the first one.
        </p>
        <p className="hint" role="status" aria-live="polite">
          {s.loading ? 'Searching…' : s.loaded ? `${s.total} result${s.total === 1 ? '' : 's'}` : ''}
        </p>
      </div>
      {s.error && (
        <ErrorState message={s.error} action="Check the query (quotes must be closed), then retry." onRetry={() => void s.run()} />
      )}
      {s.loaded && !s.error && s.results.length === 0 && s.cached.length === 0 && (
        <Empty>
          <p>No packages match{s.text ? ` “${s.text}”` : ''}.</p>
          <p className="hint">Try fewer words, or publish a package from the Publish screen.</p>
        </Empty>
      )}
      {s.results.length > 0 && (
        <ul id="search-results" ref={listRef} className="results" aria-label="Search results">
          {s.results.map((hit, i) => (
            <li key={hit.name} className={i === active ? 'result result--active' : 'result'}>
              <a href={href({ screen: 'package', name: hit.name })} onFocus={() => setActive(i)}>
                <span className="result__name">{hit.name}</span> <span className="mono">{hit.version}</span>
              </a>
              {hit.description && <p>{hit.description}</p>}
              <p className="hint">
                {hit.keywords.length > 0 && <>keywords: {hit.keywords.join(', ')} · </>}
                {hit.author && <>by {hit.author} · </>}
                {formatDate(hit.date)}
              </p>
            </li>
          ))}
        </ul>
      )}
      {s.cached.length > 0 && (
        <section className="panel" aria-labelledby="cached-heading">
          <h2 id="cached-heading">
            Cached from upstream <span className="count">{s.cached.length}</span>
          </h2>
          <ul className="results" aria-labelledby="cached-heading">
            {s.cached.map((hit) => (
              <li key={hit.name} className="result">
                <a href={href({ screen: 'package', name: hit.name })}>
                  <span className="result__name">{hit.name}</span> {hit.latest && <span className="mono">{hit.latest}</span>}
                </a>
                <p className="hint">
                  mirrored from <span className="mono">{hit.upstream}</span> ·{' '}
                  {hit.cachedVersions.length === 0 ? 'no version cached yet' : `cached: ${hit.cachedVersions.join(', ')}`}
                </p>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

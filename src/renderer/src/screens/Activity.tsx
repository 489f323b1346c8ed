// Activity: totals, downloads per day, top packages, recent publishes.
import { useEffect } from 'react';
import { DailyChart } from '../components/DailyChart';
import { Empty, ErrorState, Loading, formatDate } from '../components/States';
import { href } from '../route';
import { useActivityStore } from '../stores/activity';

export function Activity() {
  const a = useActivityStore();
  const load = a.load;
  useEffect(() => {
    void load();
  }, [load]);
  if (!a.summary) return a.error ? <ErrorState message={a.error} onRetry={() => void load()} /> : <Loading what="activity" />;
  const s = a.summary;
  return (
    <section aria-labelledby="activity-heading">
      <h1 id="activity-heading">Activity</h1>
      <dl className="panel details">
        <dt>Packages</dt>
        <dd>{s.totals.packages}</dd>
        <dt>Versions</dt>
        <dd>{s.totals.versions}</dd>
        <dt>Downloads</dt>
        <dd>{s.totals.downloads}</dd>
        <dt>Users</dt>
        <dd>{s.totals.users}</dd>
      </dl>
      <section className="panel" aria-labelledby="daily-heading">
        <h2 id="daily-heading">Downloads, last 30 days (top packages)</h2>
        {s.daily.length === 0 ? <Empty>No downloads yet.</Empty> : <DailyChart daily={s.daily} label="Downloads" height={200} />}
      </section>
      <div className="columns columns--even">
        <section className="panel" aria-labelledby="top-heading">
          <h2 id="top-heading">Top packages</h2>
          {s.topPackages.length === 0 ? (
            <Empty>No downloads yet.</Empty>
          ) : (
            <ol>
              {s.topPackages.map((p) => (
                <li key={p.name}>
                  <a href={href({ screen: 'package', name: p.name })}>{p.name}</a> <span className="hint">{p.downloads}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
        <section className="panel" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recent publishes</h2>
          {s.recentPublishes.length === 0 ? (
            <Empty>Nothing published yet.</Empty>
          ) : (
            <ul className="plain">
              {s.recentPublishes.map((p) => (
                <li key={p.name}>
                  <a href={href({ screen: 'package', name: p.name })}>{p.name}</a> <span className="mono">{p.version}</span>{' '}
                  <span className="hint">{formatDate(p.date)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}

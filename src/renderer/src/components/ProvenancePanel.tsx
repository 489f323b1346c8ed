// A mirrored package's provenance as Shelf's policy verified it with sigstore: for each kept version, the source
// repository and workflow that built it and its transparency-log entry; for a version whose attestations failed, why.
import { usePolicyStore } from '../stores/policy';

export function ProvenancePanel({ name }: { name: string }) {
  // PolicyNotes (next to it on the page) loads the package's policy view; this reads the same answer.
  const why = usePolicyStore((s) => (s.why?.name === name ? s.why : undefined));
  if (!why) return null;
  const failed = why.items.filter((item) => item.rule === 'provenance' && item.reason.includes('its provenance does not verify'));
  if (why.provenance.length === 0 && failed.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="provenance-heading">
      <h2 id="provenance-heading">Provenance</h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`Provenance of ${name}`}>
        <table className="packages">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Source repository</th>
              <th scope="col">Workflow</th>
              <th scope="col">Log index</th>
            </tr>
          </thead>
          <tbody>
            {failed.map((item) => (
              <tr key={`failed-${item.version}`}>
                <td className="mono">{item.version}</td>
                {/* Reasons carry URLs and digests: long words that must wrap rather than widen the table. */}
                <td colSpan={4} style={{ overflowWrap: 'anywhere' }}>
                  <span className="badge">not verified</span> {item.reason}
                </td>
              </tr>
            ))}
            {why.provenance.map(({ version, summary, verifiedAt }) => (
              <tr key={version}>
                <td className="mono">{version}</td>
                <td>
                  <span className="badge" title={`verified ${verifiedAt}`}>
                    verified
                  </span>
                </td>
                <td className="mono">{summary.sourceRepository ?? '—'}</td>
                <td className="mono">
                  {summary.workflow ?? '—'}
                  {summary.ref ? ` @ ${summary.ref}` : ''}
                </td>
                <td className="mono">{summary.logIndex ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

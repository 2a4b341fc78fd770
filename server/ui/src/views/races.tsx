import { useState } from 'preact/hooks';
import type { Report } from '../api.js';
import { Empty, Load } from './load.js';

const rank = { critical: 0, warning: 1, info: 2 };

export function RaceList() {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<'severity' | 'occurrences'>('severity');
  return (
    <Load<Report> path="/api/races">
      {(report) => {
        if (report.stats.events === 0) return <Empty />;
        const needle = filter.toLowerCase();
        const races = report.races
          .filter(
            (r) =>
              !needle ||
              `${r.kind} ${r.variable} ${r.services.join(' ')} ${r.accesses.map((a) => a.location).join(' ')}`
                .toLowerCase()
                .includes(needle),
          )
          .sort((a, b) =>
            sort === 'severity'
              ? rank[a.severity] - rank[b.severity] || b.occurrences - a.occurrences
              : b.occurrences - a.occurrences,
          );
        return (
          <section>
            <div class="toolbar">
              <h1>
                {report.races.length === 0
                  ? 'No races'
                  : `${report.races.length} race${report.races.length === 1 ? '' : 's'}`}
              </h1>
              <span class="muted">
                {report.stats.events} events,{' '}
                {report.stats.accesses !== undefined ? `${report.stats.accesses} tracked accesses, ` : ''}
                {report.stats.traces} traces
              </span>
              <input
                aria-label="Filter races"
                placeholder="Filter by variable, kind, location, service"
                value={filter}
                onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
              />
              <label>
                Sort{' '}
                <select
                  value={sort}
                  onChange={(e) => setSort((e.target as HTMLSelectElement).value as 'severity' | 'occurrences')}
                >
                  <option value="severity">by severity</option>
                  <option value="occurrences">by occurrences</option>
                </select>
              </label>
            </div>
            {(report.stats.tracesNotAnalysed ?? []).map((n) => (
              <p class="card hint" key={n.service}>
                {n.dropped + n.truncated} traces were not analysed (
                {[n.dropped ? `${n.dropped} dropped whole` : '', n.truncated ? `${n.truncated} cut short` : '']
                  .filter(Boolean)
                  .join(', ')}{' '}
                by service <code>{n.service}</code> under load).
              </p>
            ))}
            {report.stats.racesNotListed ? (
              <p class="muted">{report.stats.racesNotListed} more races are not listed.</p>
            ) : null}
            {report.races.length === 0 && report.stats.accesses === 0 ? (
              <p class="card hint">
                No tracked access among {report.stats.events} events: there was nothing to find races in. Build with
                tspc and @raceway/transformer, or Babel with @raceway/babel-plugin, and mark shared state{' '}
                <code>/** @tracked */</code> (<code>raceway annotate</code> lists candidates).
              </p>
            ) : report.races.length === 0 ? (
              <p class="card">Raceway analysed every event and found no interleaving that breaks a unit of work.</p>
            ) : (
              <table class="races">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Kind</th>
                    <th>Variable</th>
                    <th>Locations</th>
                    <th>Occurrences</th>
                    <th>Services</th>
                  </tr>
                </thead>
                <tbody>
                  {races.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <span class={`badge ${r.severity}`}>{r.severity}</span>
                      </td>
                      <td>
                        <a href={`#/races/${r.id}`}>{r.kind}</a>
                        {!r.observed && <span class="muted"> (predicted)</span>}
                      </td>
                      <td>
                        <code>{r.variable}</code>
                      </td>
                      <td>
                        {[...new Set(r.accesses.map((a) => a.location))].map((l) => (
                          <div key={l}>
                            <code>{l}</code>
                          </div>
                        ))}
                      </td>
                      <td>{r.occurrences}</td>
                      <td>{r.services.join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      }}
    </Load>
  );
}

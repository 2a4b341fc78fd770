import { useState } from 'preact/hooks';
import type { TraceSummary } from '../api.js';
import { Empty, Load } from './load.js';

export function TraceList() {
  const [service, setService] = useState('');
  const [onlyRacy, setOnlyRacy] = useState(false);
  const [search, setSearch] = useState('');
  const path = `/api/traces?page=1&page_size=200${service ? `&service=${encodeURIComponent(service)}` : ''}`;
  return (
    <section>
      <div class="toolbar">
        <h1>Traces</h1>
        <input
          aria-label="Filter by service"
          placeholder="Service name"
          value={service}
          onChange={(e) => setService((e.target as HTMLInputElement).value.trim())}
        />
        <input
          aria-label="Search traces"
          placeholder="Trace id or time (e.g. 2026-11-26T10:0)"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value.trim().toLowerCase())}
        />
        <label>
          <input
            type="checkbox"
            checked={onlyRacy}
            onChange={(e) => setOnlyRacy((e.target as HTMLInputElement).checked)}
          />{' '}
          only traces with a race
        </label>
      </div>
      <Load<{ traces: TraceSummary[]; total: number }> path={path}>
        {({ traces, total }) =>
          total === 0 && !service ? (
            <Empty />
          ) : (
            <table class="traces">
              <thead>
                <tr>
                  <th>Trace</th>
                  <th>Services</th>
                  <th>Events</th>
                  <th>First seen</th>
                  <th>Race</th>
                </tr>
              </thead>
              <tbody>
                {traces
                  .filter(
                    (t) =>
                      (!onlyRacy || t.hasRace) &&
                      (!search ||
                        t.traceId.includes(search) ||
                        t.firstSeen.toLowerCase().includes(search) ||
                        t.lastSeen.toLowerCase().includes(search)),
                  )
                  .map((t) => (
                    <tr key={t.traceId}>
                      <td>
                        <a href={`#/traces/${t.traceId}`}>
                          <code>{t.traceId.slice(0, 13)}…</code>
                        </a>
                      </td>
                      <td>{t.services.join(', ')}</td>
                      <td>{t.events}</td>
                      <td>{t.firstSeen}</td>
                      <td>{t.hasRace ? <span class="badge critical">race</span> : ''}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      </Load>
    </section>
  );
}

import type { Report, Services } from '../api.js';
import { Empty, Load } from './load.js';

/** The dependency graph from propagated spans: services on a circle, edges with call counts. */
export function ServiceGraph() {
  return (
    <Load<Services> path="/api/services">
      {(data) => (
        <Load<Report> path="/api/races">
          {(report) => {
            if (data.services.length === 0) return <Empty />;
            const n = data.services.length;
            const size = 560;
            const r = n === 1 ? 0 : 180;
            const at = new Map(
              data.services.map((s, i) => [
                s.name,
                {
                  x: size / 2 + r * Math.cos((2 * Math.PI * i) / n - Math.PI / 2),
                  y: size / 2 + r * Math.sin((2 * Math.PI * i) / n - Math.PI / 2),
                },
              ]),
            );
            const races = (name: string) => report.races.filter((x) => x.services.includes(name)).length;
            return (
              <section>
                <h1>Services</h1>
                <div class="columns">
                  <div class="card">
                    <svg role="img" aria-label="Service dependency graph" width={size} height={size} class="graph">
                      <defs>
                        <marker
                          id="arrow"
                          viewBox="0 0 10 10"
                          refX="10"
                          refY="5"
                          markerWidth="8"
                          markerHeight="8"
                          orient="auto"
                        >
                          <path d="M0,0 L10,5 L0,10 z" class="arrow" />
                        </marker>
                      </defs>
                      {data.edges.map((e) => {
                        const a = at.get(e.from)!;
                        const b = at.get(e.to)!;
                        const dx = b.x - a.x;
                        const dy = b.y - a.y;
                        const len = Math.hypot(dx, dy) || 1;
                        return (
                          <g key={`${e.from}>${e.to}`}>
                            <line
                              x1={a.x + (dx / len) * 60}
                              y1={a.y + (dy / len) * 60}
                              x2={b.x - (dx / len) * 60}
                              y2={b.y - (dy / len) * 60}
                              class="edge"
                              marker-end="url(#arrow)"
                            />
                            <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 6} class="edge-label" text-anchor="middle">
                              {e.calls} call{e.calls === 1 ? '' : 's'}
                            </text>
                          </g>
                        );
                      })}
                      {data.services.map((s) => {
                        const p = at.get(s.name)!;
                        return (
                          <g key={s.name} class="node">
                            <circle cx={p.x} cy={p.y} r={58} class={races(s.name) ? 'racy' : ''} />
                            <text x={p.x} y={p.y - 2} text-anchor="middle" class="node-label">
                              {s.name}
                            </text>
                            <text x={p.x} y={p.y + 16} text-anchor="middle" class="node-sub">
                              {races(s.name)} race{races(s.name) === 1 ? '' : 's'}
                            </text>
                          </g>
                        );
                      })}
                    </svg>
                  </div>
                  <table class="card">
                    <thead>
                      <tr>
                        <th>Service</th>
                        <th>Events</th>
                        <th>Traces</th>
                        <th>Races</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.services.map((s) => (
                        <tr key={s.name}>
                          <td>{s.name}</td>
                          <td>{s.events}</td>
                          <td>{s.traces}</td>
                          <td>{races(s.name)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
            );
          }}
        </Load>
      )}
    </Load>
  );
}

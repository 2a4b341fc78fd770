import type { Race } from '../api.js';
import { Load, value } from './load.js';

/**
 * The interleaving as a timeline: one lane per unit of work (A, B: a request or traced call, which may span
 * several tasks), accesses in real order.
 */
function Timeline({ race }: { race: Race }) {
  const laneOf = (a: Race['accesses'][number]) => `${a.role}|${a.service}`;
  const lanes = [...new Map(race.accesses.map((a) => [laneOf(a), a])).values()].sort((a, b) =>
    a.role < b.role ? -1 : a.role > b.role ? 1 : a.service.localeCompare(b.service),
  );
  const tasksOf = (lane: Race['accesses'][number]) => [
    ...new Set(race.accesses.filter((a) => laneOf(a) === laneOf(lane)).map((a) => a.task)),
  ];
  const step = 150;
  const width = 180 + step * race.accesses.length;
  const laneHeight = 64;
  return (
    <svg
      class="timeline"
      role="img"
      aria-label="Interleaving timeline"
      width={width}
      height={lanes.length * laneHeight + 30}
      viewBox={`0 0 ${width} ${lanes.length * laneHeight + 30}`}
    >
      {lanes.map((lane, i) => (
        <g key={laneOf(lane)} class="lane" data-task={tasksOf(lane).join(' ')}>
          <text x={8} y={i * laneHeight + 30} class="lane-label">
            {lane.role === 'A' ? 'A' : 'B'} ·{' '}
            {lane.service.length > 18 ? `${lane.service.slice(0, 17)}…` : lane.service}
          </text>
          <text x={8} y={i * laneHeight + 46} class="lane-sub">
            {tasksOf(lane).length === 1 ? `task ${lane.task}` : `${tasksOf(lane).length} tasks`}
          </text>
          <line x1={170} x2={width - 10} y1={i * laneHeight + 36} y2={i * laneHeight + 36} class="lane-line" />
        </g>
      ))}
      {race.accesses.map((a, k) => {
        const lane = lanes.findIndex((l) => laneOf(l) === laneOf(a));
        const x = 190 + k * step;
        const y = lane * laneHeight + 36;
        return (
          <g key={k} class={`mark ${a.access}`}>
            <circle cx={x} cy={y} r={9} />
            <text x={x} y={y + 4} text-anchor="middle" class="mark-n">
              {k + 1}
            </text>
            <text x={x + 14} y={y - 12} class="mark-label">
              {a.access} {value(a.value)}
            </text>
            <text x={x + 14} y={y + 22} class="mark-loc">
              {a.location}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function RaceDetail({ id }: { id: string }) {
  return (
    <Load<Race> path={`/api/races/${id}`}>
      {(race) => (
        <section>
          <p>
            <a href="#/races">← All races</a>
          </p>
          <h1>
            <span class={`badge ${race.severity}`}>{race.severity}</span> {race.kind} on <code>{race.variable}</code>
          </h1>
          <p class="muted">
            {race.observed ? 'Observed in the recorded run' : 'Possible under another schedule'} · {race.occurrences}{' '}
            occurrence{race.occurrences === 1 ? '' : 's'}
            {race.possibleOccurrences > 0 ? ` (+${race.possibleOccurrences} possible)` : ''} · services{' '}
            {race.services.join(', ')}
          </p>
          {race.hint ? <p class="card hint">{race.hint}</p> : null}
          {race.locations.length > new Set(race.accesses.map((a) => a.location)).size ? (
            <p class="muted">
              Also at:{' '}
              {race.locations
                .filter((l) => !race.accesses.some((a) => a.location === l))
                .map((l, k) => (
                  <code key={k} class="location">
                    {l}{' '}
                  </code>
                ))}
            </p>
          ) : null}
          <div class="card scroll">
            <Timeline race={race} />
          </div>
          <h2>Steps</h2>
          <ol class="steps">
            {race.accesses.map((a, k) => (
              <li key={k}>
                <strong>[{a.role}]</strong> {a.access} <code>{a.variable}</code> = <code>{value(a.value)}</code> at{' '}
                <code class="location">{a.location}</code>{' '}
                <span class="muted">
                  task {a.task}, <a href={`#/traces/${a.traceId}`}>trace {a.traceId.slice(0, 8)}</a>, {a.service}
                </span>
              </li>
            ))}
          </ol>
          <h2>Code</h2>
          {[...new Map(race.accesses.map((a) => [a.location, a])).values()].map((a) => (
            <div class="card code" key={a.location}>
              <div class="code-title">
                <code class="location">{a.location}</code>
              </div>
              {a.source ? (
                <pre>
                  {a.source.map((l) => (
                    <div key={l.line} class={l.here ? 'here' : ''}>
                      {String(l.line).padStart(5)} | {l.text}
                    </div>
                  ))}
                </pre>
              ) : (
                <p class="muted">Source not readable by the server (start it with --root at the project).</p>
              )}
            </div>
          ))}
        </section>
      )}
    </Load>
  );
}

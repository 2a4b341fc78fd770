import { useState } from 'preact/hooks';
import type { TraceDetail as Detail, WireEvent } from '../api.js';
import { Load, value } from './load.js';

const timeOf = (e: WireEvent) => e.raceway?.time_us ?? Date.parse(e.timestamp) * 1000;
const taskOf = (e: WireEvent) => e.raceway?.task ?? e.metadata.thread_id;
const kindOf = (e: WireEvent) => Object.keys(e.kind)[0]!;

function describe(e: WireEvent): string {
  const k = kindOf(e);
  const p = e.kind[k]!;
  if (k === 'StateChange') return `${p.access_type} ${p.variable} = ${value(p.new_value)}`;
  if (k === 'FunctionCall') return `call ${p.function_name}`;
  if (k === 'HttpRequest') return `${p.method} ${p.url}`;
  if (k === 'HttpResponse') return `${p.status} in ${p.duration_ms} ms`;
  if (k === 'LockAcquire' || k === 'LockRelease') return `${k === 'LockAcquire' ? 'acquire' : 'release'} ${p.lock_id}`;
  if (k === 'Custom') return String(p.name);
  return k;
}

/** Tasks across services as bars on one time axis; parent → child edges between them. */
function TaskTimeline({
  detail,
  selected,
  onSelect,
}: {
  detail: Detail;
  selected?: string;
  onSelect(id: string): void;
}) {
  const start = Math.min(...detail.events.map(timeOf));
  const end = Math.max(...detail.events.map(timeOf), start + 1);
  const width = 900;
  const scale = (t: number) => 220 + ((t - start) / (end - start)) * (width - 240);
  const tasks = [...detail.tasks].sort((a, b) => a.service.localeCompare(b.service));
  // Cross-service edges: a service's root task names the caller's span as its upstream span.
  const spanOwner = new Map<string, string>();
  const upstreamOf = new Map<string, string>();
  for (const e of detail.events) {
    const span = e.metadata.distributed_span_id as string | undefined;
    const task = taskOf(e);
    if (span && !spanOwner.has(span)) spanOwner.set(span, task);
    const up = e.metadata.upstream_span_id as string | null | undefined;
    if (up && !upstreamOf.has(task)) upstreamOf.set(task, up);
  }
  const rows = new Map(tasks.map((t, i) => [t.task, i]));
  // What each task runs: its first traced call, else what started it (a request, a trace).
  const doing = new Map<string, string>();
  for (const e of detail.events) {
    const task = taskOf(e);
    if (doing.has(task)) continue;
    const call = e.kind.FunctionCall;
    const request = e.kind.HttpRequest;
    if (call) doing.set(task, String(call.function_name));
    else if (request) doing.set(task, `${request.method} ${request.url}`);
  }
  const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
  const spans = new Map(
    tasks.map((t) => {
      const own = detail.events.filter((e) => taskOf(e) === t.task).map(timeOf);
      return [t.task, [Math.min(...own), Math.max(...own)] as const];
    }),
  );
  return (
    <svg class="timeline" role="img" aria-label="Trace timeline" width={width} height={tasks.length * 34 + 20}>
      {tasks.map((t) => {
        const [a, b] = spans.get(t.task)!;
        const y = rows.get(t.task)! * 34 + 10;
        return (
          <g key={t.task} class="task-row" data-service={t.service}>
            <title>{`${t.service} · task ${t.task}${doing.has(t.task) ? ` · ${doing.get(t.task)}` : ''}`}</title>
            <text x={8} y={y + 11} class="lane-label">
              {clip(t.service, 30)}
            </text>
            <text x={8} y={y + 25} class="lane-sub">
              {clip(`${doing.get(t.task) ?? 'task'} · ${t.task.split('.').pop()}`, 34)}
            </text>
            <rect x={scale(a)} y={y + 2} width={Math.max(6, scale(b) - scale(a))} height={18} rx={3} class="bar" />
            {doing.has(t.task) && (
              <text x={scale(a) + 10} y={y + 15} class="bar-label">
                {clip(doing.get(t.task)!, 24)}
              </text>
            )}
            {t.parentTask && rows.has(t.parentTask) && (
              <line x1={scale(a)} x2={scale(a)} y1={rows.get(t.parentTask)! * 34 + 30} y2={y + 2} class="edge" />
            )}
            {!(t.parentTask && rows.has(t.parentTask)) &&
              upstreamOf.has(t.task) &&
              spanOwner.has(upstreamOf.get(t.task)!) &&
              rows.has(spanOwner.get(upstreamOf.get(t.task)!)!) && (
                <line
                  x1={scale(a)}
                  x2={scale(a)}
                  y1={rows.get(spanOwner.get(upstreamOf.get(t.task)!)!)! * 34 + 30}
                  y2={y + 2}
                  class="edge cross-service"
                />
              )}
          </g>
        );
      })}
      {detail.events.map((e) => (
        <circle
          key={e.id}
          tabIndex={0}
          role="button"
          aria-label={describe(e)}
          class={`dot ${selected === e.id ? 'selected' : ''} ${kindOf(e)}`}
          cx={scale(timeOf(e))}
          cy={rows.get(taskOf(e))! * 34 + 21}
          r={4}
          onClick={() => onSelect(e.id)}
          onKeyDown={(ev) => (ev.key === 'Enter' || ev.key === ' ') && onSelect(e.id)}
        />
      ))}
    </svg>
  );
}

export function TraceDetail({ id }: { id: string }) {
  const [selected, setSelected] = useState<string>();
  return (
    <Load<Detail> path={`/api/traces/${id}`}>
      {(detail) => {
        const event = detail.events.find((e) => e.id === selected);
        const services = [...new Set(detail.tasks.map((t) => t.service))];
        return (
          <section>
            <p>
              <a href="#/traces">← All traces</a>
            </p>
            <h1>
              Trace <code>{detail.traceId}</code>
            </h1>
            <p class="muted">
              {detail.events.length} events · {detail.tasks.length} tasks · services{' '}
              <span class="services">{services.join(', ')}</span>
              {detail.races.length > 0 && (
                <>
                  {' '}
                  · <a href={`#/races/${detail.races[0]!.id}`}>{detail.races.length} race(s)</a>
                </>
              )}
            </p>
            <div class="card scroll">
              <TaskTimeline detail={detail} selected={selected} onSelect={setSelected} />
            </div>
            <div class="columns">
              <div class="card">
                <h2>Events</h2>
                <ol class="events">
                  {detail.events.map((e) => (
                    <li key={e.id}>
                      <button class={`link ${selected === e.id ? 'selected' : ''}`} onClick={() => setSelected(e.id)}>
                        <span class="muted">{e.metadata.service_name}</span> {describe(e)}
                      </button>
                    </li>
                  ))}
                </ol>
              </div>
              <div class="card">
                <h2>Inspector</h2>
                {event ? (
                  <dl class="inspector">
                    <dt>Kind</dt>
                    <dd>{kindOf(event)}</dd>
                    <dt>Service / task</dt>
                    <dd>
                      {event.metadata.service_name} / {taskOf(event)}
                    </dd>
                    <dt>Location</dt>
                    <dd>
                      <code>
                        {String(event.kind[kindOf(event)]!.location ?? event.kind[kindOf(event)]!.file ?? '—')}
                      </code>
                    </dd>
                    <dt>Values</dt>
                    <dd>
                      <code>{value(event.kind[kindOf(event)]!.old_value)}</code> →{' '}
                      <code>{value(event.kind[kindOf(event)]!.new_value)}</code>
                    </dd>
                    <dt>Segment</dt>
                    <dd>{event.raceway?.segment ?? '—'}</dd>
                    <dt>Vector clock</dt>
                    <dd>
                      <code>{event.causality_vector.map(([c, n]) => `${c}:${n}`).join(' ')}</code>
                    </dd>
                    <dt>Locks held</dt>
                    <dd>{event.lock_set.join(', ') || 'none'}</dd>
                  </dl>
                ) : (
                  <p class="muted">Select an event in the timeline or the list.</p>
                )}
                <h2>Audit trails</h2>
                {Object.entries(detail.auditTrails).map(([variable, trail]) => (
                  <details key={variable}>
                    <summary>
                      <code>{variable}</code> ({trail.length})
                    </summary>
                    <ol>
                      {trail.map((t) => (
                        <li key={t.eventId}>
                          {t.access} = <code>{value(t.value)}</code> at <code>{t.location}</code>{' '}
                          <span class="muted">({t.service})</span>
                        </li>
                      ))}
                    </ol>
                  </details>
                ))}
              </div>
            </div>
          </section>
        );
      }}
    </Load>
  );
}

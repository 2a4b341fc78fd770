/**
 * A recorded value in a line of at most `max` characters, cut between entries, never inside one: Maps and
 * Sets as the SDK captures them (`{"[Map]": [[k, v], …]}`) read as `Map(2) {blue-mug → 1200, red-mug → 800}`,
 * and what does not fit ends in `…` with the number of entries left out.
 */
export function formatValue(v: unknown, max = 48): string {
  return render(v, max);
}

function render(v: unknown, budget: number): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return clip(JSON.stringify(v) ?? String(v), budget);
  if (Array.isArray(v))
    return list(
      '[',
      ']',
      v.map((item) => (room: number) => render(item, room)),
      budget,
    );
  const record = v as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && (keys[0] === '[Map]' || keys[0] === '[Set]') && Array.isArray(record[keys[0]])) {
    const entries = record[keys[0]] as unknown[];
    const isMap = keys[0] === '[Map]';
    const parts = entries.map(
      (entry) => (room: number) =>
        isMap && Array.isArray(entry) && entry.length === 2
          ? `${key(entry[0], room)} → ${render(entry[1], room)}`
          : render(entry, room),
    );
    return list(`${isMap ? 'Map' : 'Set'}(${entries.length}) {`, '}', parts, budget);
  }
  return list(
    '{',
    '}',
    keys.map(
      (k) => (room: number) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${render(record[k], room)}`,
    ),
    budget,
  );
}

/** A Map key: strings without quotes when they read unambiguously. */
function key(k: unknown, room: number): string {
  return typeof k === 'string' && /^[\w.-]+$/.test(k) ? clip(k, room) : render(k, room);
}

function list(open: string, close: string, parts: Array<(room: number) => string>, budget: number): string {
  const tail = (i: number) => `${i === 0 ? '' : ', '}…+${parts.length - i}${close}`;
  let text = open;
  for (let i = 0; i < parts.length; i++) {
    const sep = i === 0 ? '' : ', ';
    const last = i === parts.length - 1;
    // Room for this entry and, unless it is the last, for the tail that counts what follows.
    const room = budget - text.length - sep.length - (last ? close.length : tail(i + 1).length);
    const part = room > 3 ? parts[i]!(room) : '';
    if (part === '' || part.length > room) return text + tail(i);
    text += sep + part;
  }
  return text + close;
}

function clip(text: string, budget: number): string {
  return text.length <= budget ? text : `${text.slice(0, Math.max(1, budget - 1))}…`;
}

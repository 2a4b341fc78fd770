import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, NeedsKey } from '../api.js';
import { KeyPrompt } from './key-prompt.js';

/** Fetches `path` and renders `children(data)`, with loading, error and API-key states. */
export function Load<T>({ path, children }: { path: string; children: (data: T) => ComponentChildren }) {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  useEffect(() => {
    let live = true;
    setState({});
    api<T>(path).then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  if (state.error instanceof NeedsKey) return <KeyPrompt />;
  if (state.error)
    return (
      <p class="error">
        Could not load {path}: {String((state.error as Error).message ?? state.error)}
      </p>
    );
  if (state.data === undefined)
    return (
      <p class="muted" aria-busy="true">
        Loading…
      </p>
    );
  return <>{children(state.data)}</>;
}

export function Empty() {
  return (
    <div class="card empty">
      <h2>Nothing recorded yet</h2>
      <p>
        Point an instrumented app at this server (<code>RACEWAY_ENDPOINT={location.origin}</code>) and send it some
        traffic, or run the demo: <code>npm run demo</code>.
      </p>
    </div>
  );
}

export { formatValue as value } from './format-value.js';

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { RaceDetail } from './views/race-detail.js';
import { RaceList } from './views/races.js';
import { ServiceGraph } from './views/services.js';
import { TraceDetail } from './views/trace-detail.js';
import { TraceList } from './views/traces.js';

function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'races').split('/');
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function App() {
  const [view, id] = useRoute();
  const tab = (name: string, label: string) => (
    <a
      href={`#/${name}`}
      class={view === name ? 'tab active' : 'tab'}
      aria-current={view === name ? 'page' : undefined}
    >
      {label}
    </a>
  );
  return (
    <>
      <header>
        <span class="brand">Raceway</span>
        <nav>
          {tab('races', 'Races')}
          {tab('traces', 'Traces')}
          {tab('services', 'Services')}
        </nav>
      </header>
      <main>
        {view === 'races' && !id && <RaceList />}
        {view === 'races' && id && <RaceDetail id={id} />}
        {view === 'traces' && !id && <TraceList />}
        {view === 'traces' && id && <TraceDetail id={id} />}
        {view === 'services' && <ServiceGraph />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

// The audit viewer's page: a search with a timeline and metrics, and a record view with its chain
// position, verification, trace and proof. Data comes from the viewer's own API (api.ts).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, type Session } from './api';
import { RecordPage } from './record';
import { parseRoute, type Route } from './route';
import { SearchPage } from './search';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    on(); // the address may have changed between the first render and this effect
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useRoute();
  useEffect(() => {
    get<Session>('/api/session').then(setSession, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) location.assign('/');
      else setError(String((err as Error).message));
    });
  }, []);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!session) return <p class="loading">Loading…</p>;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">Audit viewer</a>
        <span class="who" data-testid="who">
          {session.identity} · {session.tenant === null ? 'all tenants' : `tenant ${session.tenant}`}
        </span>
        <form method="post" action="/logout" class="logout">
          <button type="submit">Log out</button>
        </form>
      </header>
      <main>{route.page === 'record' ? <RecordPage uid={route.uid} session={session} /> : <SearchPage session={session} filters={route.filters} offset={route.offset} />}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

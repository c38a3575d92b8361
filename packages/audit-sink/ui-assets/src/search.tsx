// The search: filters (kept in the address), a timeline of decisions per outcome, the cache and
// rule metrics, a table of records with paging, and exports of the whole search.
import { useEffect, useState } from 'preact/hooks';
import { filterQuery, get, type Filters, type FilterName, type SearchResult, type Session } from './api';
import { outcomeClass, show, utc } from './format';
import { MetricsPanel } from './metrics';
import { recordHash, searchHash } from './route';
import { TimelineChart } from './timeline';

const PAGE = 50;

const TEXT_FIELDS: [FilterName, string, string][] = [
  ['user', 'User', 'user id'],
  ['tenant', 'Tenant', 'tenant id'],
  ['manager', 'Manager', 'e.g. InvoiceManager'],
  ['entity', 'Entity', 'entity id'],
  ['action', 'Action', 'e.g. update'],
  ['service', 'Service', 'service.name'],
  ['trace', 'Trace id', '32 hex digits'],
  ['uid', 'Record uid', 'log.record.uid'],
];

function SearchForm({ session, filters }: { session: Session; filters: Filters }) {
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [JSON.stringify(filters)]);
  const set = (k: FilterName | 'order') => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    location.hash = searchHash(draft);
  };
  return (
    <form class="filters" onSubmit={submit} data-testid="search-form">
      {TEXT_FIELDS.map(([k, label, hint]) => (
        <label key={k}>
          {label}
          <input
            name={k}
            value={k === 'tenant' && session.tenant !== null ? session.tenant : (draft[k] ?? '')}
            placeholder={hint}
            disabled={k === 'tenant' && session.tenant !== null}
            onInput={set(k)}
          />
        </label>
      ))}
      <label>
        Outcome
        <select name="outcome" value={draft.outcome ?? ''} onChange={set('outcome')}>
          <option value="">any</option>
          <option value="granted">granted</option>
          <option value="denied">denied</option>
          <option value="bypassed">bypassed</option>
          <option value="success">success (mutation)</option>
          <option value="failure">failure (mutation)</option>
        </select>
      </label>
      <label>
        Event
        <select name="event" value={draft.event ?? ''} onChange={set('event')}>
          <option value="">decisions and mutations</option>
          <option value="domain.audit.decision">decisions</option>
          <option value="domain.manager.mutation">mutations</option>
          {session.tenant === null && <option value="domain.audit.access">access to the audit log</option>}
        </select>
      </label>
      <label>
        From (UTC)
        <input name="from" type="datetime-local" step="1" value={draft.from ?? ''} onInput={set('from')} />
      </label>
      <label>
        To (UTC)
        <input name="to" type="datetime-local" step="1" value={draft.to ?? ''} onInput={set('to')} />
      </label>
      <label>
        Order
        <select name="order" value={draft.order ?? 'desc'} onChange={set('order')}>
          <option value="desc">newest first</option>
          <option value="asc">oldest first</option>
        </select>
      </label>
      <div class="actions">
        <button type="submit">Search</button>
        <button type="button" class="secondary" onClick={() => (location.hash = '#/')}>Clear</button>
      </div>
    </form>
  );
}

/** The page of results for these filters; an answer to a search the user has since replaced is dropped (answers can arrive out of order). */
function useSearch(filters: Filters, offset: number): { result: SearchResult | null; shownFor: string; error: string | null } {
  const [result, setResult] = useState<SearchResult | null>(null);
  const [shownFor, setShownFor] = useState('');
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([filters, offset]);
  useEffect(() => {
    let current = true;
    const hash = location.hash;
    setError(null);
    const q = filterQuery(filters);
    q.set('offset', String(offset));
    q.set('limit', String(PAGE));
    get<SearchResult>(`/api/search?${q}`).then((r) => {
      if (!current) return;
      setResult(r);
      setShownFor(hash);
    }, (err: Error) => {
      if (!current) return;
      setResult(null);
      setError(err.message);
    });
    return () => {
      current = false;
    };
  }, [key]);
  return { result, shownFor, error };
}

function ResultsHead({ result, shownFor, filters }: { result: SearchResult; shownFor: string; filters: Filters }) {
  const exportQuery = filterQuery(filters);
  const exportHref = (format: string) => `/api/export?${new URLSearchParams([...exportQuery, ['format', format]])}`;
  return (
    <div class="results-head">
      <span data-testid="result-count" data-for={shownFor}>
        {result.rows.length === 0
          ? 'No records match.'
          : `Records ${result.offset + 1}–${result.offset + result.rows.length} of ${result.total}${result.totalCapped ? '+' : ''}`}
      </span>
      <span class="exports">
        Export this search: <a href={exportHref('csv')} download data-testid="export-csv">CSV</a>{' '}
        <a href={exportHref('ndjson')} download data-testid="export-ndjson">NDJSON</a>
      </span>
    </div>
  );
}

function ResultsTable({ rows }: { rows: SearchResult['rows'] }) {
  return (
    <table class="records" data-testid="results">
      <thead>
        <tr>
          <th>Time (UTC)</th><th>Event</th><th>Action</th><th>Outcome</th><th>Manager</th><th>Entity</th>
          <th>User</th><th>Tenant</th><th>Service</th><th>Trace</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.uid} class={r.outcome === 'denied' ? 'denied' : ''} data-uid={r.uid}>
            <td><a href={recordHash(r.uid)}>{utc(r.time)}</a></td>
            <td>{r.event_name.replace(/^domain\./, '')}</td>
            <td>{show(r.action)}</td>
            <td><span class={outcomeClass(r.outcome)}>{show(r.outcome)}</span></td>
            <td>{show(r.manager)}</td>
            <td>{show(r.entity_id)}</td>
            <td>{show(r.user_id)}</td>
            <td>{show(r.tenant_id)}</td>
            <td>{show(r.service)}</td>
            <td class="mono">{r.trace_id ? r.trace_id.slice(0, 8) + '…' : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Pager({ result, filters }: { result: SearchResult; filters: Filters }) {
  return (
    <nav class="pager">
      <button disabled={result.offset === 0} onClick={() => (location.hash = searchHash(filters, Math.max(0, result.offset - PAGE)))}>
        ← Previous page
      </button>
      <button
        disabled={result.offset + result.rows.length >= result.total && !result.totalCapped}
        onClick={() => (location.hash = searchHash(filters, result.offset + PAGE))}
        data-testid="next-page"
      >
        Next page →
      </button>
    </nav>
  );
}

export function SearchPage({ session, filters, offset }: { session: Session; filters: Filters; offset: number }) {
  const { result, shownFor, error } = useSearch(filters, offset);
  const range = result && result.timeline.buckets.length
    ? { from: result.timeline.buckets[0]!, to: result.timeline.buckets.at(-1)! + result.timeline.bucketSeconds }
    : null;
  return (
    <>
      <SearchForm session={session} filters={filters} />
      {error && <p class="error" role="alert" data-testid="search-error">{error}</p>}
      {result && (
        <>
          <section class="panels">
            <div class="panel">
              <h2>Decisions over time</h2>
              <TimelineChart timeline={result.timeline} />
            </div>
            {range && <MetricsPanel from={range.from} to={range.to} />}
          </section>
          <section class="results">
            <ResultsHead result={result} shownFor={shownFor} filters={filters} />
            <ResultsTable rows={result.rows} />
            <Pager result={result} filters={filters} />
          </section>
        </>
      )}
    </>
  );
}

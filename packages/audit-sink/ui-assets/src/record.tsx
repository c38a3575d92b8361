// One record: what it says (changes old → new, redacted fields marked), where it sits in its hash
// chain, whether that chain verifies up to it and a signed checkpoint covers it, its request trace,
// and its inclusion proof.
import { useEffect, useState } from 'preact/hooks';
import { get, type RecordDetail, type Session, type TraceLookup, type Verification } from './api';
import { REDACTED, outcomeClass, show, utc } from './format';
import { searchHash } from './route';
import { Waterfall } from './waterfall';

function Value({ v }: { v: unknown }) {
  if (v === REDACTED) return <span class="redacted" title="removed by redaction before it left the application">redacted</span>;
  return <span class="mono">{show(v)}</span>;
}

function Changes({ changes }: { changes: Record<string, unknown> }) {
  const entries = Object.entries(changes);
  return (
    <table class="compact changes" data-testid="changes">
      <thead><tr><th>Field</th><th>Old</th><th></th><th>New</th></tr></thead>
      <tbody>
        {entries.map(([field, c]) => {
          const oc = (c ?? {}) as { old?: unknown; new?: unknown };
          const redacted = oc.old === REDACTED || oc.new === REDACTED;
          return (
            <tr key={field} class={redacted ? 'is-redacted' : ''} data-field={field}>
              <td class="mono">{field}</td>
              <td><Value v={oc.old} /></td>
              <td>→</td>
              <td><Value v={oc.new} /></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function VerificationView({ v }: { v: Verification | string | null }) {
  if (v === null) return <p class="muted">Verifying the chain…</p>;
  if (typeof v === 'string') return <p class="error">{v}</p>;
  const cp = v.checkpoints;
  return (
    <ul class="checks" data-testid="verification">
      <li class={v.chainOk ? 'ok' : 'bad'}>
        {v.chainOk
          ? `Chain verified from its genesis hash to seq ${v.verifiedTo} (${v.rowsChecked} rows recomputed), this record included.`
          : `Chain BROKEN: ${v.problem ?? 'not verified'}`}
      </li>
      {!cp.configured && <li class="muted">No signed checkpoints configured (start the viewer with --checkpoints DIR --pubkey KEY).</li>}
      {cp.configured && cp.covered && (
        <li class={cp.covered.headMatches ? 'ok' : 'bad'}>
          {cp.covered.headMatches
            ? `Covered by signed checkpoint ${cp.covered.number} (${cp.covered.signer}, ${cp.covered.time}, ${cp.covered.treeSize} rows): its head for this chain, seq ${cp.covered.headSeq}, matches the database.`
            : `Checkpoint ${cp.covered.number} signed seq ${cp.covered.headSeq} of this chain with a hash the database no longer has.`}
        </li>
      )}
      {cp.configured && !cp.covered && <li class="warn">Not covered by a signed checkpoint yet{cp.note ? `: ${cp.note}` : ''}.</li>}
      {cp.configured && cp.covered && cp.note && <li class="warn">{cp.note}</li>}
    </ul>
  );
}

function TraceView({ t, session }: { t: TraceLookup | null; session: Session }) {
  if (t === null) return <p class="muted">Asking Jaeger…</p>;
  const links = (
    <p class="links">
      {t.uiUrl && <a href={t.uiUrl} target="_blank" rel="noopener noreferrer" data-testid="jaeger-link">Open in Jaeger</a>}
      {t.apiUrl && <> · <a href={t.apiUrl} target="_blank" rel="noopener noreferrer">Jaeger API (JSON)</a></>}
    </p>
  );
  if (t.status !== 'ok') return <><p class={t.status === 'unreachable' ? 'warn' : 'muted'} data-testid="trace-message">{t.message}</p>{session.jaeger && links}</>;
  return <>{links}<Waterfall spans={t.spans} recordSpanId={t.recordSpanId} />{t.truncated && <p class="muted">Only the first spans are drawn.</p>}</>;
}

/** The record, then (once it is known) its verification and its trace, each asked for on its own. */
function useRecord(uid: string) {
  const [d, setD] = useState<RecordDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verification, setVerification] = useState<Verification | string | null>(null);
  const [trace, setTrace] = useState<TraceLookup | null>(null);
  useEffect(() => {
    setD(null);
    setError(null);
    setVerification(null);
    setTrace(null);
    const q = new URLSearchParams({ uid });
    get<RecordDetail>(`/api/record?${q}`).then((detail) => {
      setD(detail);
      get<Verification>(`/api/record/verification?${q}`).then(setVerification, (err: Error) => setVerification(err.message));
      get<TraceLookup>(`/api/record/trace?${q}`).then(setTrace, (err: Error) => setTrace({ status: 'unreachable', message: err.message, recordSpanId: null }));
    }, (err: Error) => setError(err.message));
  }, [uid]);
  return { d, error, verification, trace };
}

function BackLink() {
  return (
    <p>
      <a href={searchHash({})} onClick={(e) => { if (history.length > 1) { e.preventDefault(); history.back(); } }}>← Back to the search</a>
    </p>
  );
}

function Fields({ r }: { r: RecordDetail['row'] }) {
  return (
    <div class="panel">
      <h2>Who, what, when</h2>
      <dl class="kv" data-testid="record-fields">
        <dt>Time (UTC)</dt><dd>{utc(r.time)} <span class="muted mono">{r.time}</span></dd>
        <dt>User</dt><dd>{show(r.user_id)}</dd>
        <dt>Tenant</dt><dd>{show(r.tenant_id)}</dd>
        <dt>Action</dt><dd>{show(r.action)}</dd>
        <dt>Manager</dt><dd>{show(r.manager)}</dd>
        <dt>Entity</dt><dd>{show(r.entity_id)}</dd>
        <dt>Service</dt><dd>{show(r.service)}</dd>
        <dt>Trace / span</dt><dd class="mono">{show(r.trace_id)} / {show(r.span_id)}</dd>
        <dt>Uid</dt><dd class="mono">{r.uid}{r.uid_generated ? ' (derived from the content)' : ''}</dd>
        <dt>Received</dt><dd>{r.received_at}</dd>
      </dl>
    </div>
  );
}

function Position({ d, uid, verification }: { d: RecordDetail; uid: string; verification: Verification | string | null }) {
  return (
    <div class="panel">
      <h2>Chain position and proof</h2>
      <dl class="kv mono-values" data-testid="position">
        <dt>Chain</dt><dd>{d.position.chain}</dd>
        <dt>Seq</dt><dd>{d.position.seq}</dd>
        <dt>Row hash</dt><dd>{d.position.row_hash}</dd>
        <dt>Prev hash</dt><dd>{d.position.prev_hash}</dd>
        <dt>Content hash</dt><dd>{d.position.content_hash}</dd>
      </dl>
      <VerificationView v={verification} />
      {d.proofAvailable ? (
        <p><a class="button" href={`/api/record/proof?${new URLSearchParams({ uid })}`} download data-testid="download-proof">Download inclusion proof</a>{' '}
          <span class="muted">check it offline: domain-otel-audit verify-proof FILE --pubkey KEY</span></p>
      ) : (
        <p class="muted">Proofs need signed checkpoints (viewer started with --checkpoints).</p>
      )}
    </div>
  );
}

function Attributes({ record }: { record: RecordDetail['row']['record'] }) {
  const rest = Object.entries(record.attributes ?? {}).filter(([k]) => k !== 'domain.mutation.changes').sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <section class="panel">
      <h2>Attributes</h2>
      <table class="compact" data-testid="attributes">
        <tbody>
          {rest.map(([k, v]) => (
            <tr key={k}><td class="mono">{k}</td><td><Value v={v} /></td></tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>The whole stored record (JSON)</summary>
        <pre class="json">{JSON.stringify(record, null, 2)}</pre>
      </details>
    </section>
  );
}

export function RecordPage({ uid, session }: { uid: string; session: Session }) {
  const { d, error, verification, trace } = useRecord(uid);
  if (error) return <><BackLink /><p class="error" role="alert" data-testid="record-error">{error}</p></>;
  if (!d) return <p class="loading">Loading the record…</p>;
  const r = d.row;
  const changes = (r.record.attributes ?? {})['domain.mutation.changes'];
  return (
    <article class="record" data-testid="record">
      <BackLink />
      <h1>
        {r.event_name} <span class={outcomeClass(r.outcome)}>{show(r.outcome)}</span>
      </h1>
      <p class="lead" data-testid="record-body">{show(r.record.body)}</p>
      <section class="grid2">
        <Fields r={r} />
        <Position d={d} uid={uid} verification={verification} />
      </section>
      {changes !== undefined && changes !== null && typeof changes === 'object' && (
        <section class="panel">
          <h2>Changes (old → new)</h2>
          <Changes changes={changes as Record<string, unknown>} />
        </section>
      )}
      <section class="panel">
        <h2>Request trace</h2>
        <TraceView t={trace} session={session} />
      </section>
      <Attributes record={r.record} />
    </article>
  );
}

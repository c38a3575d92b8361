// Scenario 13: large audit records (4–8 KB each) at volume, through the real collector into the
// real sink. They reach the collector in requests of 3,000 (an app with a large export batch)
// while the sink is stopped, so they wait in the collector's disk queue. With batches counted in
// records (up to 4,096), a 3,000-record request stayed one batch of ~18 MB, above the sink's
// 16 MiB limit: the sink answered 413 and the collector dropped it (6,000 of 8,000 lost on the old
// configuration). Batches bounded in bytes are split below the limit and all arrive.
import assert from 'node:assert/strict';
import { decision, exportWith, sdkRecords } from '../../packages/audit-sink/test/helpers/otlp-client';
import { note, report, sleep, stack, uniqueTag, waitFor } from './harness';

const N = Number(process.env.FAULTS_S13_RECORDS ?? 8000);

/** 4–8 KB of text that gzip cannot shrink to nothing (the sink's limit is on decompressed bytes anyway). */
function payload(i: number): string {
  const size = 4000 + ((i * 2654435761) % 4000);
  let s = '';
  let x = i + 1;
  while (s.length < size) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += x.toString(36);
  }
  return s.slice(0, size);
}

describe('faults 13: large audit records through the collector', function () {
  this.timeout(15 * 60_000);

  it(`${N} audit records of 4–8 KB queued while the sink is down, then delivered: none lost, none twice, no 413`, async () => {
    const s = await stack();
    const tag = uniqueTag('s13');
    const specs = Array.from({ length: N }, (_, i) => decision({
      'domain.manager.name': tag,
      'domain.entity.id': String(i),
      'domain.audit.reason': payload(i),
    }));
    const recs = await sdkRecords(specs);
    const bytes = specs.reduce((n, x) => n + String((x.attributes as Record<string, unknown>)['domain.audit.reason']).length, 0);

    await s.sink.stop();
    let acknowledged = 0;
    const PER_REQUEST = 3000;
    for (let i = 0; i < N; i += PER_REQUEST) {
      const r = await exportWith('proto', `${s.otlpHttp}/v1/logs`, recs.slice(i, i + PER_REQUEST), { token: null, compression: 'gzip' });
      assert.equal(r.code, 0, `export to the collector: ${r.error?.message}`);
      acknowledged += Math.min(PER_REQUEST, N - i);
    }
    // everything is in the collector's disk queue before the sink comes back
    await waitFor('the audit queue to hold every record', async () => ((await s.auditQueueSize()) ?? 0) >= N ? true : undefined, 60_000, 250);
    const queued = await s.auditQueueSize();
    const sink = await s.startSink();
    const c = await s.settle(tag, N, { timeoutMs: 300_000, quietMs: 60_000 });
    await sleep(1000);
    // the sink's own count of answers, printed when it stops
    await sink.stop();
    const stopLine = /responses ([^\n]*)/.exec(sink.stderr)?.[1] ?? '';
    await s.startSink();
    const collectorLog = s.collector.log();
    // a batch dropped after a permanent error (a 413 among them) is logged as such; a bare /413/
    // also matched ids and timestamps in unrelated lines
    const permanent = collectorLog.split('\n').filter((l) => /Permanent error|Dropping data/.test(l)).length;
    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;
    note('scenario13', { records: N, payloadBytes: bytes, queuedBeforeSinkStart: queued, sinkResponses: stopLine, collectorPermanentErrors: permanent });
    report({
      scenario: '13 large audit records (4–8 KB) queued, then delivered in byte-bounded batches',
      sent: N, acknowledged, stored: c.entities, lost, duplicated,
      result: lost === 0 && duplicated === 0 && !/413/.test(stopLine) && permanent === 0 ? 'pass' : 'FAIL',
      notes: `${(bytes / 1e6).toFixed(0)} MB of record payload; ${queued} records in the collector's disk queue when the sink started; sink responses ${stopLine}; ${permanent} permanent errors in the collector log`,
    });
    assert.equal(lost, 0, `lost ${lost}`);
    assert.equal(duplicated, 0);
    assert.equal(c.rows, c.uids);
    assert.doesNotMatch(stopLine, /413/, 'no batch refused as too large');
    assert.equal(permanent, 0, 'no batch dropped by the collector');
  });
});

// The sink observes itself: `serve --metrics-port` serves Prometheus metrics, and with an OTLP
// endpoint it sends the same metrics and a trace per request. A load test sends known records
// (new, replayed, conflicting, outside the time window, not audit records, bad requests) and
// the scraped counts must be exactly what was sent.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';
import { assertExported, decision, exportWith, postRecords, sdkRecords } from './helpers/otlp-client';
import { TOKEN } from './helpers/sink-fixture';

const CLI = join(__dirname, '..', 'src', 'cli.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Prometheus text → { 'name{label="v",…}': value } (labels sorted). */
function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/g)?.sort().join(',') ?? '';
    out.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return out;
}

/** Sum of every series of a metric whose labels include all of `where`. */
function total(samples: Map<string, number>, name: string, where: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples) {
    const [metric, labels = ''] = key.split('{');
    if (metric !== name) continue;
    if (Object.entries(where).every(([k, v]) => labels.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

describe('audit sink: its own metrics and traces', function () {
  this.timeout(180_000);
  let pg: ThrowawayPostgres;
  let receiver: OtlpReceiver;
  let tmp: string;
  let child: ChildProcess | undefined;

  before(async () => {
    pg = await startThrowawayPostgres();
    tmp = mkdtempSync(join(tmpdir(), 'audit-self-telemetry-'));
    receiver = await new OtlpReceiver().start();
  });
  after(async () => {
    child?.kill('SIGKILL');
    await receiver?.stop();
    await pg?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a load test: the metrics scraped from the Prometheus endpoint (and sent over OTLP) count exactly what was sent', async () => {
    const adminUrl = await pg.createDatabase('selftel');
    const io = { out: () => {}, err: () => {}, env: {} };
    assert.equal(await runCli(['migrate', '--database-url', adminUrl, '--writer-login', 'sink'], io), 0);
    assert.equal(await runCli(['keygen', '--name', 'audit.test/selftel', '--out', join(tmp, 'key')], io), 0);
    const metricsPort = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--workers', '2', '--pool-size', '4',
      '--metrics-port', String(metricsPort), '--checkpoint-every', '1s', '--checkpoint-dir', join(tmp, 'cp'), '--checkpoint-key', join(tmp, 'key')], {
      env: {
        ...process.env,
        DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN,
        DOMAIN_OTEL_AUDIT_DATABASE_URL: pg.connectionString('selftel', 'sink'),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_SERVICE_NAME: 'audit-sink-under-test',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
      child!.stderr!.on('data', (d) => {
        stderr += d;
        const m = /listening on (\S+)/.exec(stderr);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      });
      child!.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    assert.match(stderr, new RegExp(`own metrics on http://127\\.0\\.0\\.1:${metricsPort}/metrics`));

    // The load: 40 requests of 25 new decisions each, 10 at a time.
    const REQUESTS = 40;
    const PER_REQUEST = 25;
    const batches = await Promise.all(Array.from({ length: REQUESTS }, () => sdkRecords(Array.from({ length: PER_REQUEST }, () => decision()))));
    for (let i = 0; i < REQUESTS; i += 10) {
      await Promise.all(batches.slice(i, i + 10).map(async (b) => assertExported(await exportWith('proto', url, b))));
    }
    // 3 requests sent again: every record a duplicate.
    for (const b of batches.slice(0, 3)) assertExported(await exportWith('proto', url, b));
    // One request: a new record, a replay of a stored uid with other content, one outside the
    // time window (2001), and two records that are not audit records.
    const storedUid = String(batches[5]![0]!.attributes['log.record.uid']);
    const mixed = await sdkRecords([
      decision(),
      decision({ 'log.record.uid': storedUid, 'domain.audit.outcome': 'denied' }),
      decision({}, { timestamp: new Date('2001-01-01T00:00:00Z') }),
      { eventName: 'app.log', body: 'not audit' },
      { eventName: 'app.log', body: 'not audit either' },
    ]);
    const partial = await postRecords(url, mixed);
    assert.equal(partial.status, 200);
    // Refused requests: a wrong token (401) and a body that is not protobuf (400).
    assert.equal((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong', 'content-type': 'application/x-protobuf' }, body: 'x' })).status, 401);
    assert.equal((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-protobuf' }, body: Buffer.from([0xff, 0xff, 0xff]) })).status, 400);

    const scrape = async () => parseProm(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    const m = await scrape();
    const records = 'domain_otel_audit_sink_records_total';
    const stored = REQUESTS * PER_REQUEST + 1;
    assert.equal(total(m, records, { outcome: 'stored' }), stored);
    assert.equal(total(m, records, { outcome: 'duplicate' }), 3 * PER_REQUEST);
    assert.equal(total(m, records, { outcome: 'conflict' }), 1);
    assert.equal(total(m, records, { outcome: 'refused', reason: 'time_window' }), 1);
    assert.equal(total(m, records, { outcome: 'refused' }), 1);
    assert.equal(total(m, records, { outcome: 'ignored' }), 2);
    assert.equal(total(m, 'domain_otel_audit_sink_records_received_total'), stored + 3 * PER_REQUEST + 2);
    const requests = 'http_server_request_duration_count';
    assert.equal(total(m, requests, { http_response_status_code: '200', http_route: '/v1/logs' }), REQUESTS + 3 + 1);
    assert.equal(total(m, requests, { http_response_status_code: '401' }), 1);
    assert.equal(total(m, requests, { http_response_status_code: '400' }), 1);
    assert.equal(total(m, requests, { http_response_status_code: '503' }), 0);
    // Every stored request committed (replays too: their uids are looked up in the transaction);
    // those that wrote rows took a chain lock and copied.
    assert.equal(total(m, 'domain_otel_audit_sink_commit_duration_count'), REQUESTS + 3 + 1);
    assert.ok(total(m, 'domain_otel_audit_sink_copy_duration_count') >= REQUESTS + 1);
    assert.ok(total(m, 'domain_otel_audit_sink_chain_lock_wait_count') >= REQUESTS + 1);
    assert.equal(total(m, 'db_client_connection_max'), 4);
    assert.ok(m.has('db_client_connection_count{db_client_connection_pool_name="audit-sink",db_client_connection_state="idle"}'), [...m.keys()].join('\n'));
    assert.equal(total(m, 'db_client_connection_pending_requests'), 0);
    assert.equal(total(m, 'domain_otel_audit_sink_worker_restarts_total'), 0);
    assert.equal(total(m, 'domain_otel_audit_sink_requests_inflight'), 0);
    const age = total(m, 'domain_otel_audit_sink_checkpoint_age');
    assert.ok(m.has('domain_otel_audit_sink_checkpoint_age') && age >= 0 && age < 30, `checkpoint age ${age}`);

    // The same counts over OTLP, and a trace per request with its decode and store phases.
    await receiver.waitFor(() => {
      const points = receiver.metrics.filter((x) => x.name === 'domain_otel.audit_sink.records').flatMap((x) => x.points);
      return points.some((p) => p.attributes.outcome === 'stored' && Number(p.value) === stored);
    }, 20_000, 'the stored count over OTLP');
    await receiver.waitFor(() => receiver.spans.filter((s) => s.name === 'POST /v1/logs').length >= REQUESTS, 20_000, 'request spans');
    const server = receiver.spans.find((s) => s.name === 'POST /v1/logs' && s.attributes['http.response.status_code'] === 200)!;
    assert.equal(server.resource['service.name'], 'audit-sink-under-test');
    assert.equal(server.kind, 2, 'SERVER');
    await receiver.waitFor(() => ['decode', 'store'].every((n) => receiver.spans.some((s) => s.name === n && s.parentSpanId === server.spanId)), 10_000, 'decode and store under a request span');
    const failed = receiver.spans.find((s) => s.name === 'POST /v1/logs' && s.attributes['http.response.status_code'] === 400);
    assert.ok(failed, 'the 400 request has its span');

    child!.kill('SIGTERM');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = undefined;
    assert.doesNotMatch(stderr, /internal error/);
  });
});

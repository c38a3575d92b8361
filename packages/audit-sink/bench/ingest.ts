/**
 * Audit sink ingest benchmark, measured against a raw COPY of the same rows in the same run.
 *
 *   node --import tsx packages/audit-sink/bench/ingest.ts [--records 100000] [--batch 1000] [--concurrency 4] [--workers N (default: as serve)]
 *
 * Starts a throwaway Postgres (needs the server binaries, see scripts/setup/postgres.sh), then:
 *   sink-http   OTLP/protobuf requests (gzip) through the receiver: decode, dedupe, chain, COPY, COMMIT
 *               (decoding and hashing on --workers threads, or on the request thread with 0)
 *   sink-http-observed  the same with the sink's own telemetry on (metrics for a Prometheus endpoint,
 *               as `serve --metrics-port`; no OTLP): its cost is the ratio to sink-http
 *   sink-store  the same batches through AuditStore.insert directly (no HTTP, no decode)
 *   raw-copy    COPY of the same column values into an unindexed, unpartitioned table: the floor
 * and prints one JSON line with records/s for each and the ratios to raw-copy.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { AuditReceiver, AuditStore, createPool, decodeExportLogsRequest, migrate, type AuditRecord } from '../src';
import { defaultWorkers } from '../src/cli';
import { startThrowawayPostgres } from '../test/helpers/throwaway-postgres';
import { startSinkTelemetry } from '../src/telemetry/sink-telemetry';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    workers: { type: 'string' },
  },
});
const N = Number(values.records);
const B = Number(values.batch);
const C = Number(values.concurrency);
// As `serve` would run by default on this machine, unless told otherwise.
const W = values.workers === undefined ? defaultWorkers() : Number(values.workers);

function batchBytes(run: string, b: number, start: number): Uint8Array {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const logRecords = [];
  for (let i = 0; i < b; i++) {
    const n = start + i;
    logRecords.push({
      timeUnixNano: String(t0 + BigInt(n)),
      observedTimeUnixNano: String(t0 + BigInt(n)),
      severityNumber: 9,
      eventName: n % 2 ? 'domain.audit.decision' : 'domain.manager.mutation',
      body: { stringValue: `user ${n % 1000} updated invoice ${n}` },
      traceId: Buffer.alloc(16, (n % 255) + 1),
      spanId: Buffer.alloc(8, (n % 253) + 1),
      attributes: [
        { key: 'log.record.uid', value: { stringValue: `${run}-${n}` } },
        { key: 'domain.audit.action', value: { stringValue: 'update' } },
        { key: 'domain.audit.outcome', value: { stringValue: 'granted' } },
        { key: 'domain.mutation.action', value: { stringValue: 'update' } },
        { key: 'domain.manager.name', value: { stringValue: 'InvoiceManager' } },
        { key: 'domain.entity.id', value: { stringValue: String(n) } },
        { key: 'user.id', value: { stringValue: String(n % 1000) } },
        { key: 'domain.tenant.id', value: { stringValue: `tenant-${n % 20}` } },
        { key: 'domain.audit.attributes', value: { arrayValue: { values: [{ stringValue: 'amount' }, { stringValue: 'due_date' }] } } },
        {
          key: 'domain.mutation.changes',
          value: { kvlistValue: { values: [{ key: 'amount', value: { kvlistValue: { values: [
            { key: 'old', value: { intValue: 10 } }, { key: 'new', value: { intValue: 12 } }] } } }] } },
        },
      ],
    });
  }
  const msg = logsV1.ExportLogsServiceRequest.fromObject({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
      scopeLogs: [{ scope: { name: '@domain-otel/instrumentation-domain', version: '0.1.0' }, logRecords }],
    }],
  });
  return logsV1.ExportLogsServiceRequest.encode(msg).finish();
}

/** CPU time (µs) used so far by every postgres process on this machine (the bench's cluster is the only one). */
function postgresCpuMicros(): number {
  const tick = 1e6 / 100; // USER_HZ
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const f = stat.slice(close + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) * tick; // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Runs fn and returns its wall time and the CPU µs per record spent in this process and in Postgres. */
async function measured(n: number, fn: () => Promise<void>): Promise<{ perS: number; nodeUs: number; pgUs: number }> {
  const pg0 = postgresCpuMicros();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perS: n / wall, nodeUs: (cpu.user + cpu.system) / n, pgUs: (postgresCpuMicros() - pg0) / n };
}

async function parallel<T>(items: T[], c: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: c }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function main() {
  const pg = await startThrowawayPostgres({ settings: { fsync: 'on', synchronous_commit: 'on' } });
  try {
    const url = await pg.createDatabase('bench');
    const admin = new Pool({ connectionString: url, max: 2 });
    await migrate(admin, { writerLogin: 'bench_writer' });
    const pool = createPool({ connectionString: pg.connectionString('bench', 'bench_writer'), max: C + 1 });
    const results: Record<string, number> = {};
    const cpu: Record<string, { node: number; postgres: number }> = {};
    const record = (name: string, m: { perS: number; nodeUs: number; pgUs: number }) => {
      results[name] = m.perS;
      cpu[name] = { node: +m.nodeUs.toFixed(1), postgres: +m.pgUs.toFixed(1) };
    };

    // sink-http and sink-http-observed (the sink's own metrics on), in alternating rounds so that
    // neither gets the emptier tables or the quieter minutes of the machine.
    const telemetry = await startSinkTelemetry({ prometheus: { host: '127.0.0.1', port: 0 }, env: {}, pool, version: 'bench', log: () => {} });
    const variants = await Promise.all(([['sink-http', undefined], ['sink-http-observed', telemetry.observer]] as const).map(async ([name, observer]) => {
      const receiver = new AuditReceiver({ pool, token: 't', port: 0, log: () => {}, prepareWorkers: W, ...(observer ? { observer } : {}) });
      await receiver.listen();
      const batches = Array.from({ length: Math.ceil(N / B) }, (_, i) => gzipSync(batchBytes(name, B, i * B)));
      return { name, receiver, batches, wall: 0, nodeUs: 0, pgUs: 0 };
    }));
    const ROUNDS = 6;
    const perRound = Math.ceil(variants[0]!.batches.length / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const chunk = v.batches.slice(round * perRound, (round + 1) * perRound);
        const n = chunk.length * B;
        if (n === 0) continue;
        const m = await measured(n, () => parallel(chunk, C, async (body) => {
          const r = await fetch(v.receiver.url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', authorization: 'Bearer t' },
            body,
          });
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          await r.arrayBuffer();
        }));
        v.wall += n / m.perS;
        v.nodeUs += m.nodeUs * n;
        v.pgUs += m.pgUs * n;
      }
    }
    for (const v of variants) {
      record(v.name, { perS: N / v.wall, nodeUs: v.nodeUs / N, pgUs: v.pgUs / N });
      await v.receiver.close();
    }
    await telemetry.shutdown();

    // sink-store
    const decoded: AuditRecord[][] = Array.from({ length: Math.ceil(N / B) }, (_, i) =>
      decodeExportLogsRequest(batchBytes('store', B, i * B), 'protobuf', { receivedUnixNano: 0n }).audit);
    const store = new AuditStore(pool);
    record('sink-store', await measured(N, () => parallel(decoded, C, async (recs) => {
      await store.insert(recs, new Date());
    })));

    // raw-copy: same values, no chain, no dedupe, no indexes, one COPY
    await admin.query(`CREATE TABLE raw_copy (time_unix_nano bigint, uid text, event_name text, action text, outcome text,
      manager text, entity_id text, user_id text, tenant_id text, trace_id text, span_id text, service text, record jsonb)`);
    const flat = decoded.flat();
    const esc = (v: string | null) => (v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
    const client = await admin.connect();
    record('raw-copy', await measured(N, () => pipeline(
      Readable.from((function* () {
        for (let i = 0; i < flat.length; i += 1000) {
          yield flat.slice(i, i + 1000).map((r) => [r.timeUnixNano, r.uid, r.eventName, r.action, r.outcome, r.manager, r.entityId,
            r.userId, r.tenantId, r.traceId, r.spanId, r.service, JSON.stringify(r.record)].map(esc).join('\t') + '\n').join('');
        }
      })()),
      client.query(copyFrom('COPY raw_copy FROM STDIN')),
    )));
    client.release();

    const verify = await admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records`);
    // Disk per stored row (tables, indexes, TOAST of the audit schema), for capacity planning.
    await admin.query('VACUUM ANALYZE');
    const size = await admin.query<{ bytes: string }>(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'domain_otel_audit' AND c.relkind IN ('r', 'm')`);
    if (verify.rows[0].n !== 3 * N) throw new Error(`expected ${3 * N} rows, found ${verify.rows[0].n}`);
    await pool.end();
    await admin.end();
    const round = (x: number) => Math.round(x);
    console.log(JSON.stringify({
      bench: 'audit-sink-ingest',
      records: N,
      batch: B,
      concurrency: C,
      workers: W,
      records_per_s: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, round(v)])),
      cpu_us_per_record: cpu,
      ratio_to_raw_copy: {
        'sink-http': +(results['sink-http']! / results['raw-copy']!).toFixed(3),
        'sink-store': +(results['sink-store']! / results['raw-copy']!).toFixed(3),
      },
      disk_bytes_per_row: Math.round(Number(size.rows[0]!.bytes) / verify.rows[0].n),
      observed_to_plain: {
        records_per_s: +(results['sink-http-observed']! / results['sink-http']!).toFixed(3),
        node_cpu_per_record: +(cpu['sink-http-observed']!.node / cpu['sink-http']!.node).toFixed(3),
      },
    }));
  } finally {
    await pg.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

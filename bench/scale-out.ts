/**
 * The sink tier scaled out: sustained audit rows/s through HAProxy (collector-config/haproxy.cfg)
 * into one audit sink process, then into three, the same Postgres behind both, in the same run;
 * and the CPU each record costs in the sinks, in Postgres, in HAProxy and in the sending client.
 *
 *   node --import tsx bench/scale-out.ts [--records 200000] [--batch 2000] [--concurrency 12] [--rounds 2]
 *
 * Every phase sends the same number of new records (OTLP/protobuf, gzip, encoded before the clock
 * starts) with `concurrency` requests in flight, as the gateways' exporters would; a 503 is
 * retried like a collector does. "1 sink" points all three of HAProxy's server lines at the same
 * sink, so both phases pay for the load balancer. Phases alternate (1, 3, 1, 3, …) so that a
 * neighbour's load on a shared machine hits both. Prints one JSON line.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Pool } from 'pg';
import { migrate } from '../packages/audit-sink/src';
import { startThrowawayPostgres } from '../packages/audit-sink/test/helpers/throwaway-postgres';
import { freePorts, ROOT, tempDir, waitForHttpOk } from '../test/collector/helpers';

const protoRoot = require('otlp-proto-root/build/src/generated/root');
const ExportLogsServiceRequest = protoRoot.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '2' },
  },
});
const RECORDS = Number(values.records);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
for (const [k, v] of Object.entries({ records: RECORDS, batch: BATCH, concurrency: CONCURRENCY, rounds: ROUNDS })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} ${JSON.stringify(values[k as keyof typeof values])}: expected a positive integer`);
}
const TOKEN = 'bench-scale-out-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_US = 1e6 / 100; // USER_HZ

/** One request's body: `n` new audit records (decisions and mutations), as a gateway forwards them. */
function batchBody(run: string, start: number, n: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const str = (stringValue: string) => ({ stringValue });
  const logRecords = Array.from({ length: n }, (_, k) => {
    const i = start + k;
    return {
      timeUnixNano: String(now + BigInt(i)),
      observedTimeUnixNano: String(now + BigInt(i)),
      severityNumber: 9,
      eventName: i % 3 === 0 ? 'domain.manager.mutation' : 'domain.audit.decision',
      body: str(`user ${i % 500} read order ${i}`),
      traceId: Buffer.from(`${run}${String(i).padStart(12, '0')}`.slice(-16).padStart(16, '0')),
      spanId: Buffer.alloc(8, (i % 250) + 1),
      attributes: [
        { key: 'log.record.uid', value: str(`${run}-${i}`) },
        { key: 'domain.audit.action', value: str('read') },
        { key: 'domain.audit.outcome', value: str(i % 10 === 0 ? 'denied' : 'granted') },
        { key: 'domain.mutation.action', value: str('update') },
        { key: 'domain.manager.name', value: str('OrderManager') },
        { key: 'domain.entity.id', value: str(String(i)) },
        { key: 'user.id', value: str(String(i % 500)) },
        { key: 'domain.tenant.id', value: str(`tenant-${i % 10}`) },
      ],
    };
  });
  const msg = ExportLogsServiceRequest.fromObject({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: str('bench-scale-out') }] },
      scopeLogs: [{ scope: { name: '@domain-otel/instrumentation-domain' }, logRecords }],
    }],
  });
  return gzipSync(ExportLogsServiceRequest.encode(msg).finish());
}

/** utime+stime (+ reaped children's) of a process, in µs; 0 when it is gone. */
function cpuMicros(pid: number, withReaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + (withReaped ? Number(f[13]) + Number(f[14]) : 0)) * TICK_US;
  } catch {
    return 0;
  }
}

/** CPU of one Postgres cluster: the postmaster, its living children, and the children it reaped. */
function postgresMicros(postmaster: number): number {
  let total = cpuMicros(postmaster, true);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) total += cpuMicros(Number(d));
    } catch { /* ended meanwhile */ }
  }
  return total;
}

function startProcess(bin: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

interface Phase { sinks: 1 | 3; rowsPerS: number; seconds: number; retried503: number; cpuUsPerRecord: { sinks: number; postgres: number; haproxy: number; client: number }; coresBusy: number }

async function main(): Promise<void> {
  execFileSync('bash', [path.join(ROOT, 'scripts/setup/haproxy.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const haproxyBin = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => { try { readFileSync(p); return true; } catch { return false; } });
  if (!haproxyBin) throw new Error('haproxy not found (scripts/setup/haproxy.sh)');
  const dir = tempDir('bench-scale-out');
  const pg = await startThrowawayPostgres({ settings: { fsync: 'on', synchronous_commit: 'on' } });
  const sinks: ChildProcess[] = [];
  let lb: ChildProcess | undefined;
  try {
    const url = await pg.createDatabase('bench');
    const admin = new Pool({ connectionString: url, max: 2 });
    await migrate(admin, { writerLogin: 'bench_writer' });
    const postmaster = Number(readFileSync(path.join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const [lbPort, statsPort, ...sinkPorts] = await freePorts(5);
    for (const [i, port] of sinkPorts.entries()) {
      sinks.push(startProcess(process.execPath, [path.join(ROOT, 'packages/audit-sink/dist/cli.js'), 'serve', '--port', String(port)], {
        PATH: process.env.PATH, HOME: process.env.HOME,
        DOMAIN_OTEL_AUDIT_DATABASE_URL: pg.connectionString('bench', 'bench_writer'), DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN, DOMAIN_OTEL_AUDIT_SINK_RETRY_AFTER: '1',
      }, path.join(dir, `sink-${i + 1}.log`)));
      await waitForHttpOk(`http://127.0.0.1:${port}/healthz`, 30_000);
    }
    const sinkAddr = sinkPorts.map((p) => `127.0.0.1:${p}`);

    const phases: Phase[] = [];
    let sent = 0;
    const order = Array.from({ length: ROUNDS }, () => [1, 3] as const).flat();
    for (const [round, n] of order.entries()) {
      const servers = n === 1 ? [sinkAddr[0]!, sinkAddr[0]!, sinkAddr[0]!] : sinkAddr;
      lb = startProcess(haproxyBin, ['-db', '-f', path.join(ROOT, 'collector-config/haproxy.cfg')], {
        PATH: process.env.PATH,
        DOMAIN_OTEL_AUDIT_LB_BIND: `127.0.0.1:${lbPort}`, DOMAIN_OTEL_AUDIT_LB_STATS_BIND: `127.0.0.1:${statsPort}`,
        DOMAIN_OTEL_AUDIT_SINK_1: servers[0]!, DOMAIN_OTEL_AUDIT_SINK_2: servers[1]!, DOMAIN_OTEL_AUDIT_SINK_3: servers[2]!,
      }, path.join(dir, `haproxy-${round}.log`));
      await waitForHttpOk(`http://127.0.0.1:${statsPort}/stats`, 30_000);
      await sleep(1500); // every server passes its first health check

      const run = `r${round}${process.pid}`;
      const bodies = Array.from({ length: Math.ceil(RECORDS / BATCH) }, (_, b) => batchBody(run, b * BATCH, Math.min(BATCH, RECORDS - b * BATCH)));
      const warm = Array.from({ length: CONCURRENCY }, (_, b) => batchBody(`w${run}`, b * 200, 200));
      let retried503 = 0;
      const post = async (body: Buffer) => {
        for (;;) {
          const r = await fetch(`http://127.0.0.1:${lbPort}/v1/logs`, {
            method: 'POST', body,
            headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', authorization: `Bearer ${TOKEN}` },
          });
          await r.arrayBuffer();
          if (r.status === 200) return;
          if (r.status !== 503 && r.status !== 502) throw new Error(`HTTP ${r.status} from the load balancer`);
          retried503++;
          await sleep(50);
        }
      };
      const drive = async (list: Buffer[]) => {
        let next = 0;
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next < list.length) await post(list[next++]!); }));
      };
      await drive(warm);
      sent += warm.length * 200;
      retried503 = 0;

      const cpu0 = { sinks: sinks.reduce((s, c) => s + cpuMicros(c.pid!), 0), pg: postgresMicros(postmaster), lb: cpuMicros(lb.pid!), self: process.cpuUsage() };
      const t0 = performance.now();
      await drive(bodies);
      const seconds = (performance.now() - t0) / 1000;
      const self = process.cpuUsage(cpu0.self);
      const used = {
        sinks: sinks.reduce((s, c) => s + cpuMicros(c.pid!), 0) - cpu0.sinks,
        postgres: postgresMicros(postmaster) - cpu0.pg,
        haproxy: cpuMicros(lb.pid!) - cpu0.lb,
        client: self.user + self.system,
      };
      sent += RECORDS;
      const per = (us: number) => +(us / RECORDS).toFixed(1);
      phases.push({
        sinks: n, rowsPerS: Math.round(RECORDS / seconds), seconds: +seconds.toFixed(2), retried503,
        cpuUsPerRecord: { sinks: per(used.sinks), postgres: per(used.postgres), haproxy: per(used.haproxy), client: per(used.client) },
        coresBusy: +((used.sinks + used.postgres + used.haproxy + used.client) / 1e6 / seconds).toFixed(2),
      });
      console.error(`bench scale-out: ${n} sink(s): ${phases.at(-1)!.rowsPerS} rows/s over ${seconds.toFixed(1)} s`);
      await stopProcess(lb);
      lb = undefined;
    }

    const stored = (await admin.query<{ rows: number; uids: number }>('SELECT count(*)::int AS rows, count(DISTINCT uid)::int AS uids FROM domain_otel_audit.records')).rows[0]!;
    await admin.end();
    const mean = (n: 1 | 3, f: (p: Phase) => number) => { const ps = phases.filter((p) => p.sinks === n); return ps.reduce((s, p) => s + f(p), 0) / ps.length; };
    const summary = (n: 1 | 3) => ({
      rowsPerS: Math.round(mean(n, (p) => p.rowsPerS)),
      cpuUsPerRecord: Object.fromEntries((['sinks', 'postgres', 'haproxy', 'client'] as const).map((k) => [k, +mean(n, (p) => p.cpuUsPerRecord[k]).toFixed(1)])),
      coresBusy: +mean(n, (p) => p.coresBusy).toFixed(2),
    });
    const one = summary(1);
    const three = summary(3);
    console.log(JSON.stringify({
      bench: 'scale-out', records: RECORDS, batch: BATCH, concurrency: CONCURRENCY, rounds: ROUNDS, cores: cpus().length,
      one, three, ratio: +(three.rowsPerS / one.rowsPerS).toFixed(3),
      sent, stored: stored.rows, lost: sent - stored.uids, duplicated: stored.rows - stored.uids, phases,
    }));
  } finally {
    if (lb) await stopProcess(lb);
    await Promise.all(sinks.map(stopProcess));
    await pg.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

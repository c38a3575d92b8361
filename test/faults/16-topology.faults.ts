// Scenario 16: the scaled-out topology of docs/scaling.md, each piece on a host of its own (a
// network namespace where we may, a loopback address otherwise): two apps, each next to its
// agent; two gateways; HAProxy in front of three audit sinks; a Postgres primary and a streaming
// replica. While both apps emit, in turn: a gateway is SIGKILLed and restarted, a sink is
// SIGKILLed (and later restarted), HAProxy is restarted, the primary is stopped like a crash and
// restarted, and the other gateway is SIGKILLed while the primary is down. Then: every audit record stored exactly once, the spans of each trace on one
// gateway only, and the replica verifies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { note, report, sleep, uniqueTag } from './harness';
import type { HostProcess } from './topology/processes';
import { waitForReplay } from './topology/replica-reads';
import { DATABASE, READER_LOGIN, ScaledTopology, SINK_CLI } from './topology/topology';

const RATE = 150; // per app, records (and traces) per second
const PER_APP = 12_000; // 80 s of emission: longer than the faults take
const APPS = 2;
const N = PER_APP * APPS;
const STEADY_MS = 6000;
// auto: a network namespace per host when we may create them (root, iproute2), else loopback addresses.
const NETWORK = process.env.FAULTS_TOPOLOGY_NETWORK ?? 'auto';
if (!['auto', 'netns', 'loopback'].includes(NETWORK)) throw new Error(`FAULTS_TOPOLOGY_NETWORK=${JSON.stringify(NETWORK)}: expected auto, netns or loopback`);

interface FaultRecord { fault: string; emittedAt: number; maxAgentQueue: number; downMs: number; detail?: string }

describe('faults 16: scaled-out topology under node failures', function () {
  this.timeout(15 * 60_000);
  let topo: ScaledTopology | undefined;
  let failed = true;

  after(async function () {
    this.timeout(120_000);
    if (topo) await topo.stop({ keepDir: failed });
    if (failed && topo) console.log(`topology logs kept in ${topo.dir}/logs`);
  });

  it(`${N} audit records through 2 agents, 2 gateways, HAProxy and 3 sinks; a gateway, a sink, HAProxy and the primary fail in turn: stored once, traces on one gateway, replica verifies`, async () => {
    topo = new ScaledTopology({
      network: NETWORK as 'auto' | 'netns' | 'loopback',
      postgres: { fsync: 'off' }, // like the suites' other clusters; the primary's "crash" is a process kill, not an OS crash
      agentEnv: { DOMAIN_OTEL_AUDIT_RETRY_MAX_INTERVAL: '5s' },
    });
    const t = topo;
    const startedAt = Date.now();
    await t.start();
    const startupMs = Date.now() - startedAt;
    const tag = uniqueTag('s16');
    const apps: HostProcess[] = [];
    for (let i = 0; i < APPS; i++) apps.push(await t.startApp(i, { tag, n: PER_APP, rate: RATE, name: `app${i + 1}` }));
    const count = async () => (await t.admin.query<{ rows: number; uids: number; entities: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT uid)::int AS uids, count(DISTINCT entity_id)::int AS entities
         FROM domain_otel_audit.records WHERE manager = $1`, [tag])).rows[0]!;
    const emitted = () => apps.reduce((s, a) => s + a.lastNumber('EMITTED'), 0);

    // The agents' audit queues, sampled all along: a fault that reaches the agents shows here.
    let current: FaultRecord | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const q = (await Promise.all([0, 1].map((i) => t.agentAuditQueue(i)))).reduce<number>((s, v) => s + (v ?? 0), 0);
        if (current) current.maxAgentQueue = Math.max(current.maxAgentQueue, q);
        await sleep(500);
      }
    })();
    const faults: FaultRecord[] = [];
    const fault = async (name: string, act: (f: FaultRecord) => Promise<void>) => {
      const f: FaultRecord = { fault: name, emittedAt: emitted(), maxAgentQueue: 0, downMs: 0 };
      current = f;
      faults.push(f);
      await act(f);
      await sleep(STEADY_MS); // the system catches up under load before the next fault
      current = undefined;
    };

    const firstRow = Date.now();
    while ((await count()).entities === 0) {
      assert.ok(Date.now() - firstRow < 60_000, 'no audit row arrived within 60 s of the apps starting');
      await sleep(250);
    }
    await sleep(STEADY_MS);

    const lbRequests = new Map<string, number>();
    const addLbRequests = async () => { for (const s of (await t.lbStats()) ?? []) lbRequests.set(s.server, (lbRequests.get(s.server) ?? 0) + s.requests); };

    await fault('gateway-1 SIGKILL, restarted 5 s later', async (f) => {
      const gw = t.gateways[0]!;
      const down = Date.now();
      gw.kill('SIGKILL');
      await gw.exited;
      await sleep(5000);
      await t.startGateway(0);
      f.downMs = Date.now() - down;
    });

    let sinkSeenDown = false;
    await fault('sink-2 SIGKILL, restarted 10 s later', async (f) => {
      const sink = t.sinks[1]!;
      const down = Date.now();
      sink.kill('SIGKILL');
      await sink.exited;
      while (Date.now() - down < 10_000) {
        if ((await t.lbStats())?.find((s) => s.server === 'sink2')?.status.startsWith('DOWN')) sinkSeenDown = true;
        await sleep(500);
      }
      await t.startSink(1);
      f.downMs = Date.now() - down;
      f.detail = sinkSeenDown ? 'HAProxy marked it DOWN' : 'HAProxy never showed it DOWN';
    });

    await fault('HAProxy stopped and started again 2 s later', async (f) => {
      await addLbRequests(); // its counters start again from zero
      const lb = t.lb!;
      const down = Date.now();
      lb.kill('SIGTERM');
      await lb.exited;
      await sleep(2000);
      await t.startLb();
      f.downMs = Date.now() - down;
    });

    await fault('Postgres primary stopped like a crash (immediate), started 5 s later', async (f) => {
      const down = Date.now();
      await t.primary.stop('immediate');
      await sleep(5000);
      await t.primary.start();
      f.downMs = Date.now() - down;
    });

    // Both at once: a gateway dies while the sinks cannot store. A gateway that had accepted
    // records into a queue of its own would lose them here; ours answers the agents only after a
    // sink did, so the agents still hold every record on disk.
    await fault('gateway-2 SIGKILLed while Postgres is down (6 s), restarted', async (f) => {
      const down = Date.now();
      await t.primary.stop('immediate');
      await sleep(2000);
      const gw = t.gateways[1]!;
      gw.kill('SIGKILL');
      await gw.exited;
      await t.startGateway(1);
      await sleep(Math.max(0, 6000 - (Date.now() - down)));
      await t.primary.start();
      f.downMs = Date.now() - down;
    });

    const exits = await Promise.all(apps.map((a) => a.exited));
    sampling = false;
    await sampler;
    await addLbRequests();
    exits.forEach((e, i) => assert.equal(e.code, 0, `app${i + 1}: ${apps[i]!.log().slice(-2000)}`));

    // Settle: every record stored, the agents' queues empty, then count once more (late
    // duplicates would show).
    const settleStart = Date.now();
    let c = await count();
    while (c.entities < N && Date.now() - settleStart < 240_000) { await sleep(1000); c = await count(); }
    while (Date.now() - settleStart < 300_000) {
      const q = await Promise.all([0, 1].map((i) => t.agentAuditQueue(i)));
      if (q.every((v) => v === 0)) break;
      await sleep(1000);
    }
    await sleep(3000);
    c = await count();
    const settleMs = Date.now() - settleStart;
    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;

    // Traces: each trace id on one gateway only.
    const perGateway = [0, 1].map((i) => t.gatewayTraces(i));
    const where = new Map<string, number[]>();
    perGateway.forEach((g, i) => { for (const id of g.spans.keys()) where.set(id, [...(where.get(id) ?? []), i]); });
    const split = [...where.entries()].filter(([, gws]) => gws.length > 1);
    const complete = perGateway.reduce((s, g) => s + [...g.spans.values()].filter((n) => n === 2).length, 0);
    const traceShares = perGateway.map((g) => g.spans.size);

    // The replica: caught up, the same rows, and its chains verify.
    // query and verify with the CLI on the hot standby; their access records go to the primary
    // (--access-database-url), as the standby refuses every write.
    const replica = t.replica.pool(DATABASE, READER_LOGIN);
    const auditCli = (args: string[]) => {
      const r = spawnSync(process.execPath, [SINK_CLI, ...args, '--database-url', t.replica.socketUrl(DATABASE, READER_LOGIN),
        '--access-database-url', t.primary.socketUrl(DATABASE, READER_LOGIN)], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1024 ** 3 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim().split('\n').slice(-2).join(' | ') };
    };
    const accessCount = async () => Number((await replica.query(
      "SELECT count(*) AS n FROM domain_otel_audit.records WHERE event_name = 'domain.audit.access' AND user_id = $1", [READER_LOGIN])).rows[0].n);
    let replayMs: number;
    let replicaRows: number;
    let verified: { code: number | null; ok?: boolean; rows?: number; stderr: string };
    let accessRecords: number;
    try {
      replayMs = await waitForReplay(t.admin, replica);
      const before = await accessCount();
      const q = auditCli(['query', '--manager', tag, '--limit', String(N + 100), '--ndjson']);
      assert.equal(q.code, 0, `query on the replica: ${q.stderr}`);
      replicaRows = q.stdout.trim().split('\n').filter(Boolean).length;
      const v = auditCli(['verify', '--json']);
      let report: { ok?: boolean; rows?: number } = {};
      try { report = JSON.parse(v.stdout.trim().split('\n').at(-1) ?? '') as { ok: boolean; rows: number }; } catch { report = {}; }
      verified = { code: v.code, ok: report.ok, rows: report.rows, stderr: v.stderr };
      await waitForReplay(t.admin, replica);
      accessRecords = (await accessCount()) - before;
    } finally {
      await replica.end().catch(() => {});
    }

    const underLoad = faults.every((f) => f.emittedAt < N);
    const pass = lost === 0 && duplicated === 0 && split.length === 0 && verified.code === 0 && verified.ok === true && underLoad;
    const namespaces = t.net.mode;
    await t.stop({ keepDir: !pass });
    if (!pass) console.log(`topology logs kept in ${t.dir}/logs`);
    const leftover = t.net.remaining();
    topo = undefined;

    const details = {
      network: namespaces, startupMs, events: N, ratePerApp: RATE, faults, settleMs, lbRequests: Object.fromEntries(lbRequests), sinkSeenDown,
      traces: { perGateway: traceShares, split: split.length, complete, badLines: perGateway.map((g) => g.badLines) },
      replica: { replayMs, rows: replicaRows, verifyExit: verified.code, verifyOk: verified.ok, verifiedRows: verified.rows, accessRecords, verifyStderr: verified.stderr },
    };
    note('scenario16', details);
    console.log(`scenario 16: ${JSON.stringify(details)}`);
    report({
      scenario: '16 scaled topology: gateway, sink, HAProxy, primary fail in turn', sent: N, acknowledged: null, stored: c.entities, lost, duplicated,
      result: pass ? 'pass' : 'FAIL',
      notes: `${namespaces === 'netns' ? 'one network namespace per host' : 'one loopback address per host'}; agents' queues peaked at ${faults.map((f) => f.maxAgentQueue).join('/')} records during the ${faults.length} faults; ` +
        `${where.size} traces, ${traceShares.join(' + ')} per gateway, ${split.length} on both; replica: domain-otel-audit query and verify ${verified.ok ? 'OK' : 'FAILED'} (${verified.rows} rows), their access records appended on the primary`,
    });

    assert.ok(underLoad, `every fault happened while the apps were emitting: ${JSON.stringify(faults)}`);
    assert.equal(lost, 0, `lost ${lost} of ${N}`);
    assert.equal(duplicated, 0, `${duplicated} records stored twice`);
    assert.equal(c.rows, c.uids);
    // The faults reached the agents: their disk queues held records while a hop was down.
    assert.ok(faults.some((f) => f.maxAgentQueue > 0), `no agent queued anything during the faults: ${JSON.stringify(faults)}`);
    assert.ok(sinkSeenDown, 'HAProxy took the killed sink out of rotation');
    for (const s of ['sink1', 'sink2', 'sink3']) assert.ok((lbRequests.get(s) ?? 0) > 0, `HAProxy sent requests to ${s}: ${JSON.stringify([...lbRequests])}`);
    // Trace affinity: both gateways had traces, none had spans of a trace the other one had.
    assert.equal(split.length, 0, `${split.length} trace ids reached both gateways, e.g. ${split.slice(0, 3).map(([id]) => id).join(', ')}`);
    for (const [i, n] of traceShares.entries()) assert.ok(n > where.size / 5, `gateway-${i + 1} received ${n} of ${where.size} traces`);
    assert.ok(complete > where.size / 2, `most traces arrived whole (2 spans) on their gateway: ${complete} of ${where.size}`);
    // The replica has every row and verifies, through the CLI; both runs are audited on the primary.
    assert.equal(replicaRows, N, 'domain-otel-audit query on the replica returns every record');
    assert.equal(verified.code, 0, `domain-otel-audit verify on the replica: ${verified.stderr}`);
    assert.equal(verified.ok, true);
    assert.ok((verified.rows ?? 0) >= N);
    assert.equal(accessRecords, 2, 'the access records of query and verify, appended on the primary, reached the replica');
    assert.deepEqual(leftover, [], 'the network namespaces were removed');
    failed = false;
  });
});

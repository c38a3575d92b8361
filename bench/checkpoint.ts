/**
 * The cost of tamper evidence (issue 14): signing a checkpoint over many rows, an inclusion
 * proof's size, and checking a proof offline.
 *
 *   node --import tsx bench/checkpoint.ts [--rows 1000000]
 *
 * In a throwaway Postgres: `--rows` chained rows in one month's shared segment (8 chains, as the
 * sink spreads them; COPYed straight into the segment, with small records), plus a few real
 * records through the sink's store. Then, each measured against a baseline of the same run:
 *   checkpoint    the first checkpoint over every row  vs  reading every row's hash in chain order
 *   increment     a checkpoint after 1 % more rows     (time only)
 *   proof         `prove` of a real record: file size vs the record's own JSON
 *   verify-proof  offline check, median of 200         vs  one Ed25519 signature check of the same note
 * Prints one JSON line.
 */
import { createPublicKey, verify as edVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { AuditStore, createPool, decodeExportLogsRequest, genesisHash, migrate, rowHash } from '../packages/audit-sink/src';
import { writeCheckpoint } from '../packages/audit-sink/src/checkpoint';
import { copyBytea, nsToTimestamptz } from '../packages/audit-sink/src/copy-rows';
import { prove, verifyProof } from '../packages/audit-sink/src/proof';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from '../packages/audit-sink/src/signed-note';
import { sha256 } from '../packages/audit-sink/src/canonical';
import { startThrowawayPostgres } from '../packages/audit-sink/test/helpers/throwaway-postgres';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const N = Number(values.rows);
const STREAMS = 8;
const MONTH = '2024-01';
const LEAF = 'records_2024_01_default';
const COLUMNS = ['time', 'time_unix_nano', 'uid', 'uid_generated', 'event_name', 'received_at', 'record', 'content_hash', 'seq', 'prev_hash', 'row_hash', 'stream'];

/** Appends `n` rows per chain after `from`, linked like the sink links them. */
async function fill(pool: Pool, heads: { seq: number; hash: Buffer }[], perChain: number): Promise<void> {
  const client = await pool.connect();
  try {
    const t0 = BigInt(Date.UTC(2024, 0, 2)) * 1_000_000n;
    for (let stream = 0; stream < STREAMS; stream++) {
      const chain = `${MONTH}#${stream}`;
      let lines: string[] = [];
      for (let i = 0; i < perChain; i++) {
        const seq = ++heads[stream]!.seq;
        const ns = (t0 + BigInt(seq * STREAMS + stream)).toString();
        const content = sha256(`row ${stream} ${seq}`);
        const row = rowHash(chain, seq, heads[stream]!.hash, content);
        lines.push(`${nsToTimestamptz(ns)}\t${ns}\tbench-${stream}-${seq}\tf\tdomain.audit.decision\t2024-01-02T00:00:00Z\t{}\t${copyBytea(content)}\t${seq}\t${copyBytea(heads[stream]!.hash)}\t${copyBytea(row)}\t${stream}\n`);
        heads[stream]!.hash = row;
        if (lines.length === 50_000) {
          await copyTo(client, lines);
          lines = [];
        }
      }
      if (lines.length) await copyTo(client, lines);
    }
  } finally {
    client.release();
  }
}

async function copyTo(client: import('pg').PoolClient, lines: string[]): Promise<void> {
  const { from } = await import('pg-copy-streams');
  await new Promise<void>((resolve, reject) => {
    const s = client.query(from(`COPY domain_otel_audit.${LEAF} (${COLUMNS.join(', ')}) FROM STDIN`));
    s.on('error', reject);
    s.on('finish', resolve);
    s.end(lines.join(''));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const pg = await startThrowawayPostgres({ settings: { shared_buffers: '256MB', max_wal_size: '2GB' } });
  const dir = mkdtempSync(join(tmpdir(), 'bench-checkpoint-'));
  const url = await pg.createDatabase('bench_checkpoint');
  const pool = new Pool({ connectionString: url, max: 4 });
  try {
    await migrate(pool, { monthsAhead: 0, streams: STREAMS });
    await pool.query(`SELECT domain_otel_audit.ensure_partition('${MONTH}-01')`);
    const heads = Array.from({ length: STREAMS }, (_, s) => ({ seq: 0, hash: genesisHash(`${MONTH}#${s}`) }));
    await fill(pool, heads, Math.ceil(N / STREAMS));
    await pool.query(`ANALYZE domain_otel_audit.${LEAF}`);
    // A few real records, through the store, to prove one of them.
    const body = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }] }, scopeLogs: [{ scope: { name: '@domain-otel/instrumentation-domain', version: '0.1.0' }, logRecords: [1, 2, 3].map((i) => ({
      timeUnixNano: String(BigInt(Date.UTC(2024, 0, 20)) * 1_000_000n + BigInt(i)), eventName: 'domain.audit.decision', severityNumber: 9, severityText: 'INFO',
      body: { stringValue: `user 42 was granted update on invoice ${i}` }, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331',
      attributes: [['log.record.uid', `018f3a5e-7c1d-7aa0-9c1e-00000000000${i}`], ['user.id', '42'], ['domain.tenant.id', 'acme'], ['domain.manager.name', 'InvoiceManager'],
        ['domain.entity.id', String(i)], ['domain.audit.action', 'update'], ['domain.audit.outcome', 'granted'], ['domain.audit.reason', 'owner of the invoice']]
        .map(([key, v]) => ({ key, value: { stringValue: v } })),
    })) }] }] };
    const writer = createPool({ connectionString: url, max: 2 });
    await new AuditStore(writer).insert(decodeExportLogsRequest(Buffer.from(JSON.stringify(body)), 'json', { receivedUnixNano: 0n }).audit, new Date());
    await writer.end();
    const total = Number((await pool.query(`SELECT count(*) AS n FROM domain_otel_audit.${LEAF}`)).rows[0].n);

    // Baseline: every row's hash, chain by chain in seq order (what any check of the rows reads).
    let t = performance.now();
    for (let s = 0; s < STREAMS; s++) {
      let last = 0;
      for (;;) {
        const page = await pool.query(`SELECT seq, row_hash FROM domain_otel_audit.${LEAF} r WHERE r.stream = $1 AND r.seq > $2 ORDER BY r.seq LIMIT 10000`, [s, last]);
        if (page.rows.length === 0) break;
        last = Number(page.rows[page.rows.length - 1].seq);
      }
    }
    const rawReadMs = performance.now() - t;

    const keys = generateNoteKey('bench.example/audit');
    const key = parseSignerKey(keys.signer);
    t = performance.now();
    const cp = await writeCheckpoint(pool, { dir, key });
    const checkpointMs = performance.now() - t;

    // The real records went to chain 0: append after them.
    for (const h of (await pool.query(`SELECT DISTINCT ON (r.stream) r.stream, r.seq, r.row_hash FROM domain_otel_audit.${LEAF} r ORDER BY r.stream, r.seq DESC`)).rows) {
      heads[h.stream] = { seq: Number(h.seq), hash: h.row_hash };
    }
    await fill(pool, heads, Math.ceil(N / 100 / STREAMS));
    t = performance.now();
    const inc = await writeCheckpoint(pool, { dir, key });
    const incrementMs = performance.now() - t;

    const verifier = parseVerifierKey(keys.verifier);
    t = performance.now();
    const made = await prove(pool, { uid: '018f3a5e-7c1d-7aa0-9c1e-000000000002', dir, key: verifier });
    const proveMs = performance.now() - t;
    const proofText = JSON.stringify(made.proof, null, 1) + '\n';
    const recordBytes = Buffer.byteLength(JSON.stringify(made.proof.record));

    const publicKey = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), verifier.publicKey]), format: 'der', type: 'spki' });
    const [text, sigLine] = made.proof.checkpoint.split('\n\n');
    const sig = Buffer.from(sigLine!.trim().split(' ').pop()!, 'base64').subarray(4);
    for (let i = 0; i < 20; i++) verifyProof(proofText, verifier); // warm up
    const ours: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < 200; i++) {
      let s = performance.now();
      verifyProof(proofText, verifier);
      ours.push(performance.now() - s);
      s = performance.now();
      if (!edVerify(null, Buffer.from(text + '\n'), publicKey, sig)) throw new Error('baseline signature does not verify');
      base.push(performance.now() - s);
    }
    console.log(JSON.stringify({
      bench: 'checkpoint', rows: total, checkpoint: cp.number, treeSize: inc.size,
      rawReadMs: Math.round(rawReadMs), checkpointMs: Math.round(checkpointMs),
      incrementRows: inc.added, incrementMs: Math.round(incrementMs), proveMs: Math.round(proveMs),
      proofBytes: Buffer.byteLength(proofText), recordBytes, pathHashes: made.proof.inclusion_path.length,
      verifyProofMs: Number(median(ours).toFixed(3)), ed25519VerifyMs: Number(median(base).toFixed(3)),
    }));
  } finally {
    await pool.end();
    await pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });

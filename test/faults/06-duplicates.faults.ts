// Scenario 6: duplicate delivery. (a) the same OTLP requests replayed to the sink, in parallel
// and in sequence, protobuf and JSON; (b) responses lost after the work was done, on both hops:
// app → [proxy] → collector → [proxy] → sink, where each proxy forwards the request, waits for
// the answer (the collector has queued it / the sink has committed it) and then cuts the
// connection instead of answering, or answers after the sender's timeout. Every sender retries;
// the sink must store each record exactly once.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportWith, sdkRecords, decision } from '../../packages/audit-sink/test/helpers/otlp-client';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { freePorts, note, report, sleep, stack, startEmitter, summaryLine, TOKEN, uniqueTag, undeliveredAtExit } from './harness';

/** Forwards to `target`; for chosen requests the answer is dropped (socket destroyed) or held past the sender's timeout. */
class LossyProxy {
  server?: Server;
  requests = 0;
  dropped = 0;
  held = 0;
  constructor(private readonly target: { host: string; port: number }, private readonly decide: (n: number, path: string) => 'pass' | 'drop' | 'hold', private readonly holdMs = 12_000) {}

  async start(): Promise<number> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++this.requests;
      const what = this.decide(n, req.url ?? '');
      const up = httpRequest({ host: this.target.host, port: this.target.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
        const body: Buffer[] = [];
        ur.on('data', (c: Buffer) => body.push(c));
        ur.on('end', () => {
          if (what === 'drop' && ur.statusCode === 200) { this.dropped++; res.socket?.destroy(); return; }
          if (what === 'hold' && ur.statusCode === 200) { this.held++; setTimeout(() => res.socket?.destroy(), this.holdMs); return; }
          res.writeHead(ur.statusCode ?? 502, ur.headers).end(Buffer.concat(body));
        });
      });
      up.on('error', () => { res.writeHead(502).end(); });
      up.end(Buffer.concat(chunks));
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

describe('faults 6: duplicate delivery', function () {
  this.timeout(10 * 60_000);

  it('replayed requests (protobuf and JSON, 10x each, parallel and sequential): each record stored once', async () => {
    const s = await stack();
    const tag = uniqueTag('s6-replay');
    const per = 200;
    const recs = await sdkRecords(Array.from({ length: 2 * per }, (_, i) => decision({ 'domain.manager.name': tag, 'domain.entity.id': String(i) })));
    const proto = Buffer.from(ProtobufLogsSerializer.serializeRequest(recs.slice(0, per)) as Uint8Array);
    const json = Buffer.from(JsonLogsSerializer.serializeRequest(recs.slice(per)) as Uint8Array);
    const post = (body: Buffer, type: string) => fetch(s.sinkUrl, { method: 'POST', body, headers: { 'content-type': type, authorization: `Bearer ${TOKEN}` } }).then((r) => r.status);
    const statuses: number[] = [];
    for (const [body, type] of [[proto, 'application/x-protobuf'], [json, 'application/json']] as const) {
      statuses.push(...(await Promise.all(Array.from({ length: 5 }, () => post(body, type)))));
      for (let k = 0; k < 5; k++) statuses.push(await post(body, type));
    }
    // and through the upstream exporters, as a sender that retries would
    for (const kind of ['proto', 'json'] as const) for (let k = 0; k < 3; k++) await exportWith(kind, s.sinkUrl, kind === 'proto' ? recs.slice(0, per) : recs.slice(per), { token: TOKEN });
    const c = await s.count(tag);
    const sent = 2 * per;
    report({
      scenario: '6a replayed requests to the sink (13x per record)', sent, acknowledged: statuses.filter((x) => x === 200).length / 10 * per, stored: c.entities, lost: sent - c.entities, duplicated: c.rows - c.entities,
      result: c.entities === sent && c.rows === sent ? 'pass' : 'FAIL',
      notes: `${statuses.length + 6} requests (each record 13 times), statuses ${[...new Set(statuses)].join(',')}`,
    });
    assert.ok(statuses.every((x) => x === 200), String(statuses));
    assert.equal(c.entities, sent);
    assert.equal(c.rows, sent, 'no duplicate rows');
    void JsonExporter; void ProtoExporter;
  });

  it('responses lost after commit on both hops (app→collector, collector→sink), one held past the collector timeout: each record stored once', async () => {
    const s = await stack();
    const tag = uniqueTag('s6-lost-acks');
    const N = 20_000;
    // collector → sink: drop every 4th answer of the first 40 requests, hold the 5th past the 10 s exporter timeout
    const sinkProxy = new LossyProxy({ host: '127.0.0.1', port: s.sinkPort }, (n) => (n === 5 ? 'hold' : n <= 40 && n % 4 === 0 ? 'drop' : 'pass'));
    const sinkProxyPort = await sinkProxy.start();
    const [grpc, http, health, self, prom] = (await freePorts(5)) as [number, number, number, number, number];
    const ports = { grpc, http, health, self, prom };
    const collector = await s.startCollector({ DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: `http://127.0.0.1:${sinkProxyPort}` }, ports, path.join(s.dir, 'queue-s6'));
    // app → collector: drop every 3rd answer to the app's log exports among the first 30
    const appProxy = new LossyProxy({ host: '127.0.0.1', port: http }, (n, p) => (p === '/v1/logs' && n <= 30 && n % 3 === 0 ? 'drop' : 'pass'));
    const appProxyPort = await appProxy.start();
    const app = startEmitter(s, { tag, n: N, rate: 4000, endpoint: `http://127.0.0.1:${appProxyPort}`, env: { OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '512' } });
    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr);
    const summary = summaryLine(app.stdout)!;
    const undelivered = undeliveredAtExit(app.stderr);
    const c = await s.settle(tag, N, { timeoutMs: 120_000, quietMs: 30_000 });
    // the held request: let the proxy finish and the collector's retry land before the last count
    for (let k = 0; k < 30 && (await s.auditQueueSize(ports)) !== 0; k++) await sleep(1000);
    await sleep(2000);
    const final = await s.count(tag);
    await collector.stop();
    await appProxy.stop();
    await sinkProxy.stop();
    const lost = N - final.entities;
    const duplicated = final.rows - final.entities;
    note('scenario6', { events: N, achievedRate: summary.rate, appAnswersDropped: appProxy.dropped, sinkAnswersDropped: sinkProxy.dropped, sinkAnswersHeldPastTimeout: sinkProxy.held });
    report({
      scenario: '6b lost acknowledgements after commit (both hops)', sent: N, acknowledged: N - undelivered, stored: final.entities, lost, duplicated,
      result: lost === 0 && duplicated === 0 && final.rows === final.uids ? 'pass' : 'FAIL',
      notes: `answers cut after the work was done: ${appProxy.dropped} to the app, ${sinkProxy.dropped} to the collector, ${sinkProxy.held} held past the collector's 10 s timeout; every sender retried`,
    });
    assert.ok(appProxy.dropped > 0 && sinkProxy.dropped > 0 && sinkProxy.held === 1, 'the faults were injected');
    assert.equal(lost, 0, `lost ${lost}`);
    assert.equal(duplicated, 0, `${duplicated} duplicate rows`);
    assert.equal(final.rows, final.uids);
    void c;
  });
});

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { SeverityNumber } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  BUILD_TIMEOUT_MS,
  CONFIG_DIR,
  OTELCOL_CONFIG,
  Proc,
  buildBinary,
  cleanEnv,
  collectorEnv,
  freePorts,
  httpGet,
  run,
  tempDir,
  waitFor,
  waitForHttpOk,
} from './helpers';

const LOKI_CONFIG = path.join(CONFIG_DIR, 'loki.yaml');

interface Stream { stream: Record<string, string>; values: [string, string][] }

describe('bundled collector: the Loki route against a real Loki', function () {
  this.timeout(BUILD_TIMEOUT_MS);

  let loki: string;
  let dir: string;
  let lokiHttp: number;
  let otlpHttp: number;
  const procs: Proc[] = [];
  let provider: LoggerProvider | undefined;
  let failed = false;

  before(async function () {
    const otelcol = await buildBinary('build-collector.sh');
    loki = await buildBinary('build-loki.sh');
    dir = tempDir('collector-loki');
    const [lHttp, lGrpc, grpc, http, health, self, prom] = (await freePorts(7)) as [number, number, number, number, number, number, number];
    lokiHttp = lHttp;
    otlpHttp = http;

    const lokiProc = new Proc('loki', loki, [`-config.file=${LOKI_CONFIG}`, '-config.expand-env=true'], cleanEnv({
      DOMAIN_OTEL_LOKI_HTTP_PORT: String(lHttp),
      DOMAIN_OTEL_LOKI_GRPC_PORT: String(lGrpc),
      DOMAIN_OTEL_LOKI_DATA: path.join(dir, 'loki'),
    }), path.join(dir, 'loki.log'), dir);
    procs.push(lokiProc);
    await waitFor('Loki /ready', async () => ((await httpGet(`http://127.0.0.1:${lHttp}/ready`))?.body.trim() === 'ready' ? true : undefined), 90_000)
      .catch((err) => { throw new Error(`${String(err)}\n${lokiProc.log().slice(-3000)}`); });

    const collector = new Proc('collector', otelcol, ['--config', OTELCOL_CONFIG], collectorEnv({ grpc, http, health, self, prom }, dir, {
      // the documented "Loki on" switch; the other destinations are not part of this test
      DOMAIN_OTEL_LOGS_EXPORTERS: '[file/logs, otlp_http/loki]',
      DOMAIN_OTEL_LOKI_ENDPOINT: `http://127.0.0.1:${lHttp}/otlp`,
      DOMAIN_OTEL_TRACES_EXPORTERS: '[debug]',
      DOMAIN_OTEL_AUDIT_EXPORTERS: '[debug]',
      DOMAIN_OTEL_METRICS_EXPORTERS: '[debug]',
    }), path.join(dir, 'collector.log'), dir);
    procs.push(collector);
    await waitForHttpOk(`http://127.0.0.1:${health}/`)
      .catch((err) => { throw new Error(`${String(err)}\n${collector.log().slice(-3000)}`); });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      for (const p of procs) console.error(`--- ${p.name} log (tail) ---\n${p.log().slice(-2500)}`);
    }
  });

  after(async function () {
    await provider?.shutdown().catch(() => undefined);
    await Promise.allSettled(procs.map((p) => p.stop()));
    if (dir && !failed) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.error(`collector Loki test: logs and data kept in ${dir}`);
  });

  it('loki.yaml passes Loki\'s own config check', async function () {
    const res = await run(loki, [`-config.file=${LOKI_CONFIG}`, '-config.expand-env=true', '-verify-config'], { env: cleanEnv({ DOMAIN_OTEL_LOKI_DATA: path.join(dir, 'verify') }) });
    assert.equal(res.code, 0, res.stderr);
  });

  it('logs arrive in Loki over OTLP and LogQL selects events by event_name', async function () {
    const service = `loki-test-${Date.now()}`;
    provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${otlpHttp}/v1/logs` }) })],
    });
    const logger = provider.getLogger('collector-test');
    logger.emit({
      eventName: 'domain.audit.decision', severityNumber: SeverityNumber.INFO, body: 'deny order.delete',
      attributes: { 'domain.audit.outcome': 'deny', 'domain.audit.metadata': { via: 'api', 'casl.check': 'can' } },
    });
    logger.emit({ eventName: 'domain.manager.mutation', severityNumber: SeverityNumber.INFO, body: 'order updated' });
    logger.emit({ eventName: 'domain.rule.evaluation', severityNumber: SeverityNumber.DEBUG, body: 'rule ok' });
    logger.emit({ severityNumber: SeverityNumber.WARN, body: 'a plain log line' });
    await provider.forceFlush();

    const query = async (logql: string): Promise<Stream[] | undefined> => {
      const now = Date.now();
      const qs = new URLSearchParams({ query: logql, start: String((now - 10 * 60_000) * 1e6), end: String((now + 60_000) * 1e6), limit: '100' });
      const r = await httpGet(`http://127.0.0.1:${lokiHttp}/loki/api/v1/query_range?${qs}`);
      if (!r || r.status !== 200) return undefined;
      return (JSON.parse(r.body) as { data: { result: Stream[] } }).data.result;
    };
    const lines = (streams: Stream[]) => streams.flatMap((s) => s.values.map(([, line]) => line)).sort();

    const all = await waitFor('all 4 records in Loki', async () => {
      const res = await query(`{service_name="${service}"}`);
      return res && lines(res).length >= 4 ? res : undefined;
    }, 30_000);
    assert.deepEqual(lines(all), ['a plain log line', 'deny order.delete', 'order updated', 'rule ok']);

    const decisions = await query(`{service_name="${service}"} | event_name = "domain.audit.decision"`);
    assert.ok(decisions);
    assert.deepEqual(lines(decisions), ['deny order.delete']);
    assert.equal(decisions[0]!.stream.domain_audit_outcome, 'deny', 'log attributes are structured metadata');
    // the metadata map is flattened by Loki into one entry per key, under the names the
    // earlier one-attribute-per-key form had
    assert.equal(decisions[0]!.stream.domain_audit_metadata_via, 'api');
    assert.equal(decisions[0]!.stream.domain_audit_metadata_casl_check, 'can');
    const viaApi = await query(`{service_name="${service}"} | domain_audit_metadata_via = "api"`);
    assert.deepEqual(lines(viaApi!), ['deny order.delete']);

    const auditTrail = await query(`{service_name="${service}"} | event_name =~ "domain.audit.decision|domain.manager.mutation"`);
    assert.deepEqual(lines(auditTrail!), ['deny order.delete', 'order updated']);
  });
});

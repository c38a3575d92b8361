/**
 * The viewer's metrics panel over real Prometheus endpoints: an OTel SDK sends
 * domain.cache.invalidations and domain.rule.evaluations to the bundled collector, whose
 * Prometheus exporter the viewer reads as current totals; a real Prometheus server (Debian's
 * package, installed by scripts/setup/prometheus.sh) scrapes that exporter, and the viewer reads
 * increases per step from its HTTP API.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BUILD_TIMEOUT_MS, OTELCOL_CONFIG, Proc, buildBinary, cleanEnv, collectorEnv, freePorts, tempDir, waitFor, waitForHttpOk } from '../../../test/collector/helpers';
import { lookupMetrics, type MetricsLookup } from '../src/ui/prometheus';

const PROMETHEUS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));

describe('audit viewer metrics: the collector\'s Prometheus exporter and a Prometheus server', function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let dir: string;
  const procs: Proc[] = [];
  let exporterUrl: string;
  let promUrl: string;
  let provider: MeterProvider;
  let cache: ReturnType<ReturnType<MeterProvider['getMeter']>['createCounter']>;
  let rules: typeof cache;

  before(async function () {
    assert.ok(PROMETHEUS, 'the prometheus binary is missing: run scripts/setup/prometheus.sh (bootstrap does)');
    const otelcol = await buildBinary('build-collector.sh');
    dir = tempDir('viewer-metrics');
    const [grpc, http, health, self, prom, promServer] = (await freePorts(6)) as [number, number, number, number, number, number];
    const collector = new Proc('collector', otelcol, ['--config', OTELCOL_CONFIG], collectorEnv({ grpc, http, health, self, prom }, dir, {
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: 'unused-token-0123456789',
      DOMAIN_OTEL_METRICS_EXPORTERS: '[prometheus]',
      DOMAIN_OTEL_TRACES_EXPORTERS: '[debug]',
      DOMAIN_OTEL_AUDIT_EXPORTERS: '[debug]',
    }), path.join(dir, 'collector.log'), dir);
    procs.push(collector);
    await waitForHttpOk(`http://127.0.0.1:${health}/`).catch((err) => {
      throw new Error(`collector did not become healthy: ${String(err)}\n${collector.log().slice(-3000)}`);
    });
    exporterUrl = `http://127.0.0.1:${prom}/metrics`;

    writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: collector\n    static_configs:\n      - targets: ['127.0.0.1:${prom}']\n`);
    const server = new Proc('prometheus', PROMETHEUS!, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promServer}`,
    ], cleanEnv(), path.join(dir, 'prometheus.log'), dir);
    procs.push(server);
    promUrl = `http://127.0.0.1:${promServer}`;
    await waitForHttpOk(`${promUrl}/-/ready`).catch((err) => {
      throw new Error(`prometheus did not become ready: ${String(err)}\n${server.log().slice(-3000)}`);
    });

    provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'viewer-metrics-test' }),
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${http}/v1/metrics` }), exportIntervalMillis: 500 })],
    });
    const meter = provider.getMeter('@domain-otel/instrumentation-domain');
    cache = meter.createCounter('domain.cache.invalidations', { unit: '{invalidation}' });
    rules = meter.createCounter('domain.rule.evaluations', { unit: '{evaluation}' });
  });

  after(async () => {
    await provider?.shutdown().catch(() => {});
    await Promise.allSettled(procs.map((p) => p.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a /metrics scrape endpoint: the current totals, said to be totals without history', async () => {
    cache.add(3, { 'domain.cache.name': 'orders', 'domain.cache.reason': 'mutation' });
    rules.add(5, { 'domain.rule.name': 'max-total', 'domain.rule.outcome': 'passed' });
    rules.add(2, { 'domain.rule.name': 'max-total', 'domain.rule.outcome': 'failed' });
    await provider.forceFlush();
    const range = { from: new Date(Date.now() - 600_000), to: new Date() };
    const m = await waitFor('both counters at the exporter', async () => {
      const r = await lookupMetrics(exporterUrl, range, false);
      return r.status === 'totals' && r.totals.length === 3 ? r : undefined;
    });
    assert.equal(m.status, 'totals');
    if (m.status !== 'totals') return;
    assert.match(m.note, /^current counter values from a scrape endpoint \(totals since each service started; no history/);
    const value = (metric: string, label: string, v: string) => m.totals.find((t) => t.metric === metric && t.labels[label] === v)?.value;
    assert.equal(value('domain_cache_invalidations_total', 'domain_cache_reason', 'mutation'), 3);
    assert.equal(value('domain_rule_evaluations_total', 'domain_rule_outcome', 'passed'), 5);
    assert.equal(value('domain_rule_evaluations_total', 'domain_rule_outcome', 'failed'), 2);
    assert.equal((await lookupMetrics(exporterUrl, range, true)).status, 'hidden', 'a tenant-scoped viewer is not shown cross-tenant metrics');
  });

  it('a Prometheus server: increases per step over the range, rule evaluations by outcome', async () => {
    // The server has scraped the first totals; more come, so there is an increase to see.
    await waitFor('the first scrape', async () => {
      const r = await fetch(`${promUrl}/api/v1/query?query=domain_cache_invalidations_total`).then((x) => x.json() as Promise<{ data: { result: unknown[] } }>);
      return r.data.result.length ? true : undefined;
    });
    for (let i = 0; i < 4; i++) {
      cache.add(2, { 'domain.cache.name': 'orders', 'domain.cache.reason': 'mutation' });
      rules.add(1, { 'domain.rule.name': 'max-total', 'domain.rule.outcome': 'failed' });
      await provider.forceFlush();
      await new Promise((r) => setTimeout(r, 1200));
    }
    let last: MetricsLookup | undefined;
    const m = await waitFor('increases in Prometheus', async () => {
      last = await lookupMetrics(promUrl, { from: new Date(Date.now() - 120_000), to: new Date(Date.now() + 1000) }, false);
      if (last.status !== 'series') return undefined;
      const cacheSeries = last.series.find((x) => x.name === 'cache invalidations');
      return cacheSeries && cacheSeries.values.some((v) => v !== null && v > 0) ? last : undefined;
    }, 30_000).catch((err) => { throw new Error(`${String(err)}; last answer ${JSON.stringify(last)}`); });
    assert.equal(m.status, 'series');
    if (m.status !== 'series') return;
    assert.equal(m.source, promUrl);
    assert.equal(m.stepSeconds, 15);
    assert.deepEqual(m.series.map((x) => x.name).sort(), ['cache invalidations', 'rule evaluations: failed', 'rule evaluations: passed']);
    for (const x of m.series) assert.equal(x.values.length, m.timestamps.length);
    const stopped = await lookupMetrics('http://127.0.0.1:9/', { from: new Date(Date.now() - 60_000), to: new Date() }, false);
    assert.equal(stopped.status, 'unreachable');
    assert.match((stopped as { message: string }).message, /^Prometheus not reachable at http:\/\/127\.0\.0\.1:9\/ \(/);
  });
});

import assert from 'node:assert/strict';
import { loadConfig } from '../src/config/load';

describe('loadConfig', () => {
  it('uses the documented defaults with an empty environment', () => {
    const { config, warnings } = loadConfig({});
    assert.deepEqual(warnings.lines, []);
    assert.equal(config.otlp.traces.url, 'http://localhost:4318/v1/traces');
    assert.equal(config.otlp.logs.protocol, 'http/protobuf');
    assert.equal(config.auditLevel, 'changes');
    assert.equal(config.auditDelivery, 'async');
    assert.deepEqual(config.capture, ['audit', 'mutation', 'rule', 'cache']);
    assert.equal(config.sampler, 'parentbased_always_on');
  });

  it('resolves per-signal OTLP settings over the general ones', () => {
    const { config } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9/custom',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=x%20y',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    });
    assert.equal(config.otlp.traces.protocol, 'grpc');
    assert.equal(config.otlp.traces.url, 'http://collector:4318/');
    assert.equal(config.otlp.logs.url, 'http://collector:4318/v1/logs');
    assert.equal(config.otlp.metrics.url, 'http://m:9/custom');
    assert.deepEqual(config.otlp.traces.headers, { a: '1', b: '2' });
    assert.deepEqual(config.otlp.logs.headers, { a: '1', b: 'x y' });
    assert.equal(config.otlp.metrics.timeoutMillis, 2500);
  });

  it('a bad value gives one line naming variable, value and accepted values, and the default', () => {
    const { config, warnings } = loadConfig({ DOMAIN_OTEL_AUDIT_LEVEL: 'everything', OTEL_TRACES_SAMPLER_ARG: '1.5', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' });
    assert.equal(config.auditLevel, 'changes');
    assert.equal(config.samplerArg, 1);
    assert.equal(config.otlp.traces.protocol, 'http/protobuf');
    assert.deepEqual(warnings.lines, [
      'domain-otel: ignoring OTEL_TRACES_SAMPLER_ARG="1.5": expected a number from 0 to 1; using the default (1)',
      'domain-otel: ignoring OTEL_EXPORTER_OTLP_PROTOCOL="udp": expected one of http/protobuf, http/json, grpc; using the default (http/protobuf)',
      'domain-otel: ignoring DOMAIN_OTEL_AUDIT_LEVEL="everything": expected one of changes, none, metadata, full; using the default (changes)',
    ]);
  });

  it('DOMAIN_OTEL_CAPTURE accepts all or a list, and names the unknown item', () => {
    assert.deepEqual(loadConfig({ DOMAIN_OTEL_CAPTURE: 'audit, cache' }).config.capture, ['audit', 'cache']);
    const { config, warnings } = loadConfig({ DOMAIN_OTEL_CAPTURE: 'audit,logs' });
    assert.deepEqual(config.capture, ['audit', 'mutation', 'rule', 'cache']);
    assert.match(warnings.lines[0], /DOMAIN_OTEL_CAPTURE="audit,logs".*unknown: logs/);
  });
});

/**
 * The SDK part of an OpenTelemetry declarative configuration file (OTEL_CONFIG_FILE), turned
 * into the OTEL_* variables the distribution already reads: the values then go through the same
 * parsers and defaults as the environment, and a bad one is reported under its key in the file.
 *
 * Supported: disabled, log_level, resource (attributes, attributes_list, detection/development
 * detectors), propagator (composite, composite_list), tracer_provider (one batch or simple
 * processor per exporter kind: otlp_http, otlp_grpc, console; sampler), meter_provider (periodic
 * readers with the same exporters), logger_provider (like tracer_provider). Everything else in
 * the schema is reported as not supported, key by key.
 */
import { FileIssues, eachKey, isMap, listAt, mapAt, show, type YamlMap } from './issues';

export type Overlay = Record<string, string>;
/** Variable name → where its value came from in the file, for warnings. */
export type Labels = Record<string, string>;

type Signal = 'traces' | 'metrics' | 'logs';
const SIGNAL_UPPER: Record<Signal, string> = { traces: 'TRACES', metrics: 'METRICS', logs: 'LOGS' };

class Out {
  readonly env: Overlay = {};
  readonly labels: Labels = {};

  set(name: string, value: unknown, path: string): void {
    this.env[name] = scalarText(value);
    this.labels[name] = path;
  }
}

function scalarText(value: unknown): string {
  if (Array.isArray(value)) return value.map(scalarText).join(',');
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Severity names of the schema → OTEL_LOG_LEVEL values. */
function logLevel(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const base = value.replace(/[234]$/, '');
  return ({ trace: 'verbose', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'error' } as Record<string, string>)[base];
}

const DETECTORS: Record<string, string> = { host: 'host,os', process: 'process', service: 'serviceinstance', container: 'container' };

export function sdkSection(doc: YamlMap, issues: FileIssues): { env: Overlay; labels: Labels } {
  const out = new Out();
  // A provider the file leaves out exports nothing (as the specification says).
  out.set('OTEL_TRACES_EXPORTER', 'none', 'tracer_provider');
  out.set('OTEL_METRICS_EXPORTER', 'none', 'meter_provider');
  out.set('OTEL_LOGS_EXPORTER', 'none', 'logger_provider');
  const ignore = (why: string) => (_: unknown, path: string) => issues.unsupported(path, why);
  eachKey(issues, doc, '', {
    file_format: () => {},
    disabled: (v, p) => out.set('OTEL_SDK_DISABLED', v, p),
    log_level: (v, p) => {
      const level = logLevel(v);
      if (level === undefined) issues.bad(p, v, 'a severity name: trace, debug, info, warn, error or fatal');
      else out.set('OTEL_LOG_LEVEL', level, p);
    },
    resource: (v, p) => resource(mapAt(issues, v, p), p, issues, out),
    propagator: (v, p) => propagator(mapAt(issues, v, p), p, issues, out),
    tracer_provider: (v, p) => provider('traces', mapAt(issues, v, p), p, issues, out),
    meter_provider: (v, p) => meterProvider(mapAt(issues, v, p), p, issues, out),
    logger_provider: (v, p) => provider('logs', mapAt(issues, v, p), p, issues, out),
    attribute_limits: ignore('attribute limits are not supported by domain-otel (records are bounded by DOMAIN_OTEL_MAX_VALUE_BYTES)'),
    'instrumentation/development': ignore('instrumentation options go in the domain_otel section (docs/configuration.md)'),
    distribution: () => {}, // read by the caller (distribution.domain_otel)
    domain_otel: () => {},
  });
  return out;
}

function resource(map: YamlMap | undefined, path: string, issues: FileIssues, out: Out): void {
  if (map === undefined) return;
  const attrs: string[] = [];
  let detectors: string[] = ['env'];
  eachKey(issues, map, path, {
    attributes: (v, p) => {
      for (const [i, item] of (listAt(issues, v, p) ?? []).entries()) {
        const at = `${p}[${i}]`;
        if (!isMap(item) || typeof item.name !== 'string' || item.name === '' || item.value === undefined || item.value === null || isMap(item.value)) {
          issues.bad(at, item, 'a mapping with name and value');
          continue;
        }
        const value = scalarText(item.value);
        if (item.name === 'service.name') out.set('OTEL_SERVICE_NAME', value, `${at}.value`);
        else attrs.push(`${encodeURIComponent(item.name)}=${encodeURIComponent(value)}`);
      }
    },
    attributes_list: (v, p) => {
      if (typeof v === 'string') { if (v.trim() !== '') attrs.push(v); } else if (v !== null) issues.bad(p, v, 'a string of key=value pairs');
    },
    schema_url: ignore(issues),
    'detection/development': (v, p) => {
      const det = mapAt(issues, v, p);
      if (det === undefined) return;
      eachKey(issues, det, p, {
        detectors: (list, lp) => {
          detectors = ['env'];
          for (const [i, item] of (listAt(issues, list, lp) ?? []).entries()) {
            const name = isMap(item) ? Object.keys(item)[0] : undefined;
            if (name === undefined || !Object.hasOwn(DETECTORS, name)) issues.bad(`${lp}[${i}]`, item, `one of ${Object.keys(DETECTORS).join(', ')}`);
            else detectors.push(DETECTORS[name]!);
          }
        },
        attributes: (_, ap) => issues.unsupported(ap, 'attribute filters of resource detection are not supported by domain-otel'),
      });
    },
  });
  if (attrs.length > 0) out.set('OTEL_RESOURCE_ATTRIBUTES', attrs.join(','), `${path}.attributes`);
  out.set('OTEL_NODE_RESOURCE_DETECTORS', detectors.join(','), `${path}.detection/development`);
}

function ignore(issues: FileIssues) {
  return (_: unknown, p: string) => issues.unsupported(p, 'not supported by domain-otel');
}

function propagator(map: YamlMap | undefined, path: string, issues: FileIssues, out: Out): void {
  if (map === undefined) return;
  const names: string[] = [];
  eachKey(issues, map, path, {
    composite: (v, p) => {
      for (const [i, item] of (listAt(issues, v, p) ?? []).entries()) {
        const name = isMap(item) ? Object.keys(item)[0] : undefined;
        if (name === undefined) issues.bad(`${p}[${i}]`, item, 'a mapping such as {tracecontext: }');
        else names.push(name);
      }
    },
    composite_list: (v, p) => {
      if (typeof v === 'string') names.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
      else if (v !== null) issues.bad(p, v, 'a comma list of propagator names');
    },
  });
  out.set('OTEL_PROPAGATORS', names.length > 0 ? [...new Set(names)] : 'none', `${path}.composite`);
}

/** tracer_provider / logger_provider: processors (batch | simple) with an exporter each. */
function provider(signal: 'traces' | 'logs', map: YamlMap | undefined, path: string, issues: FileIssues, out: Out): void {
  if (map === undefined) return;
  const exporters: string[] = [];
  const batchVar = signal === 'traces' ? 'OTEL_BSP' : 'OTEL_BLRP';
  const processors = (v: unknown, p: string) => {
    for (const [i, item] of (listAt(issues, v, p) ?? []).entries()) {
      const at = `${p}[${i}]`;
      if (!isMap(item)) { issues.bad(at, item, 'a mapping with batch or simple'); continue; }
      eachKey(issues, item, at, {
        batch: (b, bp) => {
          const batch = mapAt(issues, b, bp);
          if (batch === undefined) return;
          eachKey(issues, batch, bp, {
            schedule_delay: (x, xp) => out.set(`${batchVar}_SCHEDULE_DELAY`, x, xp),
            export_timeout: (x, xp) => {
              if (out.env[`OTEL_EXPORTER_OTLP_${SIGNAL_UPPER[signal]}_TIMEOUT`] === undefined) out.set(`OTEL_EXPORTER_OTLP_${SIGNAL_UPPER[signal]}_TIMEOUT`, x, xp);
            },
            max_queue_size: (x, xp) => out.set(`${batchVar}_MAX_QUEUE_SIZE`, x, xp),
            max_export_batch_size: (x, xp) => out.set(`${batchVar}_MAX_EXPORT_BATCH_SIZE`, x, xp),
            exporter: (x, xp) => exporter(signal, mapAt(issues, x, xp), xp, issues, out, exporters),
          });
        },
        simple: (s, sp) => {
          const simple = mapAt(issues, s, sp);
          if (simple === undefined) return;
          eachKey(issues, simple, sp, {
            exporter: (x, xp) => {
              const kind = isMap(x) ? Object.keys(x)[0] : undefined;
              if (kind !== 'console') issues.note(`${xp}: a simple processor is used for console only; ${kind ?? 'this exporter'} is batched`);
              exporter(signal, mapAt(issues, x, xp), xp, issues, out, exporters);
            },
          });
        },
      });
    }
  };
  const known: Record<string, (v: unknown, p: string) => void> = { processors };
  if (signal === 'traces') {
    known.sampler = (v, p) => sampler(v, p, issues, out);
    known.limits = ignore(issues);
    known.id_generator = ignore(issues);
    known['tracer_configurator/development'] = ignore(issues);
  } else {
    known.limits = ignore(issues);
    known['logger_configurator/development'] = ignore(issues);
  }
  eachKey(issues, map, path, known);
  out.set(`OTEL_${signal === 'traces' ? 'TRACES' : 'LOGS'}_EXPORTER`, exporters.length > 0 ? [...new Set(exporters)] : 'none', `${path}.processors`);
}

function meterProvider(map: YamlMap | undefined, path: string, issues: FileIssues, out: Out): void {
  if (map === undefined) return;
  const exporters: string[] = [];
  eachKey(issues, map, path, {
    readers: (v, p) => {
      for (const [i, item] of (listAt(issues, v, p) ?? []).entries()) {
        const at = `${p}[${i}]`;
        if (!isMap(item)) { issues.bad(at, item, 'a mapping with periodic'); continue; }
        eachKey(issues, item, at, {
          periodic: (r, rp) => {
            const reader = mapAt(issues, r, rp);
            if (reader === undefined) return;
            eachKey(issues, reader, rp, {
              interval: (x, xp) => out.set('OTEL_METRIC_EXPORT_INTERVAL', x, xp),
              timeout: (x, xp) => out.set('OTEL_METRIC_EXPORT_TIMEOUT', x, xp),
              exporter: (x, xp) => exporter('metrics', mapAt(issues, x, xp), xp, issues, out, exporters),
              producers: ignore(issues),
              cardinality_limits: ignore(issues),
            });
          },
          pull: (_, rp) => issues.unsupported(rp, 'pull readers (Prometheus) are not supported by domain-otel; export OTLP to the collector and scrape its Prometheus exporter'),
        });
      }
    },
    views: ignore(issues),
    exemplar_filter: ignore(issues),
    'meter_configurator/development': ignore(issues),
  });
  out.set('OTEL_METRICS_EXPORTER', exporters.length > 0 ? [...new Set(exporters)] : 'none', `${path}.readers`);
}

function exporter(signal: Signal, map: YamlMap | undefined, path: string, issues: FileIssues, out: Out, exporters: string[]): void {
  if (map === undefined) return;
  const prefix = `OTEL_EXPORTER_OTLP_${SIGNAL_UPPER[signal]}`;
  const otlp = (kind: 'otlp_http' | 'otlp_grpc') => (v: unknown, p: string) => {
    if (exporters.includes('otlp')) {
      issues.unsupported(p, `one OTLP exporter per signal is supported by domain-otel; the first (${signal}) is used`);
      return;
    }
    exporters.push('otlp');
    let protocol = kind === 'otlp_grpc' ? 'grpc' : 'http/protobuf';
    const cfg = mapAt(issues, v, p) ?? {};
    const headers: string[] = [];
    const handlers: Record<string, (x: unknown, xp: string) => void> = {
      endpoint: (x, xp) => { if (x !== null) out.set(`${prefix}_ENDPOINT`, x, xp); },
      headers: (x, xp) => {
        for (const [i, h] of (listAt(issues, x, xp) ?? []).entries()) {
          if (isMap(h) && typeof h.name === 'string' && (typeof h.value === 'string' || h.value === null)) {
            if (h.value !== null) headers.push(`${h.name}=${encodeURIComponent(h.value)}`);
          } else {
            issues.bad(`${xp}[${i}]`, h, 'a mapping with name and value (strings)');
          }
        }
      },
      headers_list: (x, xp) => {
        if (typeof x === 'string') { if (x.trim() !== '') headers.push(x); } else if (x !== null) issues.bad(xp, x, 'a string of key=value pairs');
      },
      compression: (x, xp) => { if (x !== null) out.set(`${prefix}_COMPRESSION`, x, xp); },
      timeout: (x, xp) => { if (x !== null) out.set(`${prefix}_TIMEOUT`, x, xp); },
      tls: (_, xp) => issues.unsupported(xp, 'TLS files are not read by domain-otel; use an https:// endpoint and NODE_EXTRA_CA_CERTS for a private CA (docs/operations.md)'),
    };
    if (kind === 'otlp_http') {
      handlers.encoding = (x, xp) => {
        if (x === 'json') protocol = 'http/json';
        else if (x !== 'protobuf' && x !== null) issues.bad(xp, x, 'protobuf or json');
      };
    } else {
      handlers.insecure = () => {};
    }
    if (signal === 'metrics') {
      handlers.temporality_preference = ignore(issues);
      handlers.default_histogram_aggregation = ignore(issues);
    }
    eachKey(issues, cfg, p, handlers);
    out.set(`${prefix}_PROTOCOL`, protocol, p);
    if (headers.length > 0) out.set(`${prefix}_HEADERS`, headers.join(','), `${p}.headers`);
  };
  eachKey(issues, map, path, {
    otlp_http: otlp('otlp_http'),
    otlp_grpc: otlp('otlp_grpc'),
    console: () => exporters.push('console'),
    'otlp_file/development': ignore(issues),
  });
}

function sampler(value: unknown, path: string, issues: FileIssues, out: Out): void {
  const map = mapAt(issues, value, path);
  if (map === undefined) return;
  const name = Object.keys(map)[0];
  const ratio = (m: unknown, p: string) => {
    const r = isMap(m) ? m.ratio : undefined;
    if (r !== undefined && r !== null) out.set('OTEL_TRACES_SAMPLER_ARG', r, `${p}.ratio`);
  };
  if (Object.keys(map).length !== 1) {
    issues.bad(path, map, 'exactly one sampler');
    return;
  }
  const at = `${path}.${name}`;
  switch (name) {
    case 'always_on':
    case 'always_off':
      out.set('OTEL_TRACES_SAMPLER', name, at);
      return;
    case 'trace_id_ratio_based':
      out.set('OTEL_TRACES_SAMPLER', 'traceidratio', at);
      ratio(map[name], at);
      return;
    case 'parent_based': {
      const pb = isMap(map[name]) ? (map[name] as YamlMap) : {};
      for (const key of Object.keys(pb)) {
        if (key !== 'root') issues.unsupported(`${at}.${key}`, 'only root is configurable; parents decide for their children');
      }
      const root = isMap(pb.root) ? Object.keys(pb.root)[0] : 'always_on';
      if (root === 'always_on' || root === 'always_off') out.set('OTEL_TRACES_SAMPLER', `parentbased_${root}`, `${at}.root`);
      else if (root === 'trace_id_ratio_based') {
        out.set('OTEL_TRACES_SAMPLER', 'parentbased_traceidratio', `${at}.root`);
        ratio((pb.root as YamlMap)[root], `${at}.root.${root}`);
      } else issues.bad(`${at}.root`, pb.root, 'always_on, always_off or trace_id_ratio_based');
      return;
    }
    default:
      issues.bad(path, map, `one of always_on, always_off, trace_id_ratio_based, parent_based (not ${show(name)})`);
  }
}

import os from 'node:os';
import path from 'node:path';
import { OTLP, SIGNALS, TRACES_EXPORTER, METRICS_EXPORTER, LOGS_EXPORTER, VARIABLES, allVariables } from './variables';
import type { Protocol, Signal, VariableSpec } from './variables';

export type Env = Readonly<Record<string, string | undefined>>;

/** Collects one line per bad value; printed by the caller through the diag channel. */
export class ConfigWarnings {
  private readonly seen = new Set<string>();
  /** Variable name → where a configuration file set it; warnings then name the file's key. */
  labels: Readonly<Record<string, string>> = {};

  get lines(): string[] {
    return [...this.seen];
  }

  badValue(name: string, raw: string, expected: string, defaultText: string): void {
    const label = this.labels[name];
    const what = label === undefined ? `${name}=${JSON.stringify(raw)}` : `${label}: ${JSON.stringify(raw)} (for ${name})`;
    this.seen.add(`domain-otel: ignoring ${what}: expected ${expected}; using the default (${defaultText})`);
  }

  add(line: string): void {
    this.seen.add(`domain-otel: ${line}`);
  }
}

export function readVariable<T>(env: Env, spec: VariableSpec<T>, warnings: ConfigWarnings): T {
  const raw = env[spec.name];
  if (raw === undefined || raw.trim() === '') return spec.default;
  const parsed = spec.parse(raw);
  if (parsed.ok) return parsed.value;
  warnings.badValue(spec.name, raw, parsed.expected, spec.defaultText);
  return spec.default;
}

export interface OtlpSignalConfig {
  protocol: Protocol;
  /** Fully resolved URL the exporter sends to. */
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
}

function resolveOtlp(env: Env, signal: Signal, warnings: ConfigWarnings): OtlpSignalConfig {
  const g = OTLP.general;
  const s = OTLP[signal];
  const protocol = readVariable(env, s.protocol, warnings) ?? readVariable(env, g.protocol, warnings) ?? 'http/protobuf';
  const specific = readVariable(env, s.endpoint, warnings);
  const base = readVariable(env, g.endpoint, warnings);
  let url: string;
  if (specific !== undefined) url = specific;
  else if (protocol === 'grpc') url = base ?? 'http://localhost:4317';
  else url = `${(base ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/${signal}`;
  return {
    protocol,
    url,
    headers: { ...readVariable(env, g.headers, warnings), ...readVariable(env, s.headers, warnings) },
    timeoutMillis: readVariable(env, s.timeout, warnings) ?? readVariable(env, g.timeout, warnings) ?? 10000,
    compression: readVariable(env, s.compression, warnings) ?? readVariable(env, g.compression, warnings) ?? 'none',
  };
}

/** Base of the spool and dead-letter defaults: XDG state dir, else ~/.local/state, else the temp dir. */
function stateDir(env: Env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'domain-otel');
  const home = env.HOME ?? env.USERPROFILE;
  if (home !== undefined && path.isAbsolute(home)) return path.join(home, '.local', 'state', 'domain-otel');
  return path.join(os.tmpdir(), `domain-otel-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
}

/**
 * Reads every variable once, and the configuration files when one is named (config/file/).
 * Never throws: bad values become warnings and defaults.
 */
export function loadConfig(env: Env = process.env) {
  const warnings = new ConfigWarnings();
  const files = readConfigFiles(env, warnings);
  if (files !== undefined) {
    env = files.env;
    warnings.labels = files.labels;
  }
  const v = VARIABLES;
  const read = <T>(spec: VariableSpec<T>) => readVariable(env, spec, warnings);
  const config = {
    sdkDisabled: read(v.sdkDisabled),
    logLevel: read(v.logLevel),
    serviceName: read(v.serviceName),
    resourceAttributes: read(v.resourceAttributes),
    resourceDetectors: read(v.resourceDetectors),
    enabledInstrumentations: read(v.enabledInstrumentations),
    disabledInstrumentations: read(v.disabledInstrumentations),
    propagators: read(v.propagators),
    sampler: read(v.sampler),
    samplerArg: read(v.samplerArg),
    exporters: {
      traces: read(TRACES_EXPORTER),
      metrics: read(METRICS_EXPORTER),
      logs: read(LOGS_EXPORTER),
    },
    otlp: Object.fromEntries(SIGNALS.map((s) => [s, resolveOtlp(env, s, warnings)])) as Record<Signal, OtlpSignalConfig>,
    metricExportInterval: read(v.metricExportInterval),
    metricExportTimeout: read(v.metricExportTimeout),
    spanBatch: {
      scheduledDelayMillis: read(v.bspScheduleDelay),
      maxQueueSize: read(v.bspMaxQueueSize),
      maxExportBatchSize: read(v.bspMaxExportBatchSize),
    },
    logBatch: {
      scheduledDelayMillis: read(v.blrpScheduleDelay),
      maxQueueSize: read(v.blrpMaxQueueSize),
      maxExportBatchSize: read(v.blrpMaxExportBatchSize),
    },
    auditLevel: read(v.auditLevel),
    redact: read(v.redact),
    maxValueBytes: read(v.maxValueBytes),
    auditDelivery: read(v.auditDelivery),
    strictTimeoutMillis: read(v.strictTimeout),
    auditQueueSize: read(v.auditQueueSize),
    auditSpool: read(v.auditSpool),
    auditSpoolDir: path.resolve(read(v.auditSpoolDir) ?? path.join(stateDir(env), 'spool')),
    auditSpoolMaxBytes: read(v.auditSpoolMaxBytes),
    auditDeadLetterDir: path.resolve(read(v.auditDeadLetterDir) ?? path.join(stateDir(env), 'dead-letter')),
    capture: read(v.capture),
    correlationHeaders: read(v.correlationHeaders),
    shutdownTimeoutMillis: read(v.shutdownTimeout),
    metricsTemporality: read(v.metricsTemporality),
    exportThread: read(v.exportThread),
    recordPath: read(v.recordPath),
    authzSpans: read(v.authzSpans),
    expressLayers: read(v.expressLayers),
    pgConnectSpans: read(v.pgConnectSpans),
    /** Options of our instrumentations from a configuration file, by instrumentation name. */
    instrumentationOptions: files?.instrumentationOptions ?? {},
    configFiles: files?.files ?? [],
  };
  if (config.spanBatch.maxExportBatchSize > config.spanBatch.maxQueueSize) {
    warnings.add(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${config.spanBatch.maxExportBatchSize}) is larger than OTEL_BSP_MAX_QUEUE_SIZE; using ${config.spanBatch.maxQueueSize}`);
    config.spanBatch.maxExportBatchSize = config.spanBatch.maxQueueSize;
  }
  if (config.logBatch.maxExportBatchSize > config.logBatch.maxQueueSize) {
    warnings.add(`OTEL_BLRP_MAX_EXPORT_BATCH_SIZE (${config.logBatch.maxExportBatchSize}) is larger than OTEL_BLRP_MAX_QUEUE_SIZE; using ${config.logBatch.maxQueueSize}`);
    config.logBatch.maxExportBatchSize = config.logBatch.maxQueueSize;
  }
  return { config, warnings };
}

export type DistroConfig = ReturnType<typeof loadConfig>['config'];

function readConfigFiles(env: Env, warnings: ConfigWarnings): import('./file').FileConfig | undefined {
  const named = (name: string) => (env[name] ?? '').trim() !== '';
  if (!named('OTEL_CONFIG_FILE') && !named('OTEL_EXPERIMENTAL_CONFIG_FILE') && !named('DOMAIN_OTEL_CONFIG_FILE')) return undefined;
  try {
    // YAML and the schema validator load only when a file is named
    const file = require('./file') as typeof import('./file');
    const { knownInstrumentationNames } = require('../instrumentations') as typeof import('../instrumentations');
    return file.loadConfigFiles(env, warnings, allVariables(), knownInstrumentationNames());
  } catch (err) {
    warnings.add(`the configuration file could not be applied (${err instanceof Error ? err.message : String(err)}); using the environment only`);
    return undefined;
  }
}

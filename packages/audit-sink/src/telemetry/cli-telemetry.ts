/** `serve --metrics-port/--metrics-host` and the OTEL_* variables: when the sink observes itself. */
import type { Pool } from 'pg';
import { parseNonEmpty, parsePort } from '../args';
import { UsageError, errorLine } from '../errors';
import { startSinkTelemetry, type SinkTelemetry } from './sink-telemetry';

export const SERVE_TELEMETRY_OPTIONS = {
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
} as const;

export const SERVE_TELEMETRY_HELP = `  --metrics-port PORT    serve the sink's own metrics for Prometheus on http://HOST:PORT/metrics
                         (env DOMAIN_OTEL_AUDIT_SINK_METRICS_PORT; default: not served)
  --metrics-host HOST    bind address of that endpoint (env DOMAIN_OTEL_AUDIT_SINK_METRICS_HOST, default 127.0.0.1)
                         OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_{METRICS,TRACES}_ENDPOINT) also sends
                         the sink's metrics and request traces over OTLP/HTTP (OTEL_SERVICE_NAME, default domain-otel-audit)
`;

export interface ServeTelemetryConfig {
  prometheus?: { host: string; port: number };
  env: Readonly<Record<string, string | undefined>>;
}

const OTLP_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];

/** Undefined when neither a metrics port nor an OTLP endpoint is configured: no telemetry at all. */
export function serveTelemetryConfig(v: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): ServeTelemetryConfig | undefined {
  const flag = (name: string, envName: string): [string, string] | undefined => {
    const fromFlag = v[name] as string | undefined;
    if (fromFlag !== undefined) return [`--${name}`, fromFlag];
    const fromEnv = env[envName];
    return fromEnv ? [envName, fromEnv] : undefined;
  };
  const port = flag('metrics-port', 'DOMAIN_OTEL_AUDIT_SINK_METRICS_PORT');
  const host = flag('metrics-host', 'DOMAIN_OTEL_AUDIT_SINK_METRICS_HOST');
  if (host && !port) throw new UsageError(`serve: ${host[0]} needs --metrics-port`);
  const otlp = OTLP_VARIABLES.some((n) => env[n]) || /otlp/.test(`${env.OTEL_METRICS_EXPORTER ?? ''}${env.OTEL_TRACES_EXPORTER ?? ''}`);
  if (!port && !otlp) return undefined;
  return {
    ...(port ? { prometheus: { host: host ? parseNonEmpty(host[0], host[1]) : '127.0.0.1', port: parsePort(port[0], port[1]) } } : {}),
    env,
  };
}

export async function startServeTelemetry(config: ServeTelemetryConfig, pool: Pool, log: (line: string) => void): Promise<SinkTelemetry> {
  try {
    const telemetry = await startSinkTelemetry({ ...config, pool, version: packageVersion(), log });
    if (telemetry.metricsUrl) log(`domain-otel-audit: own metrics on ${telemetry.metricsUrl}`);
    return telemetry;
  } catch (err) {
    const where = config.prometheus ? `${config.prometheus.host}:${config.prometheus.port}` : 'OTLP';
    throw new UsageError(`serve: cannot serve the sink's metrics on ${where} (${errorLine(err)})`);
  }
}

function packageVersion(): string {
  // package.json sits two levels up from src/ and dist/
  return (require('../../package.json') as { version: string }).version;
}

// OTEL_EXPORTER_OTLP_*: the general variables and their per-signal overrides.
import * as p from '../parsers';
import { specsOf } from './spec';
import { PROTOCOLS } from './values';
import type { Protocol, Signal } from './values';

const { spec } = specsOf('OpenTelemetry');

/** OTEL_EXPORTER_OTLP_{,TRACES_,METRICS_,LOGS_}{PROTOCOL,ENDPOINT,HEADERS,TIMEOUT,COMPRESSION}. */
function otlpVariables(signal: Signal | undefined) {
  const infix = signal ? `${signal.toUpperCase()}_` : '';
  const scope = signal ? `for ${signal} only (overrides the general variable)` : 'for all signals';
  const name = (setting: string) => `OTEL_EXPORTER_OTLP_${infix}${setting}`;
  /** Shown as the default of a per-signal variable: it falls back to the general one. */
  const general = (text: string) => (signal ? '(general value)' : text);
  return {
    protocol: spec<Protocol | undefined>({
      name: name('PROTOCOL'), parse: p.oneOf(PROTOCOLS), default: undefined,
      defaultText: general('http/protobuf'), accepted: PROTOCOLS.join(', '), meaning: `OTLP transport ${scope}.`,
    }),
    endpoint: spec<string | undefined>({
      name: name('ENDPOINT'), parse: p.url, default: undefined,
      defaultText: signal ? '(general value + /v1/' + signal + ')' : 'http://localhost:4318 (http), http://localhost:4317 (grpc)',
      accepted: 'http:// or https:// URL',
      meaning: signal ? `Full URL ${scope}; used as is.` : 'Base URL; for HTTP the signal path (/v1/traces, …) is appended.',
    }),
    headers: spec<Record<string, string> | undefined>({
      name: name('HEADERS'), parse: p.keyValueList, default: undefined, defaultText: '(none)',
      accepted: 'key=value,key2=value2 (values percent-encoded)', meaning: `Headers sent with each export ${scope}.`,
    }),
    timeout: spec<number | undefined>({
      name: name('TIMEOUT'), parse: p.positiveInteger, default: undefined,
      defaultText: general('10000'), accepted: 'positive integer (ms)', meaning: `Export timeout ${scope}.`,
    }),
    compression: spec<'gzip' | 'none' | undefined>({
      name: name('COMPRESSION'), parse: p.oneOf(['gzip', 'none'] as const), default: undefined,
      defaultText: general('none'), accepted: 'gzip, none', meaning: `Payload compression ${scope}.`,
    }),
  };
}

export const OTLP = {
  general: otlpVariables(undefined),
  traces: otlpVariables('traces'),
  metrics: otlpVariables('metrics'),
  logs: otlpVariables('logs'),
};

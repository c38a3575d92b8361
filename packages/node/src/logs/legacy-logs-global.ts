/**
 * Some upstream packages still use the pre-3.x logs API, `@opentelemetry/api-logs`, which keeps
 * its logger provider under its own global key: `@opentelemetry/winston-transport` (how the
 * winston instrumentation sends winston records as OTLP logs) is one. Registering our provider
 * under that key too sends their records through the same processors and exporter as ours.
 */
import type { LoggerProvider } from '@opentelemetry/sdk-logs';

const LEGACY_LOGS_KEY = Symbol.for('io.opentelemetry.js.api.logs');
/** `API_BACKWARDS_COMPATIBILITY_VERSION` of @opentelemetry/api-logs: the getter answers only this version. */
const LEGACY_COMPATIBILITY_VERSION = 1;

type LegacyGetter = (version: number) => unknown;
type GlobalWithLegacyLogs = typeof globalThis & { [LEGACY_LOGS_KEY]?: LegacyGetter };

/** Registers `provider` for pre-3.x logs API users unless something else already did; returns the undo. */
export function registerLegacyLogsGlobal(provider: LoggerProvider): () => void {
  const g = globalThis as GlobalWithLegacyLogs;
  if (g[LEGACY_LOGS_KEY] !== undefined) return () => {};
  const getter: LegacyGetter = (version) => (version === LEGACY_COMPATIBILITY_VERSION ? provider : undefined);
  g[LEGACY_LOGS_KEY] = getter;
  return () => {
    if (g[LEGACY_LOGS_KEY] === getter) delete g[LEGACY_LOGS_KEY];
  };
}

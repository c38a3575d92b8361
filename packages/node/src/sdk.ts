// Entry point kept light: with OTEL_SDK_DISABLED=true nothing but the configuration is loaded.
import { loadConfig } from './config/load';
import type { DistroConfig } from './config/load';

export type StartedBy = 'require' | 'import' | 'start()';

export interface DomainOtelHandle {
  readonly config: DistroConfig;
  readonly startedBy: StartedBy;
  readonly instrumentations: readonly string[];
  /** Flushes everything queued (spans, logs, audit records, metrics). */
  flush(): Promise<void>;
  /** Final flush and close; bounded by DOMAIN_OTEL_SHUTDOWN_TIMEOUT. */
  shutdown(): Promise<void>;
}

const STATE = Symbol.for('@domain-otel/node.state');
type GlobalWithState = typeof globalThis & { [STATE]?: DomainOtelHandle | 'disabled' };

export function current(): DomainOtelHandle | undefined {
  const s = (globalThis as GlobalWithState)[STATE];
  return s === 'disabled' ? undefined : s;
}

/**
 * Starts the distribution once per process. A second call (e.g. `--require` and `--import`
 * together, or start() after a preload) warns and returns the running instance.
 */
export function start(options: { startedBy?: StartedBy; env?: NodeJS.ProcessEnv } = {}): DomainOtelHandle | undefined {
  const startedBy = options.startedBy ?? 'start()';
  const g = globalThis as GlobalWithState;
  const existing = g[STATE];
  if (existing !== undefined) {
    if (existing !== 'disabled') {
      process.stderr.write(`domain-otel: already started by ${existing.startedBy}; ignoring the second start from ${startedBy} (nothing is instrumented twice)\n`);
    }
    return existing === 'disabled' ? undefined : existing;
  }
  const { config, warnings } = loadConfig(options.env ?? process.env);
  if (config.sdkDisabled) {
    g[STATE] = 'disabled';
    return undefined;
  }
  try {
    // loaded only when enabled
    (require('./diag') as typeof import('./diag')).installDiag(config.logLevel);
    // loaded only when enabled
    const { startSdk } = require('./start-sdk') as typeof import('./start-sdk');
    const handle = startSdk(config, startedBy, warnings.lines);
    g[STATE] = handle;
    return handle;
  } catch (err) {
    // Telemetry must never stop the app from starting.
    reportStartFailure(`domain-otel: could not start, the app runs without telemetry: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    g[STATE] = 'disabled';
    return undefined;
  }
}

function reportStartFailure(line: string): void {
  // The SDK itself may be what failed to load: report through the API's diag only.
  (require('@opentelemetry/api') as typeof import('@opentelemetry/api')).diag.error(line);
}

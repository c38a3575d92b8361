import { current, start as startDistro } from './sdk';
import type { DomainOtelHandle } from './sdk';

export type { DomainOtelHandle, StartedBy } from './sdk';
export { loadConfig } from './config/load';
export type { DistroConfig } from './config/load';
export { allVariables } from './config/variables';
export { INSTRUMENTATION_OPTIONS } from './config/file/instrumentation-options';
export { knownInstrumentationNames } from './instrumentations';
export { DISTRO_NAME, DISTRO_VERSION } from './version';

/** Starts domain-otel from code (instead of --require/--import). Safe to call twice. */
export function start(): DomainOtelHandle | undefined {
  return startDistro({ startedBy: 'start()' });
}

/** Flushes and closes everything; resolves within DOMAIN_OTEL_SHUTDOWN_TIMEOUT. */
export async function shutdown(): Promise<void> {
  await current()?.shutdown();
}

/** Flushes everything queued without closing. */
export async function flush(): Promise<void> {
  await current()?.flush();
}

/**
 * The `domain_otel` section of a configuration file: the DOMAIN_OTEL_* settings by their name
 * without the prefix, lower case (`audit_level: full` is DOMAIN_OTEL_AUDIT_LEVEL=full), and
 * `instrumentations.<name>.<option>` for the options of each instrumentation.
 */
import { FileIssues, eachKey, isMap, mapAt, type YamlMap } from './issues';
import { readInstrumentationOptions, type FileOptions } from './instrumentation-options';
import type { Labels, Overlay } from './sdk-section';

export const DOMAIN_PREFIX = 'DOMAIN_OTEL_';

/** The file key of a DOMAIN_OTEL_* variable. */
export function fileKeyOf(variable: string): string {
  return variable.slice(DOMAIN_PREFIX.length).toLowerCase();
}

export interface DomainSection {
  env: Overlay;
  labels: Labels;
  options: Record<string, FileOptions>;
}

export function domainSection(
  map: YamlMap,
  path: string,
  issues: FileIssues,
  variables: readonly string[],
  instrumentationNames: readonly string[],
): DomainSection {
  const out: DomainSection = { env: {}, labels: {}, options: {} };
  const handlers: Record<string, (value: unknown, path: string) => void> = {};
  for (const name of variables) {
    if (!name.startsWith(DOMAIN_PREFIX) || name === 'DOMAIN_OTEL_CONFIG_FILE') continue;
    handlers[fileKeyOf(name)] = (value, at) => {
      if (isMap(value) || value === null) {
        issues.bad(at, value, `a value as for ${name} (see docs/configuration.md)`);
        return;
      }
      out.env[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
      out.labels[name] = at;
    };
  }
  handlers.instrumentations = (value, at) => {
    const all = mapAt(issues, value, at);
    if (all === undefined) return;
    eachKey(issues, all, at, Object.fromEntries(instrumentationNames.map((n) => [n, (v: unknown, p: string) => {
      const options = mapAt(issues, v, p);
      if (options !== undefined) out.options[n] = readInstrumentationOptions(n, options, p, issues);
    }])));
  };
  eachKey(issues, map, path, handlers);
  return out;
}

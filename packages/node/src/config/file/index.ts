/**
 * Configuration files, loaded only when one is named (the YAML parser and the OpenTelemetry
 * schema validator cost start-up time):
 *
 * - OTEL_CONFIG_FILE (OTEL_EXPERIMENTAL_CONFIG_FILE is its former name): an OpenTelemetry
 *   declarative configuration file. @opentelemetry/configuration parses it, substitutes
 *   environment variables and checks it against the upstream schema; its SDK part replaces the
 *   OTEL_* variables (as the specification says) and is applied by sdk-section.ts. When the
 *   schema check fails (it reports only the first error and refuses the whole file), the file is
 *   applied key by key instead, so a bad key costs that key only.
 * - DOMAIN_OTEL_CONFIG_FILE: a YAML file with a `domain_otel:` section only.
 *
 * The `domain_otel` section (top level, or `distribution.domain_otel`, the schema's place for a
 * distribution's own settings) holds the DOMAIN_OTEL_* settings and instrumentation options.
 * Nothing here throws: an unreadable or unparsable file is one warning and is not used.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ConfigWarnings, Env } from '../load';
import { FileIssues, isMap, type YamlMap } from './issues';
import { domainSection } from './domain-section';
import type { FileOptions } from './instrumentation-options';
import { sdkSection, type Labels, type Overlay } from './sdk-section';
import { substituteEnv } from './substitute';

export interface FileConfig {
  /** The environment to read the variables from: the file's values laid over the real one. */
  env: Env;
  /** Variable name → key in the file, for warnings about a value that came from the file. */
  labels: Labels;
  /** Instrumentation name → options from the file. */
  instrumentationOptions: Record<string, FileOptions>;
  /** Files in use, for the start-up line. */
  files: string[];
}

/** Variables naming a file; each is read only when set. */
export function configFileNames(env: Env): { otel?: [string, string]; domain?: string } {
  const otel = nonEmpty(env.OTEL_CONFIG_FILE) ? ['OTEL_CONFIG_FILE', env.OTEL_CONFIG_FILE!] as [string, string]
    : nonEmpty(env.OTEL_EXPERIMENTAL_CONFIG_FILE) ? ['OTEL_EXPERIMENTAL_CONFIG_FILE', env.OTEL_EXPERIMENTAL_CONFIG_FILE!] as [string, string]
      : undefined;
  const domain = nonEmpty(env.DOMAIN_OTEL_CONFIG_FILE) ? env.DOMAIN_OTEL_CONFIG_FILE!.trim() : undefined;
  return { ...(otel ? { otel: [otel[0], otel[1].trim()] as [string, string] } : {}), ...(domain ? { domain } : {}) };
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '';
}

export function loadConfigFiles(
  env: Env,
  warnings: ConfigWarnings,
  variables: readonly { name: string; origin: string }[],
  instrumentationNames: readonly string[],
): FileConfig | undefined {
  const names = configFileNames(env);
  const merged: Record<string, string | undefined> = { ...env };
  const out: FileConfig = { env: merged, labels: {}, instrumentationOptions: {}, files: [] };
  let domain: { map: YamlMap; path: string; issues: FileIssues } | undefined;

  if (names.otel) {
    const [variable, file] = names.otel;
    if (variable === 'OTEL_EXPERIMENTAL_CONFIG_FILE') warnings.add('OTEL_EXPERIMENTAL_CONFIG_FILE is the former name of OTEL_CONFIG_FILE; reading it');
    const issues = new FileIssues(file, warnings);
    const doc = readOtelFile(file, env, issues);
    if (doc !== undefined) {
      out.files.push(file);
      const sdk = sdkSection(doc, issues);
      // The file replaces the OTEL_* SDK variables; the instrumentation selection is not part of
      // the schema and still comes from the environment.
      for (const v of variables) {
        if (v.origin === 'OpenTelemetry' && !/^OTEL_NODE_(EN|DIS)ABLED_INSTRUMENTATIONS$/.test(v.name)) delete merged[v.name];
      }
      Object.assign(merged, sdk.env);
      Object.assign(out.labels, labelled(sdk.labels, file));
      domain = domainMapOf(doc, issues);
    }
  }

  if (names.domain) {
    const file = names.domain;
    const issues = new FileIssues(file, warnings);
    const doc = readYaml(file, env, issues);
    if (doc !== undefined) {
      out.files.push(file);
      for (const key of Object.keys(doc)) {
        if (key !== 'domain_otel' && key !== 'distribution') {
          issues.unsupported(key, 'DOMAIN_OTEL_CONFIG_FILE holds the domain_otel section only; SDK settings go in an OTEL_CONFIG_FILE');
        }
      }
      const own = domainMapOf(doc, issues);
      if (own !== undefined) {
        if (domain !== undefined) issues.note(`its domain_otel section is used; the one in ${domain.issues.file} is not`);
        domain = own;
      }
    }
  }

  if (domain !== undefined) {
    const section = domainSection(domain.map, domain.path, domain.issues, variables.map((v) => v.name), instrumentationNames);
    for (const [name, value] of Object.entries(section.env)) {
      if (nonEmpty(env[name]) && env[name] !== value) {
        domain.issues.note(`${section.labels[name]} overrides ${name}=${JSON.stringify(env[name])} from the environment`);
      }
    }
    Object.assign(merged, section.env);
    Object.assign(out.labels, labelled(section.labels, domain.issues.file));
    out.instrumentationOptions = section.options;
  }
  return out.files.length > 0 ? out : undefined;
}

function labelled(labels: Labels, file: string): Labels {
  return Object.fromEntries(Object.entries(labels).map(([name, key]) => [name, `${key} in ${file}`]));
}

function domainMapOf(doc: YamlMap, issues: FileIssues): { map: YamlMap; path: string; issues: FileIssues } | undefined {
  const underDistribution = isMap(doc.distribution) ? doc.distribution.domain_otel : undefined;
  if (isMap(doc.distribution)) {
    for (const key of Object.keys(doc.distribution)) {
      if (key !== 'domain_otel') issues.unsupported(`distribution.${key}`, 'settings of another distribution');
    }
  }
  if (underDistribution !== undefined && doc.domain_otel !== undefined) {
    issues.note('both distribution.domain_otel and domain_otel are present; distribution.domain_otel is used');
  }
  const [value, path] = underDistribution !== undefined ? [underDistribution, 'distribution.domain_otel'] : [doc.domain_otel, 'domain_otel'];
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) {
    issues.bad(path, value, 'a mapping');
    return undefined;
  }
  return { map: value, path, issues };
}

/** The file read, parsed and substituted by us (the key-by-key path and DOMAIN_OTEL_CONFIG_FILE). */
function readYaml(file: string, env: Env, issues: FileIssues): YamlMap | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    issues.note(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it is not used`);
    return undefined;
  }
  const doc = parseDocument(text, { version: '1.2', prettyErrors: false });
  if (doc.errors.length > 0) {
    issues.note(`is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); it is not used`);
    return undefined;
  }
  substituteEnv(doc, env, (ref) => issues.note(`ignoring the invalid substitution ${ref}: expected \${NAME} or \${NAME:-default}`));
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isMap(value)) {
    issues.note('does not hold a mapping at its top level; it is not used');
    return undefined;
  }
  return value;
}

/**
 * The upstream package's model when the file passes its schema check; otherwise (with one
 * line saying why) the file as we read it, applied key by key.
 */
function readOtelFile(file: string, env: Env, issues: FileIssues): YamlMap | undefined {
  const ours = readYaml(file, env, issues);
  if (ours === undefined) return undefined;
  // The upstream factory reads OTEL_CONFIG_FILE and substitutes from process.env only.
  if (env !== process.env) return ours;
  const saved = process.env.OTEL_CONFIG_FILE;
  try {
    process.env.OTEL_CONFIG_FILE = file;
    // 0.5 MiB validator, loaded only here
    const { createConfigFactory } = require('@opentelemetry/configuration') as typeof import('@opentelemetry/configuration');
    const model: unknown = createConfigFactory().getConfigModel();
    if (!isMap(model)) return ours;
    // The factory fills schema defaults for keys the file left out; keep what the file says
    // about the keys it has, and nothing else (a default is what we apply anyway).
    return { ...pick(model, Object.keys(ours)), file_format: ours.file_format };
  } catch (err) {
    const line = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').replace(`Invalid OpenTelemetry config file: ${file}: `, '');
    issues.note(`does not pass the OpenTelemetry configuration schema (${line}); applying its settings key by key`);
    return ours;
  } finally {
    if (saved === undefined) delete process.env.OTEL_CONFIG_FILE;
    else process.env.OTEL_CONFIG_FILE = saved;
  }
}

function pick(map: YamlMap, keys: readonly string[]): YamlMap {
  return Object.fromEntries(keys.filter((k) => Object.hasOwn(map, k)).map((k) => [k, map[k]]));
}

export type { Overlay };

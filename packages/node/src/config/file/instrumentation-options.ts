/**
 * Options of our instrumentations that a configuration file can set
 * (`domain_otel.instrumentations.<name>.<option>`), as data: hooks that are functions in code
 * take a YAML form here (a mapping for `managerName`, a preset name for `bypass`). The table is
 * also what docs/configuration.md lists (scripts/gen-config-doc.mjs).
 */
import { AUDIT_ACTION_VALUES } from '@domain-otel/semantic-conventions';
import { FileIssues, isMap, type YamlMap } from './issues';

export interface OptionSpec {
  readonly name: string;
  /** What the file may hold, as shown to people (docs and warnings). */
  readonly accepted: string;
  readonly defaultText: string;
  readonly meaning: string;
  /** The parsed value, or undefined after a warning. */
  read(value: unknown, path: string, issues: FileIssues): unknown;
}

const positiveInteger = (value: unknown, path: string, issues: FileIssues) => {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  issues.bad(path, value, 'a positive integer');
  return undefined;
};

const boolean = (value: unknown, path: string, issues: FileIssues) => {
  if (typeof value === 'boolean') return value;
  issues.bad(path, value, 'true or false');
  return undefined;
};

const nonEmptyString = (value: unknown, path: string, issues: FileIssues) => {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  issues.bad(path, value, 'a non-empty string');
  return undefined;
};

function stringList(values?: readonly string[]) {
  const expected = values ? `a list of ${values.join(', ')}` : 'a list of strings';
  return (value: unknown, path: string, issues: FileIssues) => {
    const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
    if (Array.isArray(list) && list.every((s) => typeof s === 'string' && s !== '' && (!values || values.includes(s)))) return list as string[];
    issues.bad(path, value, expected);
    return undefined;
  };
}

/** A mapping of names to strings (or null where `allowNull`). */
function nameMap(valueText: string, allowNull: boolean, values?: readonly string[]) {
  return (value: unknown, path: string, issues: FileIssues) => {
    if (!isMap(value)) {
      issues.bad(path, value, `a mapping of names to ${valueText}`);
      return undefined;
    }
    const out: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(value)) {
      if ((v === null && allowNull) || (typeof v === 'string' && v !== '' && (!values || values.includes(v)))) out[k] = v;
      else issues.bad(`${path}.${k}`, v, valueText);
    }
    return out;
  };
}

const AUDIT_ACTIONS: readonly string[] = Object.values(AUDIT_ACTION_VALUES);
const LRU_REASONS = ['manual', 'clear', 'evict', 'ttl'] as const;

const enabled: OptionSpec = {
  name: 'enabled', accepted: 'true, false', defaultText: 'true',
  meaning: '`false` disables this instrumentation (as if named in `OTEL_NODE_DISABLED_INSTRUMENTATIONS`).', read: boolean,
};

const managerNameSpec = (what: string): OptionSpec => ({
  name: 'managerName', accepted: `mapping of ${what} name → manager name, or null`, defaultText: `the ${what} name`,
  meaning: `\`domain.manager.name\` per ${what}; \`null\` stops reporting that ${what}.`, read: nameMap('a manager name or null', true),
});

const maxEntityIds: OptionSpec = {
  name: 'maxEntityIds', accepted: 'positive integer', defaultText: '100', meaning: 'Most ids listed on one bulk event.', read: positiveInteger,
};

const includeTimestamps: OptionSpec = {
  name: 'includeTimestamps', accepted: 'true, false', defaultText: 'false',
  meaning: 'Keep automatic timestamp and version fields in `changes`.', read: boolean,
};

const onlyNamed: OptionSpec = {
  name: 'onlyNamed', accepted: 'true, false', defaultText: 'false',
  meaning: 'Report only caches named with `nameCache()` (caches that libraries create inside stay out).', read: boolean,
};

const maxKeysPerEvent: OptionSpec = {
  name: 'maxKeysPerEvent', accepted: 'positive integer', defaultText: '100',
  meaning: 'Most keys listed on one event (the count stays exact).', read: positiveInteger,
};

/** Per instrumentation name: the options a file may set. Instrumentations not listed take `enabled` only. */
export const INSTRUMENTATION_OPTIONS: Readonly<Record<string, readonly OptionSpec[]>> = {
  domain: [
    enabled,
    {
      name: 'maxCacheKeys', accepted: 'positive integer', defaultText: '20',
      meaning: 'Most cache keys listed on one invalidation record (`domain.cache.key_count` stays exact). The audit level, redaction, value cap and capture are `domain_otel.audit_level`, `redact`, `max_value_bytes`, `capture`.',
      read: positiveInteger,
    },
  ],
  casl: [
    enabled,
    {
      name: 'grantedReadSampleRatio', accepted: 'number from 0 to 1', defaultText: '1',
      meaning: 'Fraction of granted `read` checks recorded; denials, bypasses and other actions are always recorded.',
      read: (value, path, issues) => {
        if (typeof value === 'number' && value >= 0 && value <= 1) return value;
        issues.bad(path, value, 'a number from 0 to 1');
        return undefined;
      },
    },
    {
      name: 'bypass', accepted: 'manage_all, none', defaultText: 'manage_all',
      meaning: '`manage_all`: a granted check decided by a `manage all` rule is recorded with outcome `bypassed` (the superuser); `none`: recorded as `granted`.',
      read: (value, path, issues) => {
        if (value === 'manage_all' || value === 'none') return value;
        issues.bad(path, value, 'manage_all or none');
        return undefined;
      },
    },
    {
      name: 'actionMap', accepted: `mapping of CASL action → ${AUDIT_ACTIONS.join(', ')}`, defaultText: '{}',
      meaning: 'Audit action for CASL actions other than create/read/update/delete (unmapped ones are `custom`).',
      read: nameMap(`one of ${AUDIT_ACTIONS.join(', ')}`, false, AUDIT_ACTIONS),
    },
    {
      name: 'managerName', accepted: 'mapping of subject type → manager name', defaultText: 'the subject type',
      meaning: '`domain.manager.name` per subject type.', read: nameMap('a manager name', false),
    },
    {
      name: 'entityId', accepted: 'property name', defaultText: 'id',
      meaning: 'Property of a subject instance that holds its id (string, number or bigint).', read: nonEmptyString,
    },
  ],
  sequelize: [
    enabled, managerNameSpec('model'),
    { name: 'ignoreModels', accepted: 'list of model names', defaultText: '[]', meaning: 'Models whose writes are not reported.', read: stringList() },
    includeTimestamps, maxEntityIds,
  ],
  typeorm: [
    enabled, managerNameSpec('entity'),
    { name: 'ignoreEntities', accepted: 'list of entity names', defaultText: '[]', meaning: 'Entities whose writes are not reported.', read: stringList() },
    includeTimestamps, maxEntityIds,
  ],
  'lru-cache': [
    enabled, onlyNamed,
    {
      name: 'reasons', accepted: `list of ${LRU_REASONS.join(', ')}`, defaultText: 'all four',
      meaning: 'Invalidation reasons reported.', read: stringList(LRU_REASONS),
    },
    maxKeysPerEvent,
  ],
  'cache-manager': [enabled, onlyNamed, maxKeysPerEvent],
  'json-rules-engine': [
    enabled,
    {
      name: 'engineName', accepted: 'string', defaultText: 'json-rules-engine',
      meaning: 'Rule set name of engines not named with `nameEngine()`.', read: nonEmptyString,
    },
  ],
};

/** What a file set for one instrumentation: option name → parsed value. */
export type FileOptions = Record<string, unknown>;

/** Reads `domain_otel.instrumentations.<name>` for one name; unknown options warn. */
export function readInstrumentationOptions(name: string, map: YamlMap, path: string, issues: FileIssues): FileOptions {
  const specs = INSTRUMENTATION_OPTIONS[name] ?? [enabled];
  const out: FileOptions = {};
  for (const [key, value] of Object.entries(map)) {
    const spec = specs.find((s) => s.name === key);
    if (spec === undefined) {
      issues.unknown(`${path}.${key}`, specs.map((s) => s.name));
      continue;
    }
    const parsed = spec.read(value, `${path}.${key}`, issues);
    if (parsed !== undefined) out[key] = parsed;
  }
  return out;
}

import type { ConfigWarnings } from '../load';

/** A parsed YAML mapping. */
export type YamlMap = Record<string, unknown>;

export function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Short, single-line rendering of a value for a warning. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * Warnings about one configuration file: one line per bad key or value, naming the key (as a
 * path in the file), the value and what was expected. The key is ignored; the rest applies.
 */
export class FileIssues {
  constructor(
    readonly file: string,
    private readonly warnings: ConfigWarnings,
  ) {}

  bad(path: string, value: unknown, expected: string): void {
    this.warnings.add(`config file ${this.file}: ignoring ${path}=${show(value)}: expected ${expected}`);
  }

  unknown(path: string, known: readonly string[]): void {
    this.warnings.add(`config file ${this.file}: ignoring unknown key ${path}: expected one of ${known.join(', ')}`);
  }

  unsupported(path: string, why: string): void {
    this.warnings.add(`config file ${this.file}: ignoring ${path}: ${why}`);
  }

  note(line: string): void {
    this.warnings.add(`config file ${this.file}: ${line}`);
  }
}

/**
 * Calls `handlers[key]` for each key of `map`; a key without a handler is reported as unknown
 * (with the known ones) and skipped.
 */
export function eachKey(
  issues: FileIssues,
  map: YamlMap,
  path: string,
  handlers: Record<string, (value: unknown, path: string) => void>,
): void {
  const known = Object.keys(handlers);
  for (const [key, value] of Object.entries(map)) {
    const at = path === '' ? key : `${path}.${key}`;
    const handler = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
    if (handler === undefined) issues.unknown(at, known);
    else handler(value, at);
  }
}

/** A mapping, or a warning and undefined (null and absent are quietly undefined). */
export function mapAt(issues: FileIssues, value: unknown, path: string): YamlMap | undefined {
  if (value === null || value === undefined) return undefined;
  if (isMap(value)) return value;
  issues.bad(path, value, 'a mapping (key: value lines)');
  return undefined;
}

/** A list, or a warning and undefined. */
export function listAt(issues: FileIssues, value: unknown, path: string): unknown[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  issues.bad(path, value, 'a list');
  return undefined;
}

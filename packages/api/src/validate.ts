// Cheap input checks for published values. A bad value is reported once per
// distinct problem (process warning) and then published as given: the mapping
// layer decides what to do with it. Nothing is dropped silently.

const MAX_DISTINCT_WARNINGS = 50;
const warned = new Set<string>();

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || typeof value === 'undefined') {
    return String(value);
  }
  return `a value of type ${typeof value}`;
}

function warnOnce(where: string, field: string, value: unknown, accepted: string): void {
  const shown = describe(value);
  const key = `${where}\0${field}\0${shown}`;
  if (warned.has(key) || warned.size > MAX_DISTINCT_WARNINGS) return;
  warned.add(key);
  const message =
    warned.size > MAX_DISTINCT_WARNINGS
      ? `${where}: too many distinct invalid values; no further warnings`
      : `${where}: invalid ${field} ${shown}; accepted: ${accepted}. Published as given.`;
  process.emitWarning(message, { type: 'DomainOtelWarning', code: 'DOMAIN_OTEL_INVALID_VALUE' });
}

/** Warns (once) when `value` is not one of `allowed`. */
export function checkEnum(where: string, field: string, value: unknown, allowed: ReadonlySet<string>): void {
  if (typeof value === 'string' && allowed.has(value)) return;
  warnOnce(where, field, value, [...allowed].join(', '));
}

/** Warns (once) when `value` is not a non-empty string. */
export function checkName(where: string, field: string, value: unknown): void {
  if (typeof value === 'string' && value.length > 0) return;
  warnOnce(where, field, value, 'a non-empty string');
}

/** Forgets which problems were reported (tests). */
export function resetWarnings(): void {
  warned.clear();
}

export function valueSet(values: Record<string, string>): ReadonlySet<string> {
  return new Set(Object.values(values));
}

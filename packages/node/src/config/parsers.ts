/**
 * Value parsers for environment variables. Each returns either a parsed value or a
 * description of what was expected, so the caller can print one warning and use the default.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; expected: string };

export type Parser<T> = (raw: string) => ParseResult<T>;

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = <T>(expected: string): ParseResult<T> => ({ ok: false, expected });

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    return (values as readonly string[]).includes(v) ? ok(v as T) : bad(`one of ${values.join(', ')}`);
  };
}

/** A comma list whose every item must be one of `values`. */
export function listOf<T extends string>(values: readonly T[]): Parser<T[]> {
  return (raw) => {
    const items = splitList(raw).map((s) => s.toLowerCase());
    const unknown = items.filter((i) => !(values as readonly string[]).includes(i));
    if (unknown.length > 0) return bad(`a comma list of ${values.join(', ')} (unknown: ${unknown.join(', ')})`);
    return ok(items as T[]);
  };
}

export const stringList: Parser<string[]> = (raw) => ok(splitList(raw));

export const nonEmptyString: Parser<string> = (raw) =>
  raw.trim() === '' ? bad('a non-empty string') : ok(raw.trim());

export const boolean: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return ok(true);
  if (v === 'false' || v === '') return ok(false);
  return bad('true or false');
};

export const positiveInteger: Parser<number> = (raw) => {
  const v = raw.trim();
  return /^[0-9]+$/.test(v) && Number(v) > 0 ? ok(Number(v)) : bad('a positive integer');
};

/** A whole number from `min` to `max` inclusive. */
export function integerInRange(min: number, max: number): Parser<number> {
  return (raw) => {
    const v = raw.trim();
    const n = Number(v);
    return /^[0-9]+$/.test(v) && n >= min && n <= max ? ok(n) : bad(`a whole number from ${min} to ${max}`);
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 };

/** A size in bytes: `1048576`, `512MiB`, `1GiB`, `64KiB` (also kB, MB, GB). */
export const byteSize: Parser<number> = (raw) => {
  const m = /^([0-9]+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  return Number.isSafeInteger(n) && n > 0 ? ok(n) : bad('a positive size in bytes, e.g. 1073741824, 512MiB or 1GiB');
};

/** An absolute directory path (a relative one would depend on wherever the app was started). */
export const absolutePath: Parser<string> = (raw) => {
  const v = raw.trim();
  const control = [...v].some((c) => c.charCodeAt(0) < 0x20);
  return (v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v)) && !control ? ok(v) : bad('an absolute directory path');
};

/** on/off switch (also true/false, 1/0, yes/no). */
export const onOff: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return ok(true);
  if (['off', 'false', '0', 'no'].includes(v)) return ok(false);
  return bad('on or off');
};

/** on / off as onOff reads them, or `auto` (the distribution decides, e.g. by the usable cores). */
export const onOffAuto: Parser<'on' | 'off' | 'auto'> = (raw) => {
  if (raw.trim().toLowerCase() === 'auto') return ok('auto');
  const v = onOff(raw);
  return v.ok ? ok(v.value ? 'on' : 'off') : bad('on, off or auto');
};

export const ratio: Parser<number> = (raw) => {
  const v = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 1 ? ok(v) : bad('a number from 0 to 1');
};

export const url: Parser<string> = (raw) => {
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad('an http:// or https:// URL');
    return ok(raw.trim());
  } catch {
    return bad('an http:// or https:// URL');
  }
};

/** W3C-baggage-like `key=value,key2=value2` with percent-encoded values (OTEL_*_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
export const keyValueList: Parser<Record<string, string>> = (raw) => {
  const out: Record<string, string> = {};
  for (const item of splitList(raw)) {
    const eq = item.indexOf('=');
    if (eq <= 0) return bad(`comma-separated key=value pairs (bad pair: "${item}")`);
    const key = item.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      return bad(`comma-separated key=value pairs with percent-encoded values (bad value for "${key}")`);
    }
    out[key] = value;
  }
  return ok(out);
};

export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parsing and validation of CLI values. Every error is one line naming the bad value and what is expected. */
import { UsageError } from './errors';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** '90s', '30m', '24h', '7d', '2w', '500ms' → milliseconds. */
export function parseDuration(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new UsageError(`${name} ${JSON.stringify(value)}: expected a positive duration such as 90s, 30m, 24h, 7d or 2w`);
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

/** '16MiB', '512kb', '1048576' → bytes. */
export function parseBytes(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m?.[2]?.toLowerCase() ?? '';
  if (!m || !(unit in BYTE_UNITS) || Number(m[1]) < 1) {
    throw new UsageError(`${name} ${JSON.stringify(value)}: expected a size such as 16MiB, 512KiB or 1048576`);
  }
  return Math.floor(Number(m[1]) * BYTE_UNITS[unit]!);
}

export function parseIntArg(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
  }
  return Number(value);
}

export function parsePort(name: string, value: string): number {
  return parseIntArg(name, value, 0, 65535);
}

/**
 * ISO-8601 date or date-time; a date-time without zone is taken as UTC.
 * '2025-11-01', '2025-11-01T09:30', '2025-11-01T09:30:00.5+02:00'.
 */
export function parseTime(name: string, value: string): Date {
  const v = value.trim();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(v);
  let d: Date | undefined;
  const [y, mo, da] = m ? m[1]!.split('-').map(Number) as [number, number, number] : [0, 0, 0];
  const calendarOk = m !== null && new Date(Date.UTC(y, mo - 1, da)).toISOString().slice(0, 10) === m[1];
  if (m && calendarOk) {
    const time = m[2] ? m[2].replace(/(\.\d{3})\d+$/, '$1') : '00:00:00';
    const zone = m[3] ? (m[3].toUpperCase() === 'Z' ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z';
    d = new Date(`${m[1]}T${time}${zone}`);
  }
  if (!d || Number.isNaN(d.getTime())) {
    throw new UsageError(`${name} ${JSON.stringify(value)}: expected an ISO-8601 date or date-time such as 2025-11-01 or 2025-11-01T09:30:00Z`);
  }
  return d;
}

/** 'YYYY-MM' chain id. */
/** A month ('2025-11'), a segment ('2025-11/acme') or a chain ('2025-11#3', '2025-11/acme#0'), as verify prints them. */
export function parseChain(name: string, value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])(\/[^/#\s]+)?(#\d+)?$/.test(value)) {
    throw new UsageError(`${name} ${JSON.stringify(value)}: expected a month such as 2025-11, a segment such as 2025-11/acme or a chain such as 2025-11#3`);
  }
  return value;
}

export function parseNonEmpty(name: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${name}: expected a non-empty value`);
  return value;
}

/** A tenant id as stored in the tenant_id column (extracted columns hold at most 256 characters). */
export function parseTenant(name: string, value: string): string {
  if (value === '' || value.length > 256) {
    throw new UsageError(`${name} ${JSON.stringify(value.slice(0, 40))}: expected a tenant id of 1 to 256 characters`);
  }
  return value;
}

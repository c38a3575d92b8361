// Small display helpers shared by the views.

export const REDACTED = '[REDACTED]';

export function utc(iso: string): string {
  // 2025-11-13T02:13:20.123456789Z → 2025-11-13 02:13:20.123
  return iso.replace('T', ' ').slice(0, 23);
}

export function show(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function outcomeClass(outcome: string | null): string {
  return `badge outcome-${(outcome ?? 'none').replace(/[^a-z]/g, '')}`;
}

export function ms(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} µs`;
}

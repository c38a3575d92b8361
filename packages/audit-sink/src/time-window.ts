/**
 * The accepted record times, a window around the receive time (`--accept-past`, `--accept-future`):
 * a sender-chosen time far from now would otherwise create a month of partitions for one record.
 */
import { RecordRefused } from './limits';

/** Accepted record times, relative to the receive time. */
export interface AcceptWindow {
  pastMs: number;
  futureMs: number;
}

/** The window for one request: its bounds in ns and how to name them in a reason. */
export interface WindowBounds {
  lo: bigint;
  hi: bigint;
  label: string;
}

export function windowBounds(w: AcceptWindow, received: bigint): WindowBounds {
  const lo = received - BigInt(w.pastMs) * 1_000_000n;
  const hi = received + BigInt(w.futureMs) * 1_000_000n;
  return { lo, hi, label: `${nsToIso(lo)} .. ${nsToIso(hi)} (receive time - ${durationText(w.pastMs)}, + ${durationText(w.futureMs)})` };
}

/**
 * A sender-chosen time far from now would create a month of partitions for one record: refused,
 * naming the time and the window, while the request's other records are stored.
 */
export function checkWindow(timeUnixNano: string, w: WindowBounds): void {
  const t = BigInt(timeUnixNano);
  if (t < w.lo || t > w.hi) throw new RecordRefused(`log record time ${nsToIso(t)} is outside the accepted window ${w.label}`, 'time_window');
}

/** ISO-8601 UTC with nanoseconds. */
function nsToIso(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns < 0n && ns % 1_000_000n !== 0n ? 1n : 0n);
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return new Date(Number(ms)).toISOString().slice(0, 19) + '.' + frac.toString().padStart(9, '0') + 'Z';
}

/** 400d, 36h, 90m, 30s, 500ms: the largest unit that divides the duration. */
function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

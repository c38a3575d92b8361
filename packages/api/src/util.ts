/** The promise returned when there is nothing to wait for (shared: no allocation per call). */
export const RESOLVED: Promise<void> = Promise.resolve();

export function noop(): void {}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** ms since the epoch, fractional, on the same clock OpenTelemetry uses for span times. */
export function hrNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Back-pressure: how many requests the receiver processes at once, and the memory they hold
 * together (their decompressed bodies while read and decoded, then their prepared rows until
 * COMMIT). A request beyond either limit is answered 503 + Retry-After; one request alone always
 * proceeds (the request limits, limits.ts, bound it).
 */
import type { PreparedRecord } from './prepare';

/** The bytes of the budget one request holds. */
export interface Held {
  bytes: number;
}

export class Admission {
  private requests = 0;
  private bytes = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    readonly maxRequests: number,
    readonly maxBytes: number,
  ) {}

  /** Requests being processed. */
  get inflightRequests(): number {
    return this.requests;
  }

  /** Admits one more request, unless maxRequests are being processed; leave() when it is done. */
  enter(): boolean {
    if (this.requests >= this.maxRequests) return false;
    this.requests++;
    return true;
  }

  leave(): void {
    this.requests--;
    if (this.requests === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when the requests in flight are done. */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => (this.requests === 0 ? resolve() : this.idleWaiters.push(resolve)));
  }

  /**
   * Takes `n` more bytes of the budget for a request. Refused when the budget would be exceeded
   * while other requests hold some of it (a request alone may always proceed).
   */
  reserve(held: Held, n: number): boolean {
    if (this.bytes + n > this.maxBytes && this.bytes > held.bytes) return false;
    this.bytes += n;
    held.bytes += n;
    return true;
  }

  /** Gives back what a request holds. */
  release(held: Held): void {
    this.bytes -= held.bytes;
    held.bytes = 0;
  }
}

/** What a request's prepared rows hold in memory until COMMIT (their COPY text and a little more). */
export function rowBytes(records: readonly PreparedRecord[]): number {
  return records.reduce((n, r) => n + r.line.length + 96, 0);
}

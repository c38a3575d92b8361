/**
 * What the receiver, the store and the worker pool tell about their work: the small hooks they
 * call. Implemented by sink-telemetry.ts; absent (undefined) when the sink's own telemetry is
 * off, so the hot path then pays one optional-chaining check per hook.
 */
import type { IncomingMessage } from 'node:http';

/** Why audit records were refused one by one (partial success). */
export type RefusalReason = 'malformed' | 'time_window' | 'record_limit' | 'retired_chain';

export interface RecordOutcomes {
  stored: number;
  duplicate: number;
  /** Replays of a stored uid with other content (kept in uid_conflicts). */
  conflict: number;
  /** Log records of other event names: accepted, not stored. */
  ignored: number;
  refused: Partial<Record<RefusalReason, number>>;
}

export interface RequestObserver {
  /** Starts a phase of the request (a child span); the returned function ends it. */
  phase(name: 'decode' | 'store'): () => void;
  /** Audit records decoded from the request (also those then answered 503, which the sender resends). */
  received(count: number): void;
  /** What became of them once the request's transaction committed. */
  outcomes(o: RecordOutcomes): void;
}

export interface StoreObserver {
  /** Seconds spent waiting for a chain's advisory lock. */
  chainLockWait(seconds: number): void;
  /** Seconds of one COPY into a leaf. */
  copy(seconds: number): void;
  /** Seconds of the COMMIT. */
  commit(seconds: number): void;
}

export interface SinkObserver {
  /** Called when a request arrives; ends itself when the response is closed. */
  request(req: IncomingMessage, res: import('node:http').ServerResponse): RequestObserver;
  readonly store: StoreObserver;
  workerRestarted(): void;
}

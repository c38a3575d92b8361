/**
 * Storing a request: its body decoded into prepared rows (on a worker thread with --workers),
 * the rows stored in one transaction, then counted. A failure is thrown as the HttpError it is
 * answered with (status codes: server.ts).
 */
import { MonthBudgetError, UnavailableError, WorkerLostError, errorLine } from './errors';
import { PayloadError, RequestTooLarge } from './limits';
import { HttpError } from './otlp-http';
import type { Format } from './otlp-values';
import { prepareRequest, type PrepareLimits, type PreparedRequest } from './prepare';
import type { PreparePool } from './prepare-pool';
import type { ReceiverStats } from './receiver-options';
import type { AuditStore, InsertResult } from './store';
import type { RequestObserver } from './telemetry/observer';

/** The partial success an ExportLogsServiceResponse reports. */
export interface PartialSuccess {
  rejectedLogRecords: number;
  errorMessage: string;
}

export class Ingest {
  constructor(
    private readonly auditStore: AuditStore,
    private readonly workers: PreparePool | null,
    private readonly limits: PrepareLimits,
    private readonly stats: ReceiverStats,
    private readonly log: (line: string) => void,
  ) {}

  /** The body's audit records as rows, ready to be stored. */
  async decode(body: Buffer, format: Format, obs: RequestObserver | undefined): Promise<PreparedRequest> {
    const receivedAt = new Date();
    const done = obs?.phase('decode');
    let decoded: PreparedRequest;
    try {
      decoded = this.workers
        ? await this.workers.run(body, format, receivedAt, this.limits)
        : prepareRequest(body, format, receivedAt, this.limits);
    } catch (err) {
      done?.();
      throw this.decodeFailure(err);
    }
    done?.();
    obs?.received(decoded.records.length + decoded.refused);
    return decoded;
  }

  private decodeFailure(err: unknown): unknown {
    if (err instanceof PayloadError) return new HttpError(400, err.message);
    if (err instanceof RequestTooLarge) return new HttpError(413, err.message);
    if (err instanceof RangeError) return new HttpError(400, `invalid payload: ${errorLine(err)}`); // e.g. stack exhausted by nesting
    if (err instanceof WorkerLostError) {
      this.log(`audit-sink: 503 (request not decoded, sender should retry): ${err.message}`);
      return new HttpError(503, 'decoding worker lost, retry later');
    }
    return err;
  }

  /** Stores the rows (committed when this returns), counts what became of them; the partial success to answer. */
  async store(decoded: PreparedRequest, obs: RequestObserver | undefined): Promise<PartialSuccess | undefined> {
    const done = obs?.phase('store');
    let inserted: InsertResult;
    try {
      inserted = await this.auditStore.insertPrepared(decoded.records);
    } catch (err) {
      done?.();
      throw this.storeFailure(err, decoded.records.length);
    }
    done?.();
    obs?.outcomes({
      stored: inserted.inserted,
      duplicate: inserted.duplicates,
      conflict: inserted.conflicts,
      ignored: decoded.ignored,
      refused: { ...decoded.refusedBy, retired_chain: inserted.rejected - inserted.conflicts },
    });
    this.count(decoded, inserted);
    return partialSuccess(decoded, inserted);
  }

  private storeFailure(err: unknown, records: number): HttpError {
    if (err instanceof UnavailableError) {
      this.log(`audit-sink: 503 (${records} audit records not stored, sender should retry): ${err.message}`);
      return new HttpError(503, 'audit store unavailable, retry later');
    }
    if (err instanceof MonthBudgetError) {
      this.log(`audit-sink: 503 (${records} audit records not stored yet): ${err.message}`);
      return new HttpError(503, err.message);
    }
    this.log(`audit-sink: 500 storing ${records} audit records: ${errorLine(err)}`);
    return new HttpError(500, 'internal error while storing audit records');
  }

  private count(decoded: PreparedRequest, inserted: InsertResult): void {
    const stats = this.stats;
    stats.logRecords += decoded.total;
    stats.ignored += decoded.ignored;
    stats.stored += inserted.inserted;
    stats.duplicates += inserted.duplicates;
    stats.rejected += inserted.rejected + decoded.refused;
    stats.conflicts += inserted.conflicts;
    if (inserted.conflict) {
      const c = inserted.conflict;
      this.log(`audit-sink: ${inserted.conflicts} uid conflict(s) refused: uid ${JSON.stringify(c.uid.slice(0, 80))} already stored with other content ` +
        `(stored sha256 ${c.storedHash.toString('hex').slice(0, 16)}…${c.chain ? ` in ${c.chain}` : ''}, sent ${Buffer.from(c.recordHash).toString('hex').slice(0, 16)}…); ` +
        `kept in domain_otel_audit.uid_conflicts (${stats.conflicts} since start)`);
    }
  }
}

/** The records refused while decoding and while storing, and why; undefined when none was. */
function partialSuccess(decoded: PreparedRequest, inserted: InsertResult): PartialSuccess | undefined {
  const reasons = [
    ...(decoded.refused > 0 ? [`${decoded.refused} log record(s) refused (first: ${decoded.refusedReason ?? 'refused'})`] : []),
    ...(inserted.rejected > 0 ? [inserted.rejectedReason ?? 'rejected'] : []),
  ];
  return reasons.length > 0
    ? { rejectedLogRecords: decoded.refused + inserted.rejected, errorMessage: reasons.join('; ') }
    : undefined;
}

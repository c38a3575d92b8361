// DOMAIN_OTEL_REDACT for what upstream instrumentations and log bridges record: a span
// processor that rewrites a span while it ends (before any exporter sees it) and a log record
// processor that rewrites a record while it is emitted. Records of the domain mapping are
// redacted where they are built and pass through untouched.
import { diag, SpanStatusCode } from '@opentelemetry/api';
import type { AttributeValue, Attributes, AnyValue, Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { createKeyMatcher, REDACTED } from '@domain-otel/instrumentation-domain';
import { redactText, redactUrl } from './text-rules';
import { replaceSqlLiterals } from './sql-literals';

type KeyMatcher = ReturnType<typeof createKeyMatcher>;

/** Attributes holding a URL: secret query parameters and userinfo are redacted, the rest kept. */
const URL_KEYS = new Set(['url.full', 'url.original', 'http.url', 'http.target', 'http.request.header.referer', 'http.response.header.location']);
const QUERY_KEYS = new Set(['url.query']);
/** Attributes holding a query text: literals become `?`. */
const SQL_KEYS = new Set(['db.query.text', 'db.statement']);
/** Systems whose statement is not SQL (already sanitized by their instrumentation, or a command line). */
const NOT_SQL = new Set(['mongodb', 'redis', 'memcached']);
const MYSQL = new Set(['mysql', 'mariadb']);
const DOMAIN_SCOPE = '@domain-otel/instrumentation-domain';
const MAX_DEPTH = 8;
const SQL_CACHE_SIZE = 1000;

/** The rules, applied the same way to span attributes, span event attributes and log records. */
export class Redactor {
  readonly isSecret: KeyMatcher;
  private readonly sqlCache = new Map<string, string>();

  constructor(extraKeys: readonly string[]) {
    this.isSecret = createKeyMatcher(extraKeys);
  }

  /** A value under `key`: `[REDACTED]` when the key is secret; URL, SQL and text rules otherwise. Same reference when unchanged. */
  value<T extends AnyValue>(key: string, value: T, dbSystem?: string, depth = 0): T | string {
    if (value === null || value === undefined || typeof value === 'boolean') return value;
    if (this.isSecret(key)) return REDACTED;
    if (typeof value === 'string') return this.string(key, value, dbSystem);
    if (typeof value === 'number' || value instanceof Uint8Array || depth >= MAX_DEPTH) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((v) => {
        const r = this.value(key, v as AnyValue, dbSystem, depth + 1);
        if (r !== v) changed = true;
        return r;
      });
      return (changed ? out : value) as T;
    }
    let changed = false;
    const out: Record<string, AnyValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, AnyValue>)) {
      const r = this.value(k, v, undefined, depth + 1);
      if (r !== v) changed = true;
      out[k] = r;
    }
    return (changed ? out : value) as T;
  }

  string(key: string, value: string, dbSystem?: string): string {
    if (URL_KEYS.has(key)) return redactUrl(value, this.isSecret);
    if (QUERY_KEYS.has(key)) return redactUrl(value, this.isSecret, true);
    if (SQL_KEYS.has(key)) return dbSystem !== undefined && NOT_SQL.has(dbSystem) ? value : this.sql(value, dbSystem);
    return this.text(value);
  }

  text(value: string): string {
    return redactText(value, this.isSecret);
  }

  private sql(text: string, dbSystem: string | undefined): string {
    const cacheKey = `${dbSystem ?? ''}\0${text}`;
    let out = this.sqlCache.get(cacheKey);
    if (out === undefined) {
      out = replaceSqlLiterals(text, { mysql: dbSystem !== undefined && MYSQL.has(dbSystem) });
      if (this.sqlCache.size >= SQL_CACHE_SIZE) this.sqlCache.clear();
      this.sqlCache.set(cacheKey, out);
    }
    return out;
  }

  /** Rewritten attributes, or undefined when nothing changed. */
  attributes(attrs: Attributes | undefined): Attributes | undefined {
    if (!attrs) return undefined;
    const dbSystem = dbSystemOf(attrs);
    let out: Attributes | undefined;
    for (const k in attrs) {
      const v = attrs[k];
      if (v === undefined) continue;
      const r = this.value(k, v as AnyValue, dbSystem) as AttributeValue;
      if (r !== v) (out ??= { ...attrs })[k] = r;
    }
    return out;
  }
}

function dbSystemOf(attrs: Attributes): string | undefined {
  const s = attrs['db.system.name'] ?? attrs['db.system'];
  return typeof s === 'string' ? s.toLowerCase() : undefined;
}

let reported = false;
function reportFailure(where: string, err: unknown): void {
  if (reported) return;
  reported = true;
  diag.error(`domain-otel: redaction failed in ${where}; the record goes out as it was: ${err instanceof Error ? err.message : String(err)}`);
}

/** Rewrites each span in `onEnding`, after the instrumentation's last change and before export. */
export class RedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly redactor: Redactor) {}

  onStart(): void {}

  onEnding(span: Span): void {
    try {
      const r = this.redactor;
      const attrs = r.attributes(span.attributes);
      if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== span.attributes[k]) span.setAttribute(k, v as AttributeValue);
      const name = r.text(span.name);
      if (name !== span.name) span.updateName(name);
      if (span.status.code === SpanStatusCode.ERROR && span.status.message) {
        const message = r.text(span.status.message);
        if (message !== span.status.message) span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      for (const event of span.events) {
        const eventAttrs = r.attributes(event.attributes);
        if (eventAttrs) event.attributes = eventAttrs;
      }
    } catch (err) {
      reportFailure('a span', err);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Rewrites each log record of an upstream bridge (pino, winston, bunyan, …) while it is emitted. */
export class RedactingLogRecordProcessor implements LogRecordProcessor {
  constructor(private readonly redactor: Redactor) {}

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    if (record.instrumentationScope.name === DOMAIN_SCOPE) return;
    try {
      const r = this.redactor;
      const attrs = r.attributes(record.attributes as Attributes);
      if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== record.attributes[k]) record.setAttribute(k, v);
      const body = record.body;
      if (typeof body === 'string') {
        const redacted = r.text(body);
        if (redacted !== body) record.setBody(redacted);
      } else if (body !== null && typeof body === 'object') {
        const redacted = r.value('body', body);
        if (redacted !== body) record.setBody(redacted);
      }
    } catch (err) {
      reportFailure('a log record', err);
    }
  }

  /** Never a reason on its own to record: the other processors decide. */
  enabled(): boolean {
    return false;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Puts the redaction processors first (a processor sees what the ones before it changed) in
 * the pipelines that export something; an empty list stays empty.
 */
export function addRedaction(extraKeys: readonly string[], spanProcessors: SpanProcessor[], logProcessors: LogRecordProcessor[]): void {
  const redactor = new Redactor(extraKeys);
  if (spanProcessors.length > 0) spanProcessors.unshift(new RedactingSpanProcessor(redactor));
  if (logProcessors.length > 0) logProcessors.unshift(new RedactingLogRecordProcessor(redactor));
}

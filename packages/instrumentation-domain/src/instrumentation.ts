import { context, diag, logs, trace } from '@opentelemetry/api';
import type { Logger, Tracer } from '@opentelemetry/api';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { channels } from '@domain-otel/api';
import type {
  AuditDecisionMessage, AuthzMeta, CacheInvalidationMessage, DeliveryTicket, MutationMeta, RuleEvaluationMessage, RuleMeta, TracedContext,
} from '@domain-otel/api';
import {
  ATTR_DOMAIN_TELEMETRY_DROP_REASON, ATTR_DOMAIN_TELEMETRY_SIGNAL, SCHEMA_URL, TELEMETRY_DROP_REASON_VALUES, TELEMETRY_SIGNAL_VALUES,
} from '@domain-otel/semantic-conventions';
import type { TelemetrySignal } from '@domain-otel/semantic-conventions';
import { createInstruments } from './metrics';
import type { Instruments } from './metrics';
import { createKeyMatcher } from './redact';
import { clampMaxValueBytes, recordBudgetBytes } from './value-limits';
import type { CaptureKind, DomainInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import type { Recorder } from './mapping/recorder';
import { recordDecision } from './mapping/decision';
import { recordCacheInvalidation } from './mapping/cache';
import { recordRuleEvaluation } from './mapping/rule';
import { fallbackContextStore, finishOperation, startOperation } from './mapping/traced';
import type { TracedKind } from './mapping/traced';
import { withDeliveryTicket } from './delivery-context';

type Unsubscribe = () => void;
type Fence = <T>(where: string, signal: TelemetrySignal, fn: () => T, ticket?: DeliveryTicket) => T | undefined;
const AUDIT = TELEMETRY_SIGNAL_VALUES.AUDIT;
const LOGS = TELEMETRY_SIGNAL_VALUES.LOGS;
type AnyTraced = TracedContext<AuthzMeta> | TracedContext<MutationMeta> | TracedContext<RuleMeta>;

const reported = new Set<string>();
const SCOPE = Object.freeze({ name: PACKAGE_NAME, version: PACKAGE_VERSION, schemaUrl: SCHEMA_URL });

/**
 * The one mapping from @domain-otel/api events to spans, log events and metrics. It patches
 * no module: it subscribes to the api's diagnostics channels on enable() and unsubscribes on
 * disable(). Every handler is fenced: a bug here is reported once and never reaches the app.
 */
export class DomainInstrumentation extends InstrumentationBase<DomainInstrumentationConfig> {
  // `declare`: InstrumentationBase calls enable() and _updateMetricInstruments() from its
  // constructor, before class fields would be initialised.
  declare private subscriptions: Unsubscribe[] | undefined;
  declare private instruments: Instruments | undefined;
  declare private scopedTracer: Tracer | undefined;
  declare private scopedLogger: Logger | undefined;
  declare private cachedRecorder: Recorder | undefined;

  constructor(config: DomainInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  protected init(): void {
    // nothing to patch: the api publishes on diagnostics channels
  }

  protected override _updateMetricInstruments(): void {
    this.instruments = createInstruments(this.meter);
    this.cachedRecorder = undefined;
  }

  override setConfig(config: DomainInstrumentationConfig = {}): void {
    const wasOn = (this.subscriptions?.length ?? 0) > 0;
    if (wasOn) this.disable();
    super.setConfig(config);
    this.cachedRecorder = undefined;
    if (wasOn) this.enable();
  }

  override enable(): void {
    if ((this.subscriptions?.length ?? 0) > 0) return;
    const subs: Unsubscribe[] = [];
    this.subscriptions = subs;
    const capture = new Set<CaptureKind>(this._config.capture ?? ['audit', 'mutation', 'rule', 'cache']);
    const recorder = () => this.recorder();

    const fence: Fence = (where, signal, fn, ticket) => this.fenced(where, signal, fn, ticket);
    if (capture.has('audit')) {
      subs.push(subscribe(fence, 'audit decision', AUDIT, channels.auditDecision, (msg: AuditDecisionMessage) =>
        emittingWith(msg.delivery, () => recordDecision(recorder(), msg.decision, msg.actor, msg.timestamp)), (msg) => msg.delivery));
      subs.push(this.subscribeTraced('authz', channels.authz));
    }
    if (capture.has('mutation')) subs.push(this.subscribeTraced('mutation', channels.mutation));
    if (capture.has('rule')) {
      subs.push(this.subscribeTraced('rule', channels.rule));
      subs.push(subscribe(fence, 'rule evaluation', LOGS, channels.ruleEvaluation, (msg: RuleEvaluationMessage) =>
        recordRuleEvaluation(recorder(), msg.evaluation, msg.actor, msg.timestamp)));
    }
    if (capture.has('cache')) {
      subs.push(subscribe(fence, 'cache invalidation', LOGS, channels.cacheInvalidation, (msg: CacheInvalidationMessage) =>
        recordCacheInvalidation(recorder(), msg.invalidation, msg.actor, msg.timestamp)));
    }
  }

  override disable(): void {
    const subs = this.subscriptions ?? [];
    this.subscriptions = [];
    for (const unsubscribe of subs) unsubscribe();
  }

  /** Built once per configuration: every event reuses it. */
  private recorder(): Recorder {
    if (this.cachedRecorder) return this.cachedRecorder;
    const c = this._config;
    this.scopedTracer ??= trace.getTracerProvider().getTracer(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL });
    this.scopedLogger ??= logs.getLogger(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL });
    this.instruments ??= createInstruments(this.meter);
    const maxValueBytes = clampMaxValueBytes(c.maxValueBytes);
    this.cachedRecorder = {
      tracer: this.scopedTracer,
      logger: this.scopedLogger,
      instruments: this.instruments,
      level: c.auditLevel ?? 'changes',
      isSecret: createKeyMatcher(c.redact ?? []),
      maxCacheKeys: c.maxCacheKeys ?? 20,
      maxValueBytes,
      recordBudgetBytes: recordBudgetBytes(maxValueBytes),
      authzSpans: c.authzSpans ?? true,
      sink: c.recordSink,
      scope: SCOPE,
    };
    return this.cachedRecorder;
  }

  /**
   * Runs a handler so that a bug in it never reaches the app: the record is lost, counted in
   * domain.telemetry.dropped{reason=internal_error} and reported once per place. Strict
   * delivery: a ticket whose record was not emitted yet is abandoned (the operation rejects).
   */
  private fenced<T>(where: string, signal: TelemetrySignal, fn: () => T, ticket?: DeliveryTicket): T | undefined {
    try {
      return fn();
    } catch (err) {
      ticket?.abandon('internal_error', `instrumentation-domain failed in ${where}: ${err instanceof Error ? err.message : String(err)}`, err);
      try {
        (this.instruments ??= createInstruments(this.meter)).dropped.add(1, { [ATTR_DOMAIN_TELEMETRY_SIGNAL]: signal, [ATTR_DOMAIN_TELEMETRY_DROP_REASON]: TELEMETRY_DROP_REASON_VALUES.INTERNAL_ERROR });
      } catch {
        // counting is best effort; the report below still goes out
      }
      if (!reported.has(where)) {
        reported.add(where);
        diag.error(`domain-otel: instrumentation-domain failed in ${where}; the app is unaffected, this record is lost and counted in domain.telemetry.dropped: ${err instanceof Error ? err.message : String(err)}`);
      }
      return undefined;
    }
  }

  private subscribeTraced(kind: TracedKind, channel: typeof channels.mutation | typeof channels.authz | typeof channels.rule): Unsubscribe {
    const tc = channel as unknown as import('node:diagnostics_channel').TracingChannel<object, AnyTraced>;
    const signal = kind === 'rule' ? LOGS : AUDIT;
    const transform = (ctx: AnyTraced) =>
      this.fenced(`${kind}.start`, signal, () => startOperation(this.recorder(), kind, ctx), ctx.delivery) ?? context.active();
    const finish = (ctx: AnyTraced) => emittingWith(ctx.delivery, () => finishOperation(this.recorder(), kind, ctx));
    const handlers = {
      start: () => {},
      end: (ctx: AnyTraced) => this.fenced(`${kind}.end`, signal, () => {
        if (ctx.async === true) return; // a returned promise: finished in asyncEnd
        finish(ctx);
      }, ctx.delivery),
      asyncStart: () => {},
      asyncEnd: (ctx: AnyTraced) => this.fenced(`${kind}.asyncEnd`, signal, () => finish(ctx), ctx.delivery),
      error: () => {},
    };
    const store = this._config.contextStorage ?? fallbackContextStore;
    tc.start.bindStore(store as never, transform as never);
    tc.subscribe(handlers as never);
    return () => {
      tc.start.unbindStore(store as never);
      tc.unsubscribe(handlers as never);
    };
  }
}

/** Strict delivery: runs `emit` with the record's ticket in the active context (see delivery-context.ts). */
function emittingWith<T>(ticket: DeliveryTicket | undefined, emit: () => T): T {
  return ticket ? context.with(withDeliveryTicket(context.active(), ticket), emit) : emit();
}

function subscribe<M>(
  fence: Fence,
  where: string,
  signal: TelemetrySignal,
  channel: { subscribe(fn: (msg: unknown) => void): void; unsubscribe(fn: (msg: unknown) => void): unknown },
  handler: (msg: M) => void,
  ticketOf?: (msg: M) => DeliveryTicket | undefined,
): Unsubscribe {
  const fn = (msg: unknown) => fence(where, signal, () => handler(msg as M), ticketOf?.(msg as M));
  channel.subscribe(fn);
  return () => void channel.unsubscribe(fn);
}

// Per-call costs (section `micro`): an api call with nothing listening against a bare
// diagnostics_channel publish, then one audit decision and one traced mutation against the same
// telemetry written by hand.
import diagnosticsChannel from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { ACTOR, inProcessSdk } from '../lib/in-process-sdk.mjs';
import { fmtLatency, fmtPairSpread, pair } from '../lib/tinybench-pair.mjs';

const api = createRequire(import.meta.url)('@domain-otel/api');

// The benched functions block: a task returning a promise would be awaited by tinybench and
// measure that instead.

/** Nothing listening: audit.decision() against a bare diagnostics_channel publish. Runs before the SDK is installed. */
async function idlePublish({ timeMs, row }) {
  const bare = diagnosticsChannel.channel('bench:bare');
  const decision = { action: 'read', outcome: 'granted', manager: 'orders', entityId: 7 };
  const r = await pair('idle publish', timeMs, () => { bare.publish(decision); }, () => { api.audit.decision(decision); });
  const ratio = r.ratio;
  row('api publish, nothing listening', 'bare diagnostics_channel publish', fmtLatency(r.ours), fmtLatency(r.baseline), ratio, '≤ 2×', ratio <= 2, fmtPairSpread(r));
}

/** One audit decision, enabled: log event + counter, against the same by hand. */
async function decision({ timeMs, row }, { logger, meter }) {
  const counter = meter.createCounter('manual.decisions');
  const d = { action: 'read', outcome: 'granted', manager: 'orders', entityId: 7, reason: 'owner' };
  const r = await pair('decision', timeMs, () => {
    const a = api.getActor();
    logger.emit({
      eventName: 'domain.audit.decision', severityNumber: 9, severityText: 'INFO', timestamp: Date.now(), body: 'Ada (42) granted read on orders 7: owner',
      attributes: { 'domain.audit.action': 'read', 'domain.audit.outcome': 'granted', 'domain.manager.name': 'orders', 'domain.entity.id': 7, 'domain.audit.reason': 'owner',
        'user.id': a.id, 'user.name': a.name, 'domain.tenant.id': a.tenant, 'domain.correlation.id': a.correlationId, 'log.record.uid': randomUUID() },
    });
    counter.add(1, { 'domain.audit.action': 'read', 'domain.audit.outcome': 'granted', 'domain.manager.name': 'orders' });
  }, () => { api.audit.decision(d); });
  const ratio = r.ratio;
  row('one audit decision, enabled (log event + counter)', 'logger.emit + counter.add by hand', fmtLatency(r.ours), fmtLatency(r.baseline), ratio, '≤ 1.3×', ratio <= 1.3, fmtPairSpread(r));
}

/** One traced mutation: span + event + metrics, against the same by hand. */
async function mutation({ timeMs, row }, { logger, meter, tracer }) {
  const mCounter = meter.createCounter('manual.mutations');
  const mHist = meter.createHistogram('manual.mutation.duration');
  const meta = { action: 'update', manager: 'orders', entityId: 7, changes: { status: { old: 'new', new: 'paid' } } };
  const r = await pair('mutation', timeMs, () => {
    const started = performance.now();
    tracer.startActiveSpan('update orders', { attributes: { 'domain.manager.name': 'orders', 'domain.mutation.action': 'update', 'domain.entity.id': 7 } }, (span) => {
      const a = api.getActor();
      logger.emit({
        eventName: 'domain.manager.mutation', severityNumber: 9, severityText: 'INFO', timestamp: Date.now(), body: 'Ada (42) update orders 7',
        attributes: { 'domain.mutation.action': 'update', 'domain.manager.name': 'orders', 'domain.mutation.outcome': 'success', 'domain.entity.id': 7,
          'domain.mutation.changed_fields': ['status'], 'domain.mutation.changes': { status: { old: 'new', new: 'paid' } },
          'user.id': a.id, 'user.name': a.name, 'domain.tenant.id': a.tenant, 'domain.correlation.id': a.correlationId, 'log.record.uid': randomUUID() },
      });
      const attrs = { 'domain.mutation.action': 'update', 'domain.manager.name': 'orders', 'domain.mutation.outcome': 'success' };
      mCounter.add(1, attrs);
      mHist.record((performance.now() - started) / 1000, attrs);
      span.end();
    });
  }, () => api.traceMutation(meta, () => 1));
  const ratio = r.ratio;
  row('one traced mutation (span + event + metrics)', 'startActiveSpan + emit + metrics by hand', fmtLatency(r.ours), fmtLatency(r.baseline), ratio, '≤ 1.3×', ratio <= 1.3, fmtPairSpread(r));
}

export default {
  section: 'micro',
  title: 'micro-benchmarks: api publish, decision, mutation',
  async run(ctx) {
    await idlePublish(ctx);
    const sdk = inProcessSdk();
    await api.withActor(ACTOR, async () => {
      await decision(ctx, sdk);
      await mutation(ctx, sdk);
    });
  },
};

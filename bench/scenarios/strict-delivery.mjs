// Strict delivery (section `strict`): 64 concurrent callers with strict delivery against async
// delivery. The exporter acks each export one event-loop turn later (an in-process stand-in for
// a fast collector).
import { createRequire } from 'node:module';
import { inProcessSdk } from '../lib/in-process-sdk.mjs';

const require = createRequire(import.meta.url);
const api = require('@domain-otel/api');
const { AuditLogRecordProcessor, StrictDeliveryLedger } = require('@domain-otel/node/internal');

const CALLERS = 64;

/** Mutations per second with `strict` delivery on or off. */
async function throughput(strict, quick) {
  const { instrumentation, storage, setLogSink } = inProcessSdk();
  const exporter = { export(records, cb) { setImmediate(() => cb({ code: 0 })); }, shutdown: async () => {}, forceFlush: async () => {} };
  const processor = new AuditLogRecordProcessor({ exporter, maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 200, strict, onDropped() {} });
  setLogSink({ onEmit: (r, c) => { if (r.eventName === 'domain.manager.mutation') processor.onEmit(r, c); }, forceFlush: async () => {}, shutdown: async () => {} });
  api.setAuditDeliveryLedger(strict ? new StrictDeliveryLedger(30000, undefined) : undefined);
  instrumentation.setConfig({ contextStorage: storage });
  const perWorker = quick ? 50 : 400;
  const started = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async (_, w) => {
    for (let i = 0; i < perWorker; i++) await api.traceMutation({ action: 'create', manager: 'orders', entityId: w * perWorker + i }, async () => i);
  }));
  const seconds = (performance.now() - started) / 1000;
  await processor.forceFlush();
  return (CALLERS * perWorker) / seconds;
}

export default {
  section: 'strict',
  title: 'strict delivery throughput',
  async run({ quick, row }) {
    await throughput(false, quick); // warm-up
    const asyncOps = await throughput(false, quick);
    const strictOps = await throughput(true, quick);
    const ratio = strictOps / asyncOps;
    row('strict delivery, 64 concurrent callers (throughput)', 'async delivery', `${strictOps.toFixed(0)} ops/s`, `${asyncOps.toFixed(0)} ops/s`, ratio, '≥ 0.33×', ratio >= 0.33);
    const { instrumentation, setLogSink } = inProcessSdk();
    setLogSink(undefined);
    api.setAuditDeliveryLedger(undefined);
    instrumentation.disable();
  },
};

// Heap after many events (section `heap`): no growth once collected (the mapping keeps nothing
// per event). Needs --expose-gc (npm run bench passes it).
import { createRequire } from 'node:module';
import { ACTOR, inProcessSdk } from '../lib/in-process-sdk.mjs';

const api = createRequire(import.meta.url)('@domain-otel/api');

async function burst(count) {
  const decision = { action: 'read', outcome: 'denied', manager: 'orders', entityId: 1 };
  for (let i = 0; i < count; i++) {
    api.audit.decision({ ...decision, entityId: i });
    if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
  }
}

export default {
  section: 'heap',
  title: 'heap after many events',
  async run({ quick, row }) {
    if (typeof globalThis.gc !== 'function') {
      console.warn('bench: run with --expose-gc for the heap row (npm run bench does)');
      return;
    }
    const leakInstr = inProcessSdk().newInstrumentation();
    const n = quick ? 100_000 : 1_000_000;
    await burst(10_000); // warm up: instruments, caches, JIT
    globalThis.gc(); globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    await api.withActor(ACTOR, () => burst(n));
    globalThis.gc(); globalThis.gc();
    const after = process.memoryUsage().heapUsed;
    leakInstr.disable();
    const growthMiB = (after - before) / 1048576;
    row(`heap after ${n.toLocaleString('en')} events (after GC)`, 'heap before', `${(after / 1048576).toFixed(1)} MiB`, `${(before / 1048576).toFixed(1)} MiB`, after / before, 'no growth (< 1 MiB)', growthMiB < 1, `grew ${growthMiB.toFixed(2)} MiB`);
  },
};

// An app of the scaled-out topology, run under `node --require @domain-otel/node/register` on an
// agent's host. Emits FAULT_N requests at FAULT_RATE per second, each one trace of two spans that
// end about 300 ms apart (so they leave the app, and the agent, in different batches) with one
// audit decision inside it (manager = FAULT_TAG, entity "<TOPO_APP>-<i>"), then exits by itself.
// Progress goes out with synchronous writes: EMITTED <n>, then SUMMARY {...}.
'use strict';
const { writeSync } = require('node:fs');
const { trace } = require('@opentelemetry/api');
const { audit, setActor } = require('@domain-otel/api');

const tag = process.env.FAULT_TAG;
const n = Number(process.env.FAULT_N);
const rate = Number(process.env.FAULT_RATE || 100);
const app = process.env.TOPO_APP || 'app';
const out = (line) => writeSync(1, `${line}\n`);
const tracer = trace.getTracer('domain-otel-topology-app');

setActor({ id: `u-${app}`, name: 'Topology Tester', tenant: 'topology' });

let open = 0;
function request(i) {
  open++;
  tracer.startActiveSpan('topology.request', (root) => {
    tracer.startActiveSpan('topology.decide', (step) => {
      audit.decision({ action: 'read', outcome: i % 10 === 0 ? 'denied' : 'granted', manager: tag, entityId: `${app}-${i}` });
      step.end();
    });
    setTimeout(() => { root.end(); open--; }, 300);
  });
}

const started = Date.now();
let i = 0;
const tick = () => {
  const due = Math.min(n, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
  while (i < due) request(i++);
  out(`EMITTED ${i}`);
  if (i < n) { setTimeout(tick, 20); return; }
  const done = () => {
    if (open > 0) { setTimeout(done, 50); return; }
    const ms = Date.now() - started;
    out(`SUMMARY ${JSON.stringify({ emitted: n, ms, rate: Math.round((n / Math.max(ms, 1)) * 1000) })}`);
  };
  done();
};
tick();

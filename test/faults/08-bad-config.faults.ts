// Scenario 8: every DOMAIN_OTEL_* and OTEL_* variable the distribution reads
// (packages/node/src/config/variables.ts) set to garbage. One warning line per variable naming
// it, the app runs, and telemetry falls back to the defaults: with only the endpoint left valid,
// every audit record reaches Postgres through the real collector.
import assert from 'node:assert/strict';
import { allVariables } from '../../packages/node/src/config/variables';
import { report, stack, startEmitter, uniqueTag } from './harness';

const GARBAGE = 'not valid?';
const FREE_FORM = new Set(['DOMAIN_OTEL_REDACT', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_SERVICE_NAME']);
const N = 500;

function garbageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of allVariables()) env[v.name] = GARBAGE;
  // names nothing installed: warned about; the domain instrumentation stays so records exist
  env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = `http,${GARBAGE},domain`;
  return env;
}

function checkWarnings(stderr: string, names: string[]): string[] {
  const warnings = stderr.split('\n').filter((l) => l.startsWith('domain-otel: ignoring'));
  const problems: string[] = [];
  for (const name of names) {
    const mine = warnings.filter((w) => w.includes(`${name}=`));
    if (mine.length !== 1) problems.push(`${name}: ${mine.length} warnings`);
    else if (!/expected .+; using the default/.test(mine[0]!)) problems.push(`${name}: ${mine[0]}`);
  }
  return problems;
}

describe('faults 8: every variable we read set to garbage', function () {
  this.timeout(5 * 60_000);
  const rejecting = allVariables().filter((v) => !v.parse(GARBAGE).ok).map((v) => v.name);

  it(`all ${allVariables().length} variables garbage, the OTLP endpoint kept: one warning each, the app runs, all ${N} audit records stored`, async () => {
    const s = await stack();
    const tag = uniqueTag('s8');
    const env = garbageEnv();
    for (const k of Object.keys(env)) if (/^OTEL_EXPORTER_OTLP_(\w+_)?(ENDPOINT|PROTOCOL)$/.test(k)) delete env[k];
    const app = startEmitter(s, { tag, n: N, env: { ...env, DOMAIN_OTEL_SHUTDOWN_TIMEOUT: GARBAGE, DOMAIN_OTEL_AUDIT_QUEUE_SIZE: GARBAGE, OTEL_LOG_LEVEL: GARBAGE, OTEL_SERVICE_NAME: GARBAGE } });
    const exit = await app.exited;
    const c = await s.settle(tag, N, { timeoutMs: 60_000, quietMs: 15_000 });
    const problems = checkWarnings(app.stderr, rejecting.filter((n) => !/^OTEL_EXPORTER_OTLP_(\w+_)?(ENDPOINT|PROTOCOL)$/.test(n)));
    const unknownInstr = app.stderr.includes(JSON.stringify(GARBAGE)) && /OTEL_NODE_ENABLED_INSTRUMENTATIONS/.test(app.stderr);
    report({
      scenario: `8 bad configuration (${allVariables().length} variables garbage, endpoint valid)`, sent: N, acknowledged: null, stored: c.entities, lost: N - c.entities, duplicated: c.rows - c.entities,
      result: exit.code === 0 && problems.length === 0 && unknownInstr && c.entities === N && c.rows === N ? 'pass' : 'FAIL',
      notes: `${rejecting.length} variables reject garbage and were each warned about once; free-form ones (${[...FREE_FORM].join(', ')}) accept any string${problems.length ? `; problems: ${problems.join('; ')}` : ''}`,
    });
    assert.equal(exit.code, 0, app.stderr);
    assert.deepEqual(problems, [], app.stderr);
    assert.ok(unknownInstr, 'the unknown instrumentation name is warned about');
    assert.equal(c.entities, N);
    assert.equal(c.rows, N);
  });

  it('all variables garbage including every endpoint and protocol: one warning each, the app still runs and exits 0 within the default shutdown bound', async () => {
    const tag = uniqueTag('s8-all');
    const t0 = Date.now();
    const app = startEmitter(undefined, { tag, n: 50, env: garbageEnv(), endpoint: GARBAGE });
    const timer = setTimeout(() => app.kill('SIGKILL'), 60_000);
    const exit = await app.exited;
    clearTimeout(timer);
    const ms = Date.now() - t0;
    const problems = checkWarnings(app.stderr, rejecting);
    assert.equal(exit.code, 0, app.stderr);
    assert.match(app.stdout, /^SUMMARY /m, 'the app ran to the end');
    assert.deepEqual(problems, [], app.stderr);
    assert.ok(ms < 30_000, `exit took ${ms} ms`);
  });
});

// @domain-otel/node enables each library adapter under its instrumentation name (under --require
// and under --import), and leaves it out when OTEL_NODE_ENABLED_INSTRUMENTATIONS does not name it
// or OTEL_NODE_DISABLED_INSTRUMENTATIONS does. Each adapter's fixture app (its package's
// test/fixtures/app.cjs and app.mjs) does a few things the adapter records, then publishes a
// marker record so the test knows the export is complete.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceivedLog, ReceivedSpan } from '../../../test/helpers/otlp-receiver';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { ROOT, childEnv, runApp } from './helpers';

const MARKER = 'fixture-marker';

interface AdapterCase {
  /** The instrumentation name the distribution knows the adapter by. */
  name: string;
  /** The adapter's package directory under packages/. */
  packageDir: string;
  /** Event the adapter's records arrive as, and the attribute the fixture's marker record sets to MARKER. */
  eventName: string;
  markerAttribute: string;
  /** What the ESM fixture exercises, for the test title. */
  esm: string;
  /** Instrumentations enabled besides `domain` and this one (e.g. `pg`, for the SQL spans). */
  alongside?: string;
  postgres?: boolean;
  /** What arrived, in a comparable form; `records` excludes the marker. */
  observe(records: ReceivedLog[], spans: ReceivedSpan[]): unknown;
  /** `observe` with the adapter on, and with it left out. */
  expected: unknown;
  none: unknown;
  /** Checked after the --require run with the adapter on. */
  alsoUnderRequire?(spans: ReceivedSpan[]): void;
  /** Options given in a DOMAIN_OTEL_CONFIG_FILE (YAML flow mapping), with what then arrives. */
  fileOptions?: { title: string; entry: 'require' | 'import'; options: string; expected: unknown }[];
}

const mutationRow = (l: ReceivedLog) => ({
  action: l.attributes['domain.mutation.action'],
  manager: l.attributes['domain.manager.name'],
  entity: l.attributes['domain.entity.id'],
  count: l.attributes['domain.mutation.count'],
  fields: l.attributes['domain.mutation.changed_fields'],
  outcome: l.attributes['domain.mutation.outcome'],
  user: l.attributes['user.id'],
});

const cacheCase = (name: string, esm: string, expected: unknown[]): AdapterCase => ({
  name,
  packageDir: `instrumentation-${name}`,
  eventName: 'domain.cache.invalidation',
  markerAttribute: 'domain.cache.name',
  esm,
  observe: (records) => records.map((l) => ({
    cache: l.attributes['domain.cache.name'],
    reason: l.attributes['domain.cache.reason'],
    keyCount: l.attributes['domain.cache.key_count'],
    keys: l.attributes['domain.cache.keys'],
    user: l.attributes['user.id'],
  })),
  expected,
  none: [],
});

const ORDER_MUTATIONS = [
  { action: 'create', manager: 'Order', entity: 1, count: undefined, fields: ['id', 'status', 'code'], outcome: 'success', user: '9' },
  { action: 'update', manager: 'Order', entity: 1, count: undefined, fields: ['status'], outcome: 'success', user: '9' },
  { action: 'bulk_delete', manager: 'Order', entity: undefined, count: 1, fields: undefined, outcome: 'success', user: '9' },
];

/** The first words of the SQL statement a pg span ran (the attribute name differs between semconv versions). */
const statementOf = (span: ReceivedSpan) =>
  String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '').replace(/\(.*$/s, '').split(' ').slice(0, 3).join(' ');

/** For each mutation span of `Order`: the statements of the pg spans that are its children (transaction control left out). */
function sqlUnderMutations(spans: ReceivedSpan[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const span of spans.filter((s) => /^(create|update|bulk_delete) Order$/.test(s.name))) {
    out[span.name] = spans
      .filter((s) => s.parentSpanId === span.spanId && s.traceId === span.traceId)
      .map(statementOf)
      .filter((s) => s !== '' && !/^(START TRANSACTION|COMMIT)/.test(s));
  }
  return out;
}

const ormCase = (name: string, table: string, esm: string, ignoreOption: string): AdapterCase => ({
  name,
  packageDir: `instrumentation-${name}`,
  eventName: 'domain.manager.mutation',
  markerAttribute: 'domain.manager.name',
  esm,
  alongside: 'pg',
  postgres: true,
  observe: (records) => records.map(mutationRow),
  expected: ORDER_MUTATIONS,
  none: [],
  alsoUnderRequire(spans) {
    assert.deepEqual(sqlUnderMutations(spans), {
      'create Order': [`INSERT INTO "${table}"`],
      'update Order': [`UPDATE "${table}" SET`],
      'bulk_delete Order': [`DELETE FROM "${table}"`],
    }, 'the SQL of each write is a child span of its mutation span');
  },
  fileOptions: [
    { title: 'managerName renames the model', entry: 'require', options: '{ managerName: { Order: orders } }', expected: ORDER_MUTATIONS.map((m) => ({ ...m, manager: 'orders' })) },
    { title: `${ignoreOption} leaves the model out`, entry: 'import', options: `{ ${ignoreOption}: [Order] }`, expected: [] },
  ],
});

const CASES: AdapterCase[] = [
  {
    name: 'casl',
    packageDir: 'instrumentation-casl',
    eventName: 'domain.audit.decision',
    markerAttribute: 'domain.manager.name',
    esm: 'an ESM app on CASL\'s ESM build',
    observe: (records) => records.map((l) => ({
      action: l.attributes['domain.audit.action'],
      outcome: l.attributes['domain.audit.outcome'],
      manager: l.attributes['domain.manager.name'],
      entity: l.attributes['domain.entity.id'],
      permissions: l.attributes['domain.audit.permissions'],
      check: (l.attributes['domain.audit.metadata'] as Record<string, unknown> | undefined)?.['casl.check'],
      user: l.attributes['user.id'],
      severity: l.severityText,
    })),
    expected: [
      { action: 'read', outcome: 'granted', manager: 'Invoice', entity: 10, permissions: ['can read Invoice {"ownerId":1}'], check: 'can', user: '1', severity: 'INFO' },
      { action: 'delete', outcome: 'denied', manager: 'Invoice', entity: 10, permissions: undefined, check: 'can', user: '1', severity: 'WARN' },
    ],
    none: [],
  },
  {
    name: 'json-rules-engine',
    packageDir: 'instrumentation-json-rules-engine',
    eventName: 'domain.rule.evaluation',
    markerAttribute: 'domain.rule.name',
    esm: 'an ESM app',
    observe(records, spans) {
      const runs = spans.filter((s) => s.name.startsWith('rule '));
      return {
        runs: runs.map((s) => [s.name, s.attributes['domain.rule.outcome'], s.attributes['user.id']]),
        evaluations: records
          .map((l) => ({
            name: l.attributes['domain.rule.name'],
            set: l.attributes['domain.rule.set'],
            outcome: l.attributes['domain.rule.outcome'],
            conditions: l.attributes['domain.rule.conditions'],
            user: l.attributes['user.id'],
            inRunSpan: runs.length === 1 && l.spanId === runs[0]!.spanId && l.traceId === runs[0]!.traceId,
          }))
          .sort((a, b) => String(a.name).localeCompare(String(b.name))),
      };
    },
    expected: {
      runs: [['rule pricing', 'failed', '5']],
      evaluations: [
        { name: 'big-order', set: 'pricing', outcome: 'passed', user: '5', inRunSpan: true, conditions: { all: [{ fact: 'total', operator: 'greaterThan', value: 100, factResult: 150, result: true }] } },
        { name: 'domestic', set: 'pricing', outcome: 'failed', user: '5', inRunSpan: true, conditions: { all: [{ fact: 'country', operator: 'equal', value: 'DE', factResult: 'FR', result: false }] } },
      ],
    },
    none: { runs: [], evaluations: [] },
  },
  cacheCase('lru-cache', 'the imported LRUCache binding', [
    { cache: 'orders', reason: 'evict', keyCount: 1, keys: ['o1'], user: '9' },
    { cache: 'orders', reason: 'manual', keyCount: 1, keys: ['o2'], user: '9' },
  ]),
  cacheCase('cache-manager', 'the imported createCache binding', [
    { cache: 'orders', reason: 'manual', keyCount: 1, keys: ['o1'], user: '9' },
    { cache: 'orders', reason: 'manual', keyCount: 1, keys: ['o2'], user: '9' },
    { cache: 'orders', reason: 'clear', keyCount: 1, keys: ['o3'], user: '9' },
  ]),
  ormCase('sequelize', 'Orders', 'an ESM app on Sequelize\'s ESM entry', 'ignoreModels'),
  ormCase('typeorm', 'orders', 'an ESM app on TypeORM\'s ESM entry', 'ignoreEntities'),
];

describe('@domain-otel/node: each library adapter by its instrumentation name', function () {
  this.timeout(90000);
  let receiver: OtlpReceiver;
  let pg: ThrowawayPostgres | undefined;
  let databases = 0;

  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });
  after(async () => {
    await pg?.destroy();
  });

  /** Runs the adapter's fixture app with `env`; returns what arrived, once the marker did. */
  async function run(c: AdapterCase, entry: 'require' | 'import', env: Record<string, string>): Promise<{ observed: unknown; spans: ReceivedSpan[] }> {
    const fixtures = path.join(ROOT, 'packages', c.packageDir, 'test', 'fixtures');
    const args = entry === 'require'
      ? ['--require', '@domain-otel/node/register', path.join(fixtures, 'app.cjs')]
      : ['--import', '@domain-otel/node/import', path.join(fixtures, 'app.mjs')];
    if (c.postgres) pg ??= await startThrowawayPostgres();
    const database = c.postgres ? { DATABASE_URL: await pg!.createDatabase(`node_dist_${++databases}`) } : {};
    const result = await runApp(args, childEnv({
      ...database,
      OTEL_SERVICE_NAME: `${c.name}-fixture`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOG_LEVEL: 'warn',
      ...env,
    }), 120000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const records = () => receiver.logs.filter((l) => l.eventName === c.eventName);
    await receiver.waitFor(() => records().some((l) => l.attributes[c.markerAttribute] === MARKER), 15000, 'the marker record');
    if (c.postgres) await receiver.waitFor(() => receiver.spans.some((s) => s.name === `create ${MARKER}`), 15000, 'the marker span');
    const spans = receiver.spans;
    return { observed: c.observe(records().filter((l) => l.attributes[c.markerAttribute] !== MARKER), spans), spans };
  }

  for (const c of CASES) {
    describe(`\`${c.name}\``, () => {
      const withIt = `domain,${c.alongside ? `${c.alongside},` : ''}${c.name}`;
      const withoutIt = `domain${c.alongside ? `,${c.alongside}` : ''}`;

      it(`enabled by name (--require): records arrive as ${c.eventName}`, async () => {
        const { observed, spans } = await run(c, 'require', { OTEL_NODE_ENABLED_INSTRUMENTATIONS: withIt });
        assert.deepEqual(observed, c.expected);
        c.alsoUnderRequire?.(spans);
      });

      it(`enabled (--import, ${c.esm}): the same records`, async () => {
        const { observed } = await run(c, 'import', { OTEL_NODE_ENABLED_INSTRUMENTATIONS: `domain,${c.name}` });
        assert.deepEqual(observed, c.expected);
      });

      it('left out of OTEL_NODE_ENABLED_INSTRUMENTATIONS: nothing from it', async () => {
        assert.deepEqual((await run(c, 'require', { OTEL_NODE_ENABLED_INSTRUMENTATIONS: withoutIt })).observed, c.none);
      });

      it('named in OTEL_NODE_DISABLED_INSTRUMENTATIONS: nothing from it', async () => {
        assert.deepEqual((await run(c, 'require', { OTEL_NODE_DISABLED_INSTRUMENTATIONS: c.name })).observed, c.none);
      });

      for (const f of c.fileOptions ?? []) {
        it(`options from a configuration file (--${f.entry}): ${f.title}`, async () => {
          const file = path.join(mkdtempSync(path.join(tmpdir(), `domain-otel-${c.name}-`)), 'config.yaml');
          writeFileSync(file, `domain_otel:\n  instrumentations:\n    ${c.name}: ${f.options}\n`);
          assert.deepEqual((await run(c, f.entry, { DOMAIN_OTEL_CONFIG_FILE: file })).observed, f.expected);
        });
      }
    });
  }
});

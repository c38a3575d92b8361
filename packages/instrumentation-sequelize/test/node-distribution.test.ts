// @domain-otel/node enables this adapter under the name `sequelize` (and leaves it out when
// told), and the SQL of each write is a child span of its mutation span.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceivedSpan } from '../../../test/helpers/otlp-receiver';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { FIXTURES, runNode } from './helpers';

const EXPECTED = [
  { action: 'create', manager: 'Order', entity: 1, count: undefined, fields: ['id', 'status', 'code'], outcome: 'success', user: '9' },
  { action: 'update', manager: 'Order', entity: 1, count: undefined, fields: ['status'], outcome: 'success', user: '9' },
  { action: 'bulk_delete', manager: 'Order', entity: undefined, count: 1, fields: undefined, outcome: 'success', user: '9' },
];

/** The SQL statement a pg span ran (attribute name differs between semconv versions). */
const statementOf = (span: ReceivedSpan) => String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '');

describe('@domain-otel/node: instrumentation name `sequelize`', function () {
  this.timeout(90000);
  let pg: ThrowawayPostgres;
  let receiver: OtlpReceiver;
  let databases = 0;

  before(async () => {
    pg = await startThrowawayPostgres();
  });
  after(async () => {
    await pg?.destroy();
  });
  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  async function runApp(args: string[], env: Record<string, string>) {
    const url = await pg.createDatabase(`node_dist_${++databases}`);
    const result = await runNode(args, {
      DATABASE_URL: url,
      OTEL_SERVICE_NAME: 'sequelize-fixture',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOG_LEVEL: 'warn',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const events = () => receiver.logs.filter((l) => l.eventName === 'domain.manager.mutation');
    await receiver.waitFor(() => events().some((l) => l.attributes['domain.manager.name'] === 'fixture-marker'), 15000, 'the marker mutation');
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'create fixture-marker'), 15000, 'the marker span');
    return events()
      .filter((l) => l.attributes['domain.manager.name'] !== 'fixture-marker')
      .map((l) => ({
        action: l.attributes['domain.mutation.action'],
        manager: l.attributes['domain.manager.name'],
        entity: l.attributes['domain.entity.id'],
        count: l.attributes['domain.mutation.count'],
        fields: l.attributes['domain.mutation.changed_fields'],
        outcome: l.attributes['domain.mutation.outcome'],
        user: l.attributes['user.id'],
      }));
  }

  /** For each mutation span: the SQL statements of the pg spans that are its children. */
  function sqlUnderMutations(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const span of receiver.spans.filter((s) => /^(create|update|bulk_delete) Order$/.test(s.name))) {
      out[span.name] = receiver.spans
        .filter((s) => s.parentSpanId === span.spanId && s.traceId === span.traceId)
        .map((s) => statementOf(s).split(' ').slice(0, 3).join(' '));
    }
    return out;
  }

  const REQUIRE = ['--require', '@domain-otel/node/register', path.join(FIXTURES, 'app.cjs')];

  it('enabled by name (--require): each write arrives as a domain.manager.mutation event, its SQL span a child of the mutation span', async () => {
    assert.deepEqual(await runApp(REQUIRE, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,pg,sequelize' }), EXPECTED);
    assert.deepEqual(sqlUnderMutations(), {
      'create Order': ['INSERT INTO "Orders"'],
      'update Order': ['UPDATE "Orders" SET'],
      'bulk_delete Order': ['DELETE FROM "Orders"'],
    });
  });

  it('enabled (--import, ESM app on Sequelize\'s ESM entry): the same mutations', async () => {
    const args = ['--import', '@domain-otel/node/import', path.join(FIXTURES, 'app.mjs')];
    assert.deepEqual(await runApp(args, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,sequelize' }), EXPECTED);
  });

  /** A DOMAIN_OTEL_CONFIG_FILE with these `sequelize` options. */
  function configFile(options: string): string {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'domain-otel-sequelize-')), 'config.yaml');
    writeFileSync(file, `domain_otel:\n  instrumentations:\n    sequelize: ${options}\n`);
    return file;
  }

  it('options from a configuration file under --require: managerName renames the model', async () => {
    const events = await runApp(REQUIRE, { DOMAIN_OTEL_CONFIG_FILE: configFile('{ managerName: { Order: orders } }') });
    assert.deepEqual(events, EXPECTED.map((e) => ({ ...e, manager: 'orders' })));
  });

  it('options from a configuration file under --import: ignoreModels leaves the model out', async () => {
    const args = ['--import', '@domain-otel/node/import', path.join(FIXTURES, 'app.mjs')];
    assert.deepEqual(await runApp(args, { DOMAIN_OTEL_CONFIG_FILE: configFile('{ ignoreModels: [Order] }') }), []);
  });

  it('left out of OTEL_NODE_ENABLED_INSTRUMENTATIONS: no mutations from Sequelize', async () => {
    assert.deepEqual(await runApp(REQUIRE, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,pg' }), []);
  });

  it('named in OTEL_NODE_DISABLED_INSTRUMENTATIONS: no mutations from Sequelize', async () => {
    assert.deepEqual(await runApp(REQUIRE, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'sequelize' }), []);
  });
});

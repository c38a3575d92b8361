import assert from 'node:assert/strict';
import { runCli } from '../src/cli';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';

// Found by the fault suite (test/faults/09-security.faults.ts): verify read each chain ordered by
// the text form of seq, so an untouched chain of 10 or more rows was reported as broken
// ("expected seq 2, found seq 10").
describe('audit-sink verify: chains of 10+ rows, read across pages', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  before(async () => { sink = await startSink(); });
  after(async () => { await sink?.close(); });

  it('an untouched chain of 1,234 rows verifies', async () => {
    const specs = Array.from({ length: 1234 }, (_, i) => decision({ 'domain.entity.id': String(i) }, { timestamp: new Date(Date.UTC(2021, 4, 1, 0, 0, i)) }));
    for (let i = 0; i < specs.length; i += 500) assertExported(await exportWith('proto', sink.url, await sdkRecords(specs.slice(i, i + 500))));
    let out = '';
    let err = '';
    const code = await runCli(['verify', '--database-url', sink.adminUrl, '--chain', '2021-05'], { out: (s) => (out += s), err: (s) => (err += s), env: {} });
    assert.equal(code, 0, out + err);
    assert.match(out, /chain 2021-05#0: ok, 1234 rows/);
  });
});

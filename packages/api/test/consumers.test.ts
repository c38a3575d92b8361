// The built package as consumers load it: ESM named imports, CommonJS require,
// and a second copy of the package in the same process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as src from '../src/index';

const ROOT = join(__dirname, '..', '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const DIST = join(ROOT, 'packages', 'api', 'dist', 'index.js');
const run = promisify(execFile);

const EXPECTED = {
  channel: 'domain-otel:audit.decision',
  attr: 'domain.audit.action',
  errorName: 'AuditDeliveryError',
  value: '42',
  seen: [{ manager: 'M', actor: { id: '42' } }, 'start', 'end', 'asyncStart', 'asyncEnd:42'],
};

describe('consumers of the built package', () => {
  before(function () {
    assert.ok(existsSync(DIST), 'packages/api is not built: run `npx tsc -b packages/api` first');
  });

  for (const fixture of ['esm-consumer.mjs', 'cjs-consumer.cjs']) {
    it(`${fixture} loads it by name and sees its events`, async () => {
      const { stdout } = await run(NODE, [join(__dirname, 'fixtures', fixture)], { cwd: ROOT });
      assert.deepEqual(JSON.parse(stdout), EXPECTED);
    });
  }

  it('a second copy of the package shares the actor scope and the channels', () => {
    const dist = createRequire(__filename)(DIST) as typeof src;
    assert.notEqual(dist.withActor, src.withActor, 'expected two module instances');
    assert.equal(dist.actorStorage, src.actorStorage);
    assert.deepEqual(
      src.withActor({ id: '7' }, () => dist.getActor()),
      { id: '7' },
    );
    const seen: string[] = [];
    const onMessage = (m: src.AuditDecisionMessage) => seen.push(m.decision.manager);
    src.channels.auditDecision.subscribe(onMessage);
    try {
      void dist.audit.decision({ action: 'read', outcome: 'granted', manager: 'from-dist' });
    } finally {
      src.channels.auditDecision.unsubscribe(onMessage);
    }
    assert.deepEqual(seen, ['from-dist']);
  });
});

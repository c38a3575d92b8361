// The adapter against the real @casl/ability installed at the root (7.x): every path, event by event.
import assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { withActor } from '@domain-otel/api';
import type { AuditDecision } from '@domain-otel/api';
import { CaslInstrumentation, IMPLICIT_DENY_REASON, bypassWhenManageAll } from '../src';
import type { CaslCheckInfo } from '../src';
import { assertExactly, captureApi } from './helpers';

type Casl = typeof import('@casl/ability');

const RULES = [
  { action: 'read', subject: 'Post', conditions: { authorId: 42 }, reason: 'authors read their posts' },
  { action: 'update', subject: 'Post', fields: ['title', 'body'], conditions: { authorId: 42 } },
  { action: 'delete', subject: 'Post', inverted: true, reason: 'posts are never deleted' },
  { action: 'publish', subject: 'Post' },
];

/** The decision published for a check, with the metadata every decision carries. */
function expected(d: Omit<AuditDecision, 'metadata'> & { check?: string; casl: string; extra?: Record<string, unknown> }): { decision: AuditDecision; actor: undefined } {
  const { check = 'can', casl, extra = {}, ...rest } = d;
  return { decision: { ...rest, metadata: { 'casl.action': casl, 'casl.check': check, ...extra } }, actor: undefined };
}

describe('@casl/ability instrumentation (in process, root version)', () => {
  let instrumentation: CaslInstrumentation;
  let casl: Casl;
  let capture: ReturnType<typeof captureApi>;

  before(() => {
    instrumentation = new CaslInstrumentation();
    // Required after the instrumentation exists, as under `--require @domain-otel/node/register`.
    casl = require('@casl/ability') as Casl;
  });
  after(() => instrumentation.disable());
  beforeEach(() => {
    instrumentation.setConfig({});
    capture = captureApi();
  });
  afterEach(() => capture.stop());

  const ability = () => casl.createMongoAbility(RULES);
  const post = (fields: Record<string, unknown>) => casl.subject('Post', { ...fields });

  it('granted: the matching rule, its conditions and reason, the entity id', () => {
    assert.equal(ability().can('read', post({ id: 7, authorId: 42 })), true);
    assertExactly(capture.take(), [expected({
      action: 'read', outcome: 'granted', manager: 'Post', entityId: 7, casl: 'read',
      permissions: ['can read Post {"authorId":42}'], reason: 'authors read their posts',
    })]);
    assert.deepEqual(capture.others, []);
  });

  it('implicit deny: no rule matched', () => {
    assert.equal(ability().can('read', post({ id: 8, authorId: 1 })), false);
    assertExactly(capture.take(), [expected({
      action: 'read', outcome: 'denied', manager: 'Post', entityId: 8, casl: 'read',
      reason: IMPLICIT_DENY_REASON, extra: { 'casl.implicit_deny': true },
    })]);
  });

  it('denied by an inverted rule, with its reason', () => {
    assert.equal(ability().can('delete', post({ id: 9, authorId: 42 })), false);
    assertExactly(capture.take(), [expected({
      action: 'delete', outcome: 'denied', manager: 'Post', entityId: 9, casl: 'delete',
      permissions: ['cannot delete Post'], reason: 'posts are never deleted',
    })]);
  });

  it('field-level: the field is the decision\'s attribute, granted and denied', () => {
    const a = ability();
    assert.equal(a.can('update', post({ id: 7, authorId: 42 }), 'title'), true);
    assert.equal(a.can('update', post({ id: 7, authorId: 42 }), 'authorId'), false);
    assertExactly(capture.take(), [
      expected({
        action: 'update', outcome: 'granted', manager: 'Post', entityId: 7, casl: 'update', attributes: ['title'],
        permissions: ['can update Post [title,body] {"authorId":42}'],
      }),
      expected({
        action: 'update', outcome: 'denied', manager: 'Post', entityId: 7, casl: 'update', attributes: ['authorId'],
        reason: IMPLICIT_DENY_REASON, extra: { 'casl.implicit_deny': true },
      }),
    ]);
  });

  it('type-level check: no entity id, marked as a type check (conditions were not evaluated)', () => {
    assert.equal(ability().can('read', 'Post'), true);
    assertExactly(capture.take(), [expected({
      action: 'read', outcome: 'granted', manager: 'Post', casl: 'read',
      permissions: ['can read Post {"authorId":42}'], reason: 'authors read their posts', extra: { 'casl.type_check': true },
    })]);
  });

  it('cannot(): one decision (not one for cannot and one for the inner can)', () => {
    const a = ability();
    assert.equal(a.cannot('delete', 'Post'), true);
    assert.equal(a.cannot('publish', 'Post'), false);
    assertExactly(capture.take(), [
      expected({
        action: 'delete', outcome: 'denied', manager: 'Post', casl: 'delete', check: 'cannot',
        permissions: ['cannot delete Post'], reason: 'posts are never deleted', extra: { 'casl.type_check': true },
      }),
      expected({
        action: 'custom', outcome: 'granted', manager: 'Post', casl: 'publish', check: 'cannot',
        permissions: ['can publish Post'], extra: { 'casl.type_check': true },
      }),
    ]);
  });

  it('ForbiddenError.throwUnlessCan: denied (the same error is thrown) and granted', () => {
    const a = ability();
    const error = casl.ForbiddenError.from(a);
    assert.throws(() => error.throwUnlessCan('delete', post({ id: 3, authorId: 42 })), (e: unknown) => {
      assert.equal(e, error);
      assert.equal((e as Error).message, 'posts are never deleted');
      return true;
    });
    casl.ForbiddenError.from(a).throwUnlessCan('read', post({ id: 4, authorId: 42 }));
    assertExactly(capture.take(), [
      expected({
        action: 'delete', outcome: 'denied', manager: 'Post', entityId: 3, casl: 'delete', check: 'ForbiddenError',
        permissions: ['cannot delete Post'], reason: 'posts are never deleted',
      }),
      expected({
        action: 'read', outcome: 'granted', manager: 'Post', entityId: 4, casl: 'read', check: 'ForbiddenError',
        permissions: ['can read Post {"authorId":42}'], reason: 'authors read their posts',
      }),
    ]);
  });

  it('ForbiddenError.unlessCan: one decision, the error returned unchanged', () => {
    const error = casl.ForbiddenError.from(ability());
    assert.equal(error.unlessCan('update', post({ id: 5, authorId: 1 }), 'title'), error);
    assertExactly(capture.take(), [expected({
      action: 'update', outcome: 'denied', manager: 'Post', entityId: 5, casl: 'update', check: 'ForbiddenError',
      attributes: ['title'], reason: IMPLICIT_DENY_REASON, extra: { 'casl.implicit_deny': true },
    })]);
  });

  it('an action other than create/read/update/delete is `custom`; actionMap maps it', () => {
    ability().can('publish', post({ id: 1 }));
    instrumentation.setConfig({ actionMap: { publish: 'update' } });
    ability().can('publish', post({ id: 1 }));
    ability().can('toString', 'Post'); // must not resolve through Object.prototype
    assertExactly(capture.take(), [
      expected({ action: 'custom', outcome: 'granted', manager: 'Post', entityId: 1, casl: 'publish', permissions: ['can publish Post'] }),
      expected({ action: 'update', outcome: 'granted', manager: 'Post', entityId: 1, casl: 'publish', permissions: ['can publish Post'] }),
      expected({
        action: 'custom', outcome: 'denied', manager: 'Post', casl: 'toString', reason: IMPLICIT_DENY_REASON,
        extra: { 'casl.type_check': true, 'casl.implicit_deny': true },
      }),
    ]);
  });

  describe('grantedReadSampleRatio', () => {
    it('0: granted reads are dropped; denied reads and granted writes are always recorded', () => {
      instrumentation.setConfig({ grantedReadSampleRatio: 0 });
      const a = ability();
      assert.equal(a.can('read', post({ id: 1, authorId: 42 })), true);
      assert.equal(a.can('read', post({ id: 2, authorId: 1 })), false);
      assert.equal(a.can('update', post({ id: 3, authorId: 42 }), 'title'), true);
      assert.equal(a.can('delete', post({ id: 4, authorId: 42 })), false);
      assert.deepEqual(capture.take().map((p) => [p.decision.action, p.decision.outcome, p.decision.entityId]), [
        ['read', 'denied', 2], ['update', 'granted', 3], ['delete', 'denied', 4],
      ]);
    });

    it('0.5: a granted read is kept when Math.random() < 0.5', () => {
      instrumentation.setConfig({ grantedReadSampleRatio: 0.5 });
      const draws = [0.2, 0.7, 0.49999, 0.5];
      const random = Math.random;
      Math.random = () => draws.shift() ?? 0;
      try {
        for (const id of [1, 2, 3, 4]) ability().can('read', post({ id, authorId: 42 }));
      } finally {
        Math.random = random;
      }
      assert.deepEqual(capture.take().map((p) => p.decision.entityId), [1, 3]);
    });

    it('an invalid ratio records everything', () => {
      instrumentation.setConfig({ grantedReadSampleRatio: 2 });
      ability().can('read', post({ id: 1, authorId: 42 }));
      assert.equal(capture.take().length, 1);
    });
  });

  describe('bypass (superuser)', () => {
    it('bypassWhenManageAll: a granted check through `manage all` is `bypassed`; denials stay denied', () => {
      instrumentation.setConfig({ bypass: bypassWhenManageAll });
      const admin = casl.createMongoAbility([
        { action: 'manage', subject: 'all' },
        { action: 'delete', subject: 'Invoice', inverted: true, reason: 'invoices are immutable' },
      ]);
      assert.equal(admin.can('update', casl.subject('Invoice', { id: 11 })), true);
      assert.equal(admin.can('delete', casl.subject('Invoice', { id: 11 })), false);
      ability().can('read', post({ id: 7, authorId: 42 }));
      assertExactly(capture.take(), [
        expected({ action: 'update', outcome: 'bypassed', manager: 'Invoice', entityId: 11, casl: 'update', permissions: ['can manage all'] }),
        expected({
          action: 'delete', outcome: 'denied', manager: 'Invoice', entityId: 11, casl: 'delete',
          permissions: ['cannot delete Invoice'], reason: 'invoices are immutable',
        }),
        expected({
          action: 'read', outcome: 'granted', manager: 'Post', entityId: 7, casl: 'read',
          permissions: ['can read Post {"authorId":42}'], reason: 'authors read their posts',
        }),
      ]);
    });

    it('a custom hook gets the check and its rule', () => {
      const seen: CaslCheckInfo[] = [];
      instrumentation.setConfig({ bypass: (check) => { seen.push(check); return true; } });
      const a = ability();
      const subject = post({ id: 7, authorId: 42 });
      a.can('update', subject, 'body');
      a.can('read', post({ id: 8, authorId: 1 }));
      assert.equal(seen.length, 1, 'the hook is asked about granted checks only');
      assert.deepEqual(seen[0], {
        action: 'update', subjectType: 'Post', subject, field: 'body', granted: true, ability: a,
        rule: { action: ['update'], subject: ['Post'], inverted: false, conditions: { authorId: 42 }, fields: ['title', 'body'] },
      });
      assert.deepEqual(capture.take().map((p) => p.decision.outcome), ['bypassed', 'denied']);
    });
  });

  it('entityId, managerName and class subjects (modelName)', () => {
    class Article { static modelName = 'BlogArticle'; constructor(readonly uuid: string, readonly authorId: number) {} }
    instrumentation.setConfig({
      entityId: (subject) => (subject as { uuid?: string }).uuid,
      managerName: (type) => `${type}Manager`,
    });
    const a = casl.createMongoAbility<[string, Article | typeof Article]>([{ action: 'read', subject: Article, conditions: { authorId: 1 } }]);
    assert.equal(a.can('read', new Article('a-1', 1)), true);
    assert.equal(a.can('read', Article), true);
    assertExactly(capture.take(), [
      expected({
        action: 'read', outcome: 'granted', manager: 'BlogArticleManager', entityId: 'a-1', casl: 'read',
        permissions: ['can read BlogArticle {"authorId":1}'], extra: { 'casl.subject_type': 'BlogArticle' },
      }),
      expected({
        action: 'read', outcome: 'granted', manager: 'BlogArticleManager', casl: 'read',
        permissions: ['can read BlogArticle {"authorId":1}'], extra: { 'casl.subject_type': 'BlogArticle', 'casl.type_check': true },
      }),
    ]);
  });

  it('claim-style check without a subject: manager `all`', () => {
    // Claim-based rules (no subject) are valid CASL; the Mongo ability's typings want subjects.
    const a = casl.createMongoAbility([{ action: 'review' }] as never) as unknown as { can(action: string): boolean };
    assert.equal(a.can('review'), true);
    assertExactly(capture.take(), [expected({
      action: 'custom', outcome: 'granted', manager: 'all', casl: 'review', permissions: ['can review all'], extra: { 'casl.type_check': true },
    })]);
  });

  it('the actor of the scope is attached', () => {
    withActor({ id: '42', name: 'Ada', tenant: 'acme' }, () => ability().can('read', post({ id: 7, authorId: 42 })));
    const [published] = capture.take();
    assert.deepEqual(published?.actor, { id: '42', name: 'Ada', tenant: 'acme' });
  });

  it('a throwing hook never reaches the app: the check answers as usual, and the instrumentation\'s diag logger reports it once', () => {
    const errors: unknown[][] = [];
    const ignore = () => {};
    diag.setLogger({ error: (...args: unknown[]) => errors.push(args), warn: ignore, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.ERROR);
    try {
      instrumentation.setConfig({ entityId: () => { throw new Error('hook bug'); } });
      assert.equal(ability().can('read', post({ id: 7, authorId: 42 })), true);
      assert.equal(ability().cannot('read', post({ id: 7, authorId: 42 })), false);
      assert.deepEqual(capture.take(), []);
    } finally {
      diag.disable();
    }
    assert.deepEqual(errors.map(([namespace, message, err]) => [namespace, message, (err as Error).message]), [[
      instrumentation.instrumentationName,
      'recording a CASL check failed; the check itself was not affected. Further failures here are not reported.',
      'hook bug',
    ]]);
  });

  it('nothing subscribed: checks answer as usual and nothing is published', () => {
    capture.stop();
    const a = ability();
    assert.equal(a.can('read', post({ id: 7, authorId: 42 })), true);
    assert.equal(a.cannot('delete', 'Post'), true);
    assert.throws(() => casl.ForbiddenError.from(a).throwUnlessCan('delete', 'Post'), casl.ForbiddenError);
    capture = captureApi();
    assert.deepEqual(capture.take(), []);
  });

  it('disable() unpatches (no decisions); enable() patches again', () => {
    instrumentation.disable();
    try {
      ability().can('read', post({ id: 1, authorId: 42 }));
      assert.deepEqual(capture.take(), []);
    } finally {
      instrumentation.enable();
    }
    ability().can('read', post({ id: 2, authorId: 42 }));
    assert.deepEqual(capture.take().map((p) => p.decision.entityId), [2]);
  });
});

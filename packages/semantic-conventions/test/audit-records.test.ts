import assert from 'node:assert/strict';
import {
  AUDIT_EVENT_NAMES, EVENT_DOMAIN_AUDIT_ACCESS, EVENT_DOMAIN_AUDIT_DECISION, EVENT_DOMAIN_CACHE_INVALIDATION,
  EVENT_DOMAIN_MANAGER_MUTATION, EVENT_DOMAIN_RULE_EVALUATION, isAuditEventName,
} from '../src';
import { REGISTRY } from '../src/registry';

describe('audit records: which events they are', () => {
  it('decisions and mutations, each a registered event', () => {
    assert.deepEqual([...AUDIT_EVENT_NAMES], [EVENT_DOMAIN_AUDIT_DECISION, EVENT_DOMAIN_MANAGER_MUTATION]);
    const events = new Set(REGISTRY.filter((e) => e.kind === 'event').map((e) => e.name));
    for (const name of AUDIT_EVENT_NAMES) assert.ok(events.has(name), `${name} is not a registered event`);
  });

  it('isAuditEventName: true for those two only (access records are written by the sink, never accepted from apps)', () => {
    const answers = [
      EVENT_DOMAIN_AUDIT_DECISION, EVENT_DOMAIN_MANAGER_MUTATION, EVENT_DOMAIN_RULE_EVALUATION, EVENT_DOMAIN_CACHE_INVALIDATION,
      EVENT_DOMAIN_AUDIT_ACCESS, 'domain.audit.decisions', '', undefined,
    ].map((name) => [name, isAuditEventName(name)]);
    assert.deepEqual(answers, [
      [EVENT_DOMAIN_AUDIT_DECISION, true], [EVENT_DOMAIN_MANAGER_MUTATION, true], [EVENT_DOMAIN_RULE_EVALUATION, false],
      [EVENT_DOMAIN_CACHE_INVALIDATION, false], [EVENT_DOMAIN_AUDIT_ACCESS, false], ['domain.audit.decisions', false], ['', false], [undefined, false],
    ]);
  });
});

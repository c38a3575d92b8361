/**
 * The nesting check the ORM adapters' tests share: a write caused by another write (from a
 * hook or a subscriber) is that write's child, and a write made inside a rule is the rule's.
 */
import assert from 'node:assert/strict';
import { traceRule, withActor } from '@domain-otel/api';
import type { captureMutations } from './mutation-capture';

/**
 * Runs `write` as actor 7 inside a rule. It must create an Order whose hook (or subscriber)
 * writes a Note: the Note is the Order's child, the Order the rule's, the Note carries the
 * actor, and the rule is the only other thing published.
 */
export async function assertNoteInOrderInRule(capture: ReturnType<typeof captureMutations>, write: () => Promise<unknown>): Promise<void> {
  let ruleCtx: object | undefined;
  await withActor({ id: '7' }, () => traceRule({ name: 'open-order' }, async (ctx) => {
    ruleCtx = ctx;
    return write();
  }));
  const [note, order] = capture.take();
  assert.equal(note?.manager, 'Note');
  assert.equal(order?.manager, 'Order');
  assert.deepEqual(note?.actor, { id: '7' });
  assert.equal(capture.parentOf(note!), order);
  assert.equal(capture.parentOf(order!), ruleCtx);
  assert.deepEqual(capture.others.splice(0), ['rule'], 'the test\'s own rule');
}

import path from 'node:path';
import type { AuditDecisionMessage } from '@domain-otel/api';
import { subscribeApi } from '../../../test/helpers/api-capture';
export { assertExactly, ensureInstalled, runNode, jsonLines } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** What the adapter published on the api's audit-decision channel, in order. */
export interface Published {
  decision: AuditDecisionMessage['decision'];
  actor: AuditDecisionMessage['actor'];
}

/**
 * Subscribes to every api channel. Audit decisions are kept; anything published on another
 * channel is kept in `others` (an adapter for CASL must publish nothing else).
 */
export function captureApi() {
  const decisions: Published[] = [];
  const others: string[] = [];
  const stop = subscribeApi({ auditDecision: (m) => decisions.push({ decision: m.decision, actor: m.actor }) }, others);
  return {
    decisions,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return decisions.splice(0);
    },
    stop,
  };
}

import * as audit from '../audit';
import * as cache from '../cache';
import * as mutation from '../mutation';
import * as rule from '../rule';
import { event } from './entries';
import type { EventEntry } from './model';

export const AUDIT = audit.EVENT_DOMAIN_AUDIT_DECISION;
export const MUTATION = mutation.EVENT_DOMAIN_MANAGER_MUTATION;
export const RULE = rule.EVENT_DOMAIN_RULE_EVALUATION;
export const CACHE = cache.EVENT_DOMAIN_CACHE_INVALIDATION;
export const ACCESS = audit.EVENT_DOMAIN_AUDIT_ACCESS;

export const EVENTS: readonly EventEntry[] = [
  event(audit, 'EVENT_DOMAIN_AUDIT_DECISION', 'INFO; WARN when denied',
    'An actor asked to create/read/update/delete/mutate something and was granted, denied, or let through by a bypass.'),
  event(mutation, 'EVENT_DOMAIN_MANAGER_MUTATION', 'INFO; ERROR when the mutation failed',
    'An entity was created, updated, deactivated or deleted through a manager.'),
  event(rule, 'EVENT_DOMAIN_RULE_EVALUATION', 'INFO; ERROR when the rule threw', 'A business or validation rule ran.'),
  event(cache, 'EVENT_DOMAIN_CACHE_INVALIDATION', 'INFO', 'Cached entries were dropped (one event per invalidation call).'),
  event(audit, 'EVENT_DOMAIN_AUDIT_ACCESS', 'INFO',
    'Someone ran a domain-otel-audit query, verify, retain, checkpoint or prove, or searched, opened, exported or proved records in its viewer: written by the audit sink itself, chained and checkpointed like every audit record, never accepted from applications.'),
];

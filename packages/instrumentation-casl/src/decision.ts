// Pure functions turning one decided CASL check into an @domain-otel/api AuditDecision.
import type { AuditAction, AuditDecision, AuditOutcome } from '@domain-otel/api';
import type { CaslRule } from './internal-types';
import type { CaslCheckInfo, CaslCheckKind, CaslInstrumentationConfig, CaslRuleView } from './types';

export const DEFAULT_ACTIONS: Readonly<Record<string, AuditAction>> = {
  create: 'create',
  read: 'read',
  update: 'update',
  delete: 'delete',
};

/** Reason recorded when no rule matched (CASL denies by default). */
export const IMPLICIT_DENY_REASON = 'implicit deny: no rule matched';

/** CASL's own test: strings and classes are subject types, anything else is an instance. */
export function isSubjectType(subject: unknown): boolean {
  return subject === undefined || subject === null || typeof subject === 'string' || typeof subject === 'function';
}

/** Name of a subject type as CASL reports it (`modelName` or `name` for classes). */
export function subjectTypeName(type: unknown): string {
  if (typeof type === 'string') return type;
  if (typeof type === 'function') {
    const named = type as { modelName?: unknown; name?: unknown };
    if (typeof named.modelName === 'string' && named.modelName !== '') return named.modelName;
    if (typeof named.name === 'string' && named.name !== '') return named.name;
    return 'anonymous class';
  }
  return String(type);
}

function toStrings(value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined || value === null) return [...fallback];
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((v) => (typeof v === 'string' ? v : subjectTypeName(v)));
}

/** The rule as the app wrote it (raw rule when CASL kept it, else the compiled one). */
export function ruleView(rule: CaslRule): CaslRuleView {
  const origin = rule.origin ?? {};
  const conditions = origin.conditions ?? rule.conditions;
  const fields = origin.fields ?? rule.fields;
  const reason = rule.reason ?? (typeof origin.reason === 'string' ? origin.reason : undefined);
  return {
    action: toStrings(origin.action ?? rule.action, []),
    subject: toStrings(origin.subject ?? rule.subject, ['all']),
    inverted: rule.inverted === true,
    ...(conditions !== undefined ? { conditions } : {}),
    ...(fields !== undefined ? { fields: toStrings(fields, []) } : {}),
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
  };
}

function json(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return text ?? String(value);
  } catch {
    return '[unserializable conditions]';
  }
}

/** `can read Post`, `cannot delete Post`, `can update Post [title,body]`, `can read Post {"authorId":42}`. */
export function permissionExpression(rule: CaslRuleView): string {
  let text = `${rule.inverted ? 'cannot' : 'can'} ${rule.action.join(',')} ${rule.subject.join(',')}`;
  if (rule.fields !== undefined && rule.fields.length > 0) text += ` [${rule.fields.join(',')}]`;
  if (rule.conditions !== undefined) text += ` ${json(rule.conditions)}`;
  return text;
}

/** A superuser's `manage all` rule (CASL's default "any action" / "any subject") counts as a bypass. */
export function bypassWhenManageAll(check: CaslCheckInfo): boolean {
  const rule = check.rule;
  return rule !== null && !rule.inverted && rule.action.includes('manage') && rule.subject.includes('all');
}

/** Own keys only: an action named `constructor` or `toString` must not hit Object.prototype. */
export function mapAction(action: string, custom: Readonly<Record<string, AuditAction>> | undefined): AuditAction {
  if (custom !== undefined && Object.hasOwn(custom, action)) return custom[action] as AuditAction;
  if (Object.hasOwn(DEFAULT_ACTIONS, action)) return DEFAULT_ACTIONS[action] as AuditAction;
  return 'custom';
}

function defaultEntityId(subject: object): string | number | undefined {
  const id = (subject as { id?: unknown }).id;
  if (typeof id === 'string' || typeof id === 'number') return id;
  if (typeof id === 'bigint') return id.toString();
  return undefined;
}

export interface DecidedCheck {
  check: CaslCheckKind;
  action: string;
  subject: unknown;
  field: string | undefined;
  subjectType: string;
  granted: boolean;
  rule: CaslRule | null;
  ability: object;
}

/**
 * The audit decision for one check, or `undefined` when sampling drops it (granted reads
 * only). `random` is injected so the sampling decision can be tested.
 */
export function buildDecision(
  c: DecidedCheck, config: CaslInstrumentationConfig, sampleRatio: number, random: () => number,
): AuditDecision | undefined {
  const view = c.rule === null ? null : ruleView(c.rule);
  const mapped = mapAction(c.action, config.actionMap);
  let outcome: AuditOutcome = c.granted ? 'granted' : 'denied';
  if (c.granted && config.bypass !== undefined) {
    const info: CaslCheckInfo = {
      action: c.action, subjectType: c.subjectType, subject: c.subject, granted: true, rule: view, ability: c.ability,
      ...(c.field !== undefined ? { field: c.field } : {}),
    };
    if (config.bypass(info)) outcome = 'bypassed';
  }
  if (outcome === 'granted' && mapped === 'read' && sampleRatio < 1 && !(random() < sampleRatio)) return undefined;

  const manager = config.managerName !== undefined ? config.managerName(c.subjectType) : c.subjectType;
  const metadata: Record<string, unknown> = { 'casl.action': c.action, 'casl.check': c.check };
  if (config.managerName !== undefined) metadata['casl.subject_type'] = c.subjectType;
  const instance = !isSubjectType(c.subject);
  if (!instance) metadata['casl.type_check'] = true;
  if (view === null) metadata['casl.implicit_deny'] = true;

  const decision: AuditDecision = { action: mapped, outcome, manager, metadata };
  if (instance) {
    const subject = c.subject as object;
    const id = config.entityId !== undefined ? config.entityId(subject, c.subjectType) : defaultEntityId(subject);
    if (id !== undefined) decision.entityId = id;
  }
  if (c.field !== undefined) decision.attributes = [c.field];
  if (view !== null) decision.permissions = [permissionExpression(view)];
  const reason = view === null ? IMPLICIT_DENY_REASON : view.reason;
  if (reason !== undefined) decision.reason = reason;
  return decision;
}

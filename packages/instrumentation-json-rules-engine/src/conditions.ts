// The per-condition trace of an evaluated rule, as plain data.
import type { ConditionNode } from './internal-types';

const MAX_DEPTH = 32;

/**
 * The evaluated condition tree, keeping json-rules-engine's own key names:
 * - leaves `{ fact, operator, value, factResult, result }`, plus `path` and `params` when
 *   present and `valueResult` when `value` was a fact reference;
 * - groups `{ all | any: [...], result }` or `{ not: {...}, result }`;
 * - unresolved shared-condition references `{ condition, result }`.
 * Conditions skipped by short-circuiting have no `result` (nor `factResult`).
 */
export function conditionTrace(node: ConditionNode | undefined, depth = 0): Record<string, unknown> | undefined {
  if (node === undefined || node === null || typeof node !== 'object') return undefined;
  if (depth > MAX_DEPTH) return { truncated: true };
  const out: Record<string, unknown> = {};
  if (typeof node.name === 'string') out.name = node.name;
  if (Array.isArray(node.all) || Array.isArray(node.any)) {
    const key = Array.isArray(node.all) ? 'all' : 'any';
    out[key] = (node[key] as ConditionNode[]).map((c) => conditionTrace(c, depth + 1) ?? null);
  } else if (node.not !== undefined) {
    out.not = conditionTrace(node.not, depth + 1) ?? null;
  } else if (typeof node.condition === 'string') {
    out.condition = node.condition;
  } else {
    out.fact = node.fact;
    out.operator = node.operator;
    out.value = node.value;
    if (node.path !== undefined) out.path = node.path;
    if (node.params !== undefined) out.params = node.params;
    if (node.factResult !== undefined) out.factResult = node.factResult;
    // 7.x sets valueResult for every leaf; it only says something when `value` was itself a
    // fact reference (for literals it is the very same value).
    if (node.valueResult !== undefined && node.valueResult !== node.value) out.valueResult = node.valueResult;
  }
  if (typeof node.result === 'boolean') out.result = node.result;
  return out;
}

interface FactLike {
  isConstant(): boolean;
  calculate: unknown;
  value?: unknown;
}

function isFact(value: unknown): value is FactLike {
  return typeof value === 'object' && value !== null
    && typeof (value as Partial<FactLike>).isConstant === 'function'
    && typeof (value as Partial<FactLike>).calculate === 'function';
}

/** The facts given to `engine.run()`: `Fact` instances become their constant value (or a marker). */
export function factsInput(facts: unknown): unknown {
  if (facts === undefined || facts === null || typeof facts !== 'object') return facts ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts)) {
    out[key] = isFact(value) ? (value.isConstant() ? value.value : '[dynamic fact]') : value;
  }
  return out;
}

import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { RefusalClassifier } from './refusal';

export interface IsolatedExport {
  /** items[0 .. handled) were either delivered or refused; the rest were not tried or failed. */
  handled: number;
  /** Refused items among the handled ones, by index, with the receiver's reason. */
  refused: Map<number, string>;
  /** Set when the export stopped on a failure that is not a refusal (retry later). */
  failure?: unknown;
}

/**
 * Exports `items`; when the receiver refuses the request for good, splits it in halves and
 * tries each, down to single items, so only the refused records are set aside and every other
 * record is delivered. Halves are sent in order and the first non-refusal failure stops the
 * run, so what was handled is always a prefix of `items`.
 */
export async function exportIsolating<T>(
  items: readonly T[],
  send: (items: readonly T[]) => Promise<ExportResult>,
  refusal: RefusalClassifier,
): Promise<IsolatedExport> {
  const result = await send(items);
  if (result.code === ExportResultCode.SUCCESS) return { handled: items.length, refused: new Map() };
  const why = refusal(result.error);
  if (why === undefined) return { handled: 0, refused: new Map(), failure: result.error ?? new Error('export failed') };
  if (items.length === 1) return { handled: 1, refused: new Map([[0, why]]) };
  const mid = Math.ceil(items.length / 2);
  const left = await exportIsolating(items.slice(0, mid), send, refusal);
  if (left.failure !== undefined || left.handled < mid) return left;
  const right = await exportIsolating(items.slice(mid), send, refusal);
  const refused = new Map(left.refused);
  for (const [i, reason] of right.refused) refused.set(mid + i, reason);
  return { handled: mid + right.handled, refused, ...(right.failure !== undefined ? { failure: right.failure } : {}) };
}

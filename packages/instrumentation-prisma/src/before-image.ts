// Running a write after reading its before-image in the same transaction.
import type { ClientLike, QueryParams } from './internal-types';
import type { Plan } from './write-plan';

/**
 * Runs the write, reading its before-image first in the same transaction when asked; returns
 * `[result, before]`:
 * - outside any transaction: both in one batch `$transaction([read, write])`;
 * - inside an interactive transaction: the read is attached to it, then the write runs;
 * - inside a batch `$transaction([...])` (or when Prisma does not say where it runs): no
 *   read, the write alone.
 */
export async function runWithBeforeImage(client: ClientLike, params: QueryParams, p: Plan): Promise<[unknown, unknown]> {
  if (p.read === undefined) return [await params.query(p.args), undefined];
  const internal = params.__internalParams;
  const known = typeof internal === 'object' && internal !== null && 'transaction' in internal;
  const tx = known ? internal.transaction : undefined;
  if (known && tx === undefined) {
    const [before, result] = await client.$transaction([p.read(), params.query(p.args)]);
    return [result, before];
  }
  if (known && tx?.kind === 'itx') {
    const read = p.read();
    if (typeof read.requestTransaction === 'function') {
      const before = await read.requestTransaction(tx);
      return [await params.query(p.args), before];
    }
  }
  return [await params.query(p.args), undefined];
}

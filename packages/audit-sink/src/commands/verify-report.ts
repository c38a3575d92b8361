/** How `domain-otel-audit verify` prints its report: a line per chain and segment, the problems, the summary. */
import type { ConflictSummary } from '../conflicts';
import type { Problem, VerifyReport } from '../verify';
import { PROG } from './common';

function problemLine(p: Problem, what: string): string {
  return `${p.chain.startsWith('checkpoint') ? p.chain : `${what} ${p.chain}`}: BROKEN${p.seq ? ` at seq ${p.seq}` : ''}${p.uid ? ` (uid ${p.uid})` : ''}: ${p.message}\n`;
}

/** The text report (standard output), each line ending in a newline. */
export function reportLines(report: VerifyReport, conflicts: ConflictSummary | null): string[] {
  const out: string[] = [];
  const printed = new Set<string>();
  for (const s of report.segments) {
    const tenant = s.tenantId === null ? '' : ` (tenant ${JSON.stringify(s.tenantId)})`;
    const segmentProblem = report.problems.find((x) => x.chain === s.segment && x.kind !== 'head');
    if (s.status === 'retired') {
      out.push(`segment ${s.segment}${tenant}: retired\n`);
      continue;
    }
    for (const c of report.chains.filter((x) => x.segment === s.segment)) {
      const p = report.problems.find((x) => x.chain === c.chain);
      if (p) out.push(problemLine(p, 'chain'));
      else if (c.rows > 0) out.push(`chain ${c.chain}: ok, ${c.rows} rows, head ${c.chain}:${c.headSeq}:${c.headHash}\n`);
      printed.add(c.chain);
    }
    if (segmentProblem && !printed.has(segmentProblem.chain)) {
      out.push(problemLine(segmentProblem, 'segment'));
      printed.add(segmentProblem.chain);
    } else if (s.rows === 0 && s.status === 'ok') {
      out.push(`segment ${s.segment}${tenant}: ok, empty (${s.streams} chain${s.streams === 1 ? '' : 's'})\n`);
    }
  }
  for (const p of report.problems.filter((x) => !printed.has(x.chain))) out.push(problemLine(p, 'chain'));
  for (const n of report.notes) out.push(`${n}\n`);
  const c = conflictsLine(conflicts);
  if (c) out.push(c);
  return out;
}

/**
 * Conflicts are evidence of a sender that reused a uid for other content, not of altered history:
 * reported, but they do not make verify fail (exit 1 stays "the chains do not verify").
 */
function conflictsLine(c: ConflictSummary | null): string {
  if (c === null || c.count === 0) return '';
  return `uid conflicts: ${c.count} (replays reusing a log.record.uid with other content; the stored records are unchanged; see query --conflicts)\n`;
}

/** The last line (standard error): OK with the counts, or FAILED with the first problem. */
export function summaryLine(report: VerifyReport): string {
  if (report.ok) {
    const cps = report.checkpoints !== undefined ? `; ${report.checkpoints} checkpoint${report.checkpoints === 1 ? '' : 's'} verified` : '';
    return `${PROG} verify: OK (${report.segments.length} segments, ${report.chains.length} chains, ${report.rows} rows${cps})\n`;
  }
  const first = report.problems[0]!;
  return `${PROG} verify: FAILED: ${first.chain.startsWith('checkpoint') ? '' : 'chain '}${first.chain}${first.seq ? ` seq ${first.seq}` : ''}${first.uid ? ` uid ${first.uid}` : ''}: ${first.message}\n`;
}

/**
 * Reading back an archive written by `retain` (one NDJSON line per row, chain by chain in seq
 * order, hashes included) and recomputing its chains from the file alone: seq 1, 2, … per chain,
 * prev_hash links from the genesis hash, content_hash from the row's content, row_hash. No
 * database needed; the caller compares the result with the retired heads and the checkpoints.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { contentHash, genesisHash, rowHash } from './chain';

export interface ArchiveChain {
  chain: string;
  /** row_hash of seq 1, 2, … (index seq - 1). */
  rowHashes: Buffer[];
}

export interface ArchiveReport {
  file: string;
  sha256: string;
  /** The segment the rows belong to ('' for an empty file). */
  segment: string;
  rows: number;
  chains: Map<string, ArchiveChain>;
  /** First problem found, if any: the archive does not recompute. */
  problem?: string;
}

export function archiveHeads(a: ArchiveReport): Record<string, [string, string]> {
  const heads: Record<string, [string, string]> = {};
  for (const c of a.chains.values()) {
    if (c.rowHashes.length) heads[c.chain] = [String(c.rowHashes.length), c.rowHashes[c.rowHashes.length - 1]!.toString('hex')];
  }
  return heads;
}

export async function readArchive(file: string): Promise<ArchiveReport> {
  const hash = createHash('sha256');
  const report: ArchiveReport = { file, sha256: '', segment: '', rows: 0, chains: new Map() };
  const stream = createReadStream(file);
  stream.on('data', (chunk) => hash.update(chunk));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let prev: Buffer | undefined;
  let current: ArchiveChain | undefined;
  for await (const line of lines) {
    lineNo++;
    if (report.problem) continue; // keep reading: the sha256 covers the whole file
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      report.problem = `line ${lineNo}: not JSON`;
      continue;
    }
    const chain = String(r['chain']);
    const segment = String(r['segment']);
    const seq = String(r['seq']);
    const at = `chain ${chain} seq ${seq} (line ${lineNo})`;
    if (report.segment === '') report.segment = segment;
    if (segment !== report.segment) {
      report.problem = `${at}: belongs to segment ${segment}, the archive is of ${report.segment}`;
      continue;
    }
    if (!current || current.chain !== chain) {
      if (report.chains.has(chain)) {
        report.problem = `${at}: the rows of chain ${chain} are not contiguous in the archive`;
        continue;
      }
      current = { chain, rowHashes: [] };
      report.chains.set(chain, current);
      prev = genesisHash(chain);
    }
    const expectedSeq = current.rowHashes.length + 1;
    if (!/^\d+$/.test(seq) || Number(seq) !== expectedSeq) {
      report.problem = `${at}: expected seq ${expectedSeq}: row(s) missing from the archive`;
      continue;
    }
    const prevHash = Buffer.from(String(r['prev_hash']), 'hex');
    if (!prevHash.equals(prev!)) {
      report.problem = `${at}: prev_hash does not match the row_hash of seq ${expectedSeq - 1}`;
      continue;
    }
    const content = contentHash(r as never);
    if (content.toString('hex') !== r['content_hash']) {
      report.problem = `${at}: content does not match content_hash (row altered in the archive)`;
      continue;
    }
    const row = rowHash(chain, seq, prevHash, content);
    if (row.toString('hex') !== r['row_hash']) {
      report.problem = `${at}: row_hash does not match`;
      continue;
    }
    current.rowHashes.push(row);
    prev = row;
    report.rows++;
  }
  report.sha256 = hash.digest('hex');
  return report;
}

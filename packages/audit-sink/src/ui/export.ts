/**
 * Export of a search as CSV or NDJSON: every matching row (up to the export limit) read in one
 * REPEATABLE READ snapshot, so the count in the access record and the rows sent agree.
 */
import type { Pool, PoolClient } from 'pg';
import { csvHeader, toCsvRows, toNdjson } from '../query';
import type { Viewer } from './auth';
import { countMatching, searchPage, type SearchFilters } from './search';

export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_PAGE = 2000;

export interface ExportRun {
  rows: number;
  /** Writes the file's text, page by page; then releases the snapshot. */
  write(sink: (chunk: string) => Promise<void>): Promise<void>;
  /** Releases the snapshot without writing. */
  abandon(): Promise<void>;
}

/** Opens the snapshot and counts; `rows > limit` means the export is refused (nothing to write). */
export async function startExport(pool: Pool, f: SearchFilters, viewer: Viewer, format: ExportFormat, limit: number): Promise<ExportRun> {
  const client: PoolClient = await pool.connect();
  let released = false;
  const release = async (commit: boolean) => {
    if (released) return;
    released = true;
    try {
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      client.release();
    } catch (err) {
      client.release(err as Error);
    }
  };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const rows = await countMatching(client, f, viewer, limit + 1);
    return {
      rows,
      async write(sink) {
        try {
          if (format === 'csv') await sink(csvHeader());
          for (let offset = 0; offset < rows; offset += EXPORT_PAGE) {
            const page = await searchPage(client, f, viewer, offset, Math.min(EXPORT_PAGE, rows - offset));
            await sink(format === 'csv' ? toCsvRows(page) : toNdjson(page));
            if (page.length < EXPORT_PAGE) break;
          }
          await release(true);
        } catch (err) {
          await release(false);
          throw err;
        }
      },
      abandon: () => release(false),
    };
  } catch (err) {
    await release(false);
    throw err;
  }
}

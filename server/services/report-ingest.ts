import type { Kysely } from 'kysely';
import type { Report } from '../../protocol/report.js';
import type { Database } from '../db/schema.js';
import { conflict } from '../errors.js';
import { reportsRepo, type IngestOutcome } from '../repositories/reports.js';
import { GroupCommit, type ItemResult } from './group-commit.js';

export interface IngestItem {
  deviceId: string;
  report: Report;
  receivedAt: number;
}

export interface ReportIngest {
  /** Resolves after the transaction holding this report has committed; rejects with a 409 HttpError for a foreign id. */
  submit(item: IngestItem): Promise<{ stored: boolean }>;
  close(): Promise<void>;
}

export function createReportIngest(
  db: Kysely<Database>,
  opts: { maxBatch: number; onBatch?: (size: number) => void; onOutcome?: (o: IngestOutcome['kind']) => void },
): ReportIngest {
  const commit = (items: IngestItem[]) =>
    db.transaction().execute(async (trx) => {
      const outcomes = await reportsRepo(trx).ingestBatch(
        items.map((it) => ({
          deviceId: it.deviceId,
          report: it.report,
          body: JSON.stringify(it.report),
          receivedAt: it.receivedAt,
        })),
      );
      return outcomes.map((outcome): ItemResult<{ stored: boolean }> => {
        opts.onOutcome?.(outcome.kind);
        return outcome.kind === 'foreign'
          ? { ok: false, error: conflict('REPORT_ID_TAKEN', 'this reportId was already used by another device') }
          : { ok: true, value: { stored: outcome.kind === 'stored' } };
      });
    });
  const group = new GroupCommit(commit, opts.maxBatch, opts.onBatch);
  return { submit: (item) => group.submit(item), close: () => group.close() };
}

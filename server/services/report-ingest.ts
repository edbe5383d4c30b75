import type { Kysely } from 'kysely';
import type { LadderView } from '../../protocol/ladder.js';
import type { HistoryBound } from '../config.js';
import type { Report } from '../../protocol/report.js';
import type { Database } from '../db/schema.js';
import { conflict } from '../errors.js';
import { reportsRepo, type IngestOutcome } from '../repositories/reports.js';
import { GroupCommit, type ItemResult } from './group-commit.js';

export interface IngestItem {
  deviceId: string;
  report: Report;
  receivedAt: number;
  /** The scan time the server records (clampScannedAt). */
  scannedAt: number;
}

export interface IngestResult {
  stored: boolean;
  /** Where the device stands on the escalation ladder after the batch (absent for a replay). */
  ladder?: LadderView;
}

/** Runs inside the batch's transaction for the devices whose state it folded (the escalation ladder). */
export type AfterFold = (trx: Kysely<Database>, deviceIds: string[], now: number) => Promise<Map<string, LadderView>>;

export interface ReportIngest {
  /** Resolves after the transaction holding this report has committed; rejects with a 409 HttpError for a foreign id. */
  submit(item: IngestItem): Promise<IngestResult>;
  close(): Promise<void>;
}

export function createReportIngest(
  db: Kysely<Database>,
  opts: {
    maxBatch: number;
    /** Per-device history bound (config.retention.perDevice). */
    bound?: HistoryBound;
    onBatch?: (size: number) => void;
    onOutcome?: (o: IngestOutcome['kind']) => void;
    onTrimmed?: (n: number) => void;
    afterFold?: AfterFold;
  },
): ReportIngest {
  const commit = (items: IngestItem[]) =>
    db.transaction().execute(async (trx) => {
      const outcomes = await reportsRepo(trx).ingestBatch(
        items.map((it) => ({
          deviceId: it.deviceId,
          report: it.report,
          body: JSON.stringify(it.report),
          receivedAt: it.receivedAt,
          scannedAt: it.scannedAt,
        })),
        { ...(opts.bound ? { bound: opts.bound } : {}), ...(opts.onTrimmed ? { onTrimmed: opts.onTrimmed } : {}) },
      );
      const folded = items.filter((_, i) => outcomes[i]!.kind === 'stored').map((it) => it.deviceId);
      const now = Math.max(...items.map((it) => it.receivedAt));
      const ladders = opts.afterFold && folded.length > 0 ? await opts.afterFold(trx, folded, now) : null;
      return outcomes.map((outcome, i): ItemResult<IngestResult> => {
        opts.onOutcome?.(outcome.kind);
        if (outcome.kind === 'foreign')
          return { ok: false, error: conflict('REPORT_ID_TAKEN', 'this reportId was already used by another device') };
        const ladder = outcome.kind === 'stored' ? ladders?.get(items[i]!.deviceId) : undefined;
        return { ok: true, value: { stored: outcome.kind === 'stored', ...(ladder ? { ladder } : {}) } };
      });
    });
  const group = new GroupCommit(commit, opts.maxBatch, opts.onBatch);
  return { submit: (item) => group.submit(item), close: () => group.close() };
}

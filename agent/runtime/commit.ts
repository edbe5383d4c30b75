import type { Report } from '../../protocol/index.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { ReportKind, StateFingerprint } from '../report/build.js';
import { StateFileError } from '../state/files.js';
import { sayOnce, sayOver, type Said } from './said.js';
import { MAX_PENDING, problem, type RuntimeState } from './state.js';

/** What the commit protocol works on: the turn's state, its save, and where it says things. */
export interface CommitContext {
  /** The state in memory (the store's; saved by `save`). */
  state(): RuntimeState;
  /** Writes the state file; false when it could not (a full disk: the state stays in memory). */
  save(): Promise<boolean>;
  said: Said;
  log: Logger;
  now(): Date;
  /** Logs a problem and keeps it as the state's last error. */
  noteProblem(message: string, err: unknown, fields?: Record<string, unknown>): void;
}

/**
 * The commit protocol of reports: a state transition is reported once, neither lost nor doubled, whatever kills the
 * process between two steps and however long the disk stays full.
 *
 *   1. `record`: the report (its id fixed when it was built) goes into the state's `pending` together with the new
 *      fingerprint, and the state file is written — the commit point; the log line "state changed" follows it.
 *   2. `flushPending`: each pending report is enqueued into the outbox (a durable file of its own), then
 *   3. dropped from `pending`, and the state file is written again.
 *
 * Killed before 1 is durable: the transition was not recorded, and the next scan sees it again. Killed after 1: the
 * next turn finds the report in `pending` and enqueues the same report (same id). Killed after 2: it is in the outbox
 * and still in `pending`; the next flush sees its id queued and only drops it. The server stores an id once. A full
 * disk keeps the report in `pending` in memory (the supervisor hands the unsaved state to the next turn).
 * test/agent/runtime/commit.test.ts kills it between each step.
 */
export class ReportCommit {
  constructor(private readonly c: CommitContext) {}

  /** Step 1, the commit point. Returns whether the state file holds it (false: memory only, see above). */
  async record(report: Report, kind: ReportKind, next: StateFingerprint, changes: string[]): Promise<boolean> {
    const state = this.c.state();
    state.lastFingerprint = next;
    state.pending.push(report);
    if (state.pending.length > MAX_PENDING) {
      // Only on a disk that stays full for very long: keep the oldest (continues the server's history) and the newest.
      const dropped = state.pending.splice(1, state.pending.length - MAX_PENDING);
      this.c.log.warn('too many reports could not be written; dropped the oldest after the first', {
        count: dropped.length,
      });
    }
    state.lastReport = { reportId: report.reportId, kind, at: report.scannedAt };
    const saved = await this.c.save();
    const fields = {
      reportId: report.reportId,
      kind,
      status: report.state.status,
      policyVersion: report.policyVersion,
      ...(saved ? {} : { note: 'state file not written (see the error above); the report is kept in memory' }),
    };
    if (kind === 'change') this.c.log.info('state changed', { ...fields, changes });
    else this.c.log.info('heartbeat recorded', fields);
    return saved;
  }

  /** Steps 2 and 3: committed reports into the outbox, oldest first. Stops at the first that cannot be written. */
  async flushPending(outbox: Outbox | undefined): Promise<void> {
    const state = this.c.state();
    if (!outbox || state.pending.length === 0) return;
    const queued = new Set(outbox.list().map((e) => e.reportId));
    let moved = 0;
    for (let report = state.pending[0]; report !== undefined; report = state.pending[0]) {
      if (!queued.has(report.reportId)) {
        try {
          await outbox.enqueue(report);
        } catch (err) {
          if (!(err instanceof StateFileError)) throw err;
          state.lastError = problem(err, this.c.now());
          const { reportId } = report;
          sayOnce(this.c.said, 'queue', err.code, () =>
            this.c.noteProblem('report could not be queued; it is kept and retried on the next turn', err, { reportId }),
          );
          break;
        }
      }
      state.pending.shift();
      moved++;
    }
    if (moved > 0) {
      sayOver(this.c.said, 'queue', () => this.c.log.info('reports are queued again', { count: moved }));
      await this.c.save();
    }
  }
}

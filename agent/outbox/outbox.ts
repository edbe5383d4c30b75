import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Report, describeIssues } from '../../protocol/index.js';
import { AppwachtError, describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { StateFileError, readJsonState, writeFileAtomic } from '../state/files.js';
import { DEFAULT_LIMITS, planCompaction, type OutboxLimits } from './compaction.js';

export class OutboxError extends AppwachtError {}

/** One queued report. Everything compaction needs is in the file name, so loading never parses report bodies. */
export interface OutboxEntry {
  seq: number;
  kind: Report['kind'];
  reportId: string;
  file: string;
  bytes: number;
}

export interface OutboxOptions extends Partial<OutboxLimits> {
  /** The outbox folder, normally `<state folder>/outbox`. */
  dir: string;
  log?: Logger;
  /** How many dead letters and corrupt entries to keep for inspection. */
  keepAside?: number;
  /** The atomic writer; injectable only so a full disk can be simulated where no small tmpfs can be mounted. */
  writeFile?: (path: string, data: string) => Promise<void>;
}

// <seq, 12 digits>-<kind>-<reportId>.json: the zero-padded sequence makes name order = enqueue order.
const ENTRY_NAME = /^(\d{12})-(change|heartbeat)-([0-9a-f-]{36})\.json$/;
// writeFileAtomic's temp files (".<name>.<pid>.<random>.tmp"): left behind only by a crash mid-write.
const TEMP_NAME = /^\..+\.tmp$/;
const REJECTED = 'rejected';
const CORRUPT_MARK = '.corrupt-';

/**
 * The durable report queue in the state folder: one file per report, written atomically.
 *
 * - `enqueue` resolves only after the report file is renamed into place and the folder is synced, so a
 *   report whose enqueue resolved survives SIGKILL and power loss; a crash mid-write leaves only a temp file,
 *   which `open` deletes. A report is never half there.
 * - Delivery is oldest first (`peek`); `remove` after the server acknowledged. A crash between the ack and the
 *   removal re-sends the report with the same id, which the server answers `stored: false`.
 * - Compaction and caps run on every enqueue and on open (see `planCompaction`).
 * - One process owns the folder (the instance lock); within the process, calls may interleave freely.
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private nextSeq = 1;
  private readonly listeners = new Set<() => void>();
  private readonly limits: OutboxLimits;
  private readonly log: Logger;
  private readonly write: (path: string, data: string) => Promise<void>;

  private constructor(private readonly options: OutboxOptions) {
    this.limits = {
      maxEntries: options.maxEntries ?? DEFAULT_LIMITS.maxEntries,
      maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    };
    this.log = (options.log ?? silentLogger).child({ component: 'outbox' });
    this.write = options.writeFile ?? ((path, data) => writeFileAtomic(path, data));
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Loads the queue from disk: deletes crash leftovers, indexes entries by name, compacts. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options);
    await outbox.load();
    return outbox;
  }

  private async load(): Promise<void> {
    const { dir } = this.options;
    try {
      await mkdir(join(dir, REJECTED), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StateFileError('DIR_FAILED', `cannot create outbox folder ${dir}: ${describeError(err)}`, { cause: err });
    }
    const names = await readdir(dir);
    let temps = 0;
    for (const name of names) {
      const match = ENTRY_NAME.exec(name);
      if (match) {
        const bytes = await stat(join(dir, name)).then(
          (s) => s.size,
          () => -1,
        );
        if (bytes < 0) continue;
        this.entries.push({ seq: Number(match[1]), kind: match[2] as Report['kind'], reportId: match[3]!, file: name, bytes });
      } else if (TEMP_NAME.test(name)) {
        // Safe: the instance lock guarantees no other writer, so a temp file is from a write that never finished.
        await unlink(join(dir, name)).catch(() => {});
        temps++;
      }
    }
    this.entries.sort((a, b) => a.seq - b.seq);
    this.nextSeq = (this.entries[this.entries.length - 1]?.seq ?? 0) + 1;
    if (temps > 0) this.log.info('removed unfinished writes', { count: temps });
    await this.compact();
    await this.pruneAside();
    this.log.debug('outbox loaded', { entries: this.entries.length, bytes: this.bytes });
  }

  /** Queued reports, oldest first. */
  list(): readonly OutboxEntry[] {
    return this.entries;
  }

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.entries.reduce((sum, e) => sum + e.bytes, 0);
  }

  /** Called after every successful enqueue; the reporter uses it to wake up. Returns an unsubscribe function. */
  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Puts a report on disk. Resolves once it is durable; rejects with StateFileError (code DISK_FULL on ENOSPC)
   * when it could not be written — the queue is then unchanged and the caller decides (log, keep running).
   */
  async enqueue(report: Report): Promise<OutboxEntry> {
    const checked = Report.safeParse(report);
    if (!checked.success) throw new OutboxError('INVALID_REPORT', `not a valid report: ${describeIssues(checked.error)}`);
    const seq = this.nextSeq++;
    const file = `${String(seq).padStart(12, '0')}-${report.kind}-${report.reportId}.json`;
    const data = JSON.stringify(checked.data);
    await this.write(join(this.options.dir, file), data);
    const entry: OutboxEntry = { seq, kind: report.kind, reportId: report.reportId, file, bytes: Buffer.byteLength(data) };
    // Concurrent enqueues may finish out of order; the index stays sorted by seq.
    const at = this.entries.findIndex((e) => e.seq > seq);
    if (at < 0) this.entries.push(entry);
    else this.entries.splice(at, 0, entry);
    await this.compact();
    for (const listener of this.listeners) listener();
    return entry;
  }

  /**
   * The oldest queued report, read and validated from disk. An entry that does not parse or does not match
   * the protocol is moved aside (`<file>.corrupt-<time>`, logged) and the next one is tried.
   */
  async peek(): Promise<{ entry: OutboxEntry; report: Report } | undefined> {
    for (;;) {
      const entry = this.entries[0];
      if (!entry) return undefined;
      const path = join(this.options.dir, entry.file);
      const read = await readJsonState(path, (value) => {
        const report = Report.parse(value);
        if (report.reportId !== entry.reportId) throw new Error(`report id ${report.reportId} does not match the file name`);
        return report;
      });
      if (read.status === 'ok') return { entry, report: read.value };
      this.drop(entry);
      if (read.status === 'corrupt') {
        this.log.error('corrupt outbox entry moved aside', { file: entry.file, movedTo: read.movedTo, reason: read.reason });
      } else {
        // Gone from under us: compaction or a removal raced this read. Nothing to do.
        this.log.debug('outbox entry vanished', { file: entry.file });
      }
    }
  }

  /** Every queued report, oldest first (for status output and tests); corrupt entries are moved aside as in `peek`. */
  async readAll(): Promise<Report[]> {
    const reports: Report[] = [];
    for (const entry of [...this.entries]) {
      const read = await readJsonState(join(this.options.dir, entry.file), (v) => Report.parse(v));
      if (read.status === 'ok') reports.push(read.value);
      else {
        this.drop(entry);
        if (read.status === 'corrupt')
          this.log.error('corrupt outbox entry moved aside', { file: entry.file, movedTo: read.movedTo });
      }
    }
    return reports;
  }

  /** The server acknowledged the report (stored now or before): forget it. */
  async remove(entry: OutboxEntry): Promise<void> {
    this.drop(entry);
    await this.unlinkQuietly(entry.file);
  }

  /**
   * The server will never accept this report (a 4xx other than 401/429): keep it for inspection in
   * `rejected/` with the reason, so one bad report does not block the queue behind it.
   */
  async deadLetter(entry: OutboxEntry, reason: string): Promise<void> {
    this.drop(entry);
    const to = join(this.options.dir, REJECTED, entry.file);
    try {
      await rename(join(this.options.dir, entry.file), to);
      this.log.error('report rejected by the server, moved aside', { reportId: entry.reportId, reason, movedTo: to });
    } catch (err) {
      this.log.error('report rejected by the server, could not move it aside; deleting', {
        reportId: entry.reportId,
        reason,
        error: err,
      });
      await this.unlinkQuietly(entry.file);
    }
    await this.pruneAside();
  }

  private drop(entry: OutboxEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
  }

  private async unlinkQuietly(file: string): Promise<void> {
    try {
      await unlink(join(this.options.dir, file));
    } catch (err) {
      // ENOENT: already gone (compaction raced us). Anything else: the file is re-indexed and compacted on the next open.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('could not delete outbox file', { file, error: err });
    }
  }

  private async compact(): Promise<void> {
    const plan = planCompaction(this.entries, this.limits);
    if (plan.superseded.length === 0 && plan.overCap.length === 0) return;
    this.entries = plan.keep;
    if (plan.superseded.length > 0) this.log.debug('dropped superseded heartbeats', { count: plan.superseded.length });
    if (plan.overCap.length > 0) {
      this.log.warn('outbox over its cap: dropped the oldest state changes in the middle of the backlog', {
        count: plan.overCap.length,
        reportIds: plan.overCap.slice(0, 20).map((e) => e.reportId),
        maxEntries: this.limits.maxEntries,
        maxBytes: this.limits.maxBytes,
      });
    }
    for (const e of [...plan.superseded, ...plan.overCap]) await this.unlinkQuietly(e.file);
  }

  /** Dead letters and corrupt entries are kept for support, but only the newest few. */
  private async pruneAside(): Promise<void> {
    const keep = this.options.keepAside ?? 50;
    const rejectedDir = join(this.options.dir, REJECTED);
    const rejected = (await readdir(rejectedDir).catch(() => [] as string[])).sort();
    const corrupt = (await readdir(this.options.dir)).filter((n) => n.includes(CORRUPT_MARK)).sort();
    for (const name of rejected.slice(0, Math.max(0, rejected.length - keep)))
      await unlink(join(rejectedDir, name)).catch(() => {});
    for (const name of corrupt.slice(0, Math.max(0, corrupt.length - keep)))
      await unlink(join(this.options.dir, name)).catch(() => {});
  }
}

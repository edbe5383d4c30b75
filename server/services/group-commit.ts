/**
 * Group commit: requests that arrive while the database is busy (or within the same event-loop turn) are
 * written in one transaction and acknowledged together after it commits. One fsync then covers many
 * reports instead of one, which is what makes FULL durability affordable on SQLite.
 *
 * `commit` receives a batch and returns one result per item (an expected per-item failure, like a 409,
 * is a result, not a throw). If `commit` throws, the batch is retried item by item so one poisoned
 * item fails alone.
 */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly commit: (items: T[]) => Promise<ItemResult<R>[]>,
    private readonly maxBatch: number,
    private readonly onBatch?: (size: number) => void,
  ) {}

  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('group commit is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // setImmediate runs after the current I/O phase: every request parsed in this turn joins the batch,
      // without a timer that would add latency when the server is idle.
      this.running ??= new Promise<void>((done) => setImmediate(done)).then(() => this.drainQueue());
    });
  }

  /** Waits for everything submitted so far; later submits are refused. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }

  private async drainQueue(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.onBatch?.(batch.length);
        let results: ItemResult<R>[];
        try {
          results = await this.commit(batch.map((p) => p.item));
        } catch (err) {
          if (batch.length === 1) {
            results = [{ ok: false, error: err }];
          } else {
            results = [];
            for (const p of batch) {
              try {
                results.push(...(await this.commit([p.item])));
              } catch (single) {
                results.push({ ok: false, error: single });
              }
            }
          }
        }
        batch.forEach((p, i) => {
          const r = results[i];
          if (r === undefined) p.reject(new Error('group commit returned too few results'));
          else if (r.ok) p.resolve(r.value);
          else p.reject(r.error);
        });
      }
    } finally {
      this.running = null;
      // Items that arrived during the last await but after the loop test.
      if (this.queue.length > 0) this.running = this.drainQueue();
    }
  }
}

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The lines a child process has written so far, and waiters for a line to come: each resolves with the first line that
 * matches, already there or arriving later, and rejects when the child exits first or the time is up.
 */
export class LineWaiters<T> {
  readonly lines: T[] = [];
  private readonly waiters: { match: (line: T) => boolean; resolve: (line: T) => void }[] = [];

  constructor(private readonly exited: Promise<Exit>) {}

  push(line: T): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (!w.match(line)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(line);
    }
  }

  /** `failure` words the error: `why` is "timed out" or "exited (code or signal)". */
  waitFor(match: (line: T) => boolean, timeoutMs: number, failure: (why: string) => string): Promise<T> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(failure('timed out'))), timeoutMs);
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(failure(`exited (${code ?? signal})`)));
      });
    });
  }
}

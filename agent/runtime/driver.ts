import type { OsName } from '../../protocol/index.js';
import type { Logger } from '../log.js';
import type { MatcherSet } from '../policy/match.js';
import { startProcessWatch, watchMatchers, type ProcessWatch } from './process-watch.js';
import { nextWake, type Schedule } from './schedule.js';
import { TokenBucket } from './token-bucket.js';

// The supervisor loads this module: node builtins and small modules only (agent/runtime/README.md).

/**
 * Turns the process watch may ask for, as a token bucket: a burst at once (an app's start, its helpers, its exit are
 * reported within seconds), then one per `refillMs` — an app that starts and quits in a loop, or keeps spawning
 * short-lived helpers, must not keep a turn (~1 s of CPU each) running back to back: at most ~10 % of one core.
 */
export const WATCH_TURN_LIMIT = { burst: 5, refillMs: 12_000 };

/** After a turn that failed as a whole: 1 s, 2 s, 4 s … up to 5 min (or the cap of --retry-max). */
export const FAILED_TURN_BACKOFF = { baseMs: 1_000, capMs: 5 * 60_000 };

/** The one retry policy for a turn that failed as a whole, in both drivers; reset by the next turn that finishes. */
export class FailedTurnBackoff {
  private failures = 0;
  private readonly capMs: number;

  constructor(retryMaxMs?: number) {
    this.capMs = Math.min(FAILED_TURN_BACKOFF.capMs, retryMaxMs ?? Infinity);
  }

  /** Failures since the last turn that finished. */
  get count(): number {
    return this.failures;
  }

  /** A turn failed: how long to wait before the next. */
  failed(): number {
    this.failures++;
    return Math.min(this.capMs, FAILED_TURN_BACKOFF.baseMs * 2 ** (this.failures - 1));
  }

  succeeded(): void {
    this.failures = 0;
  }
}

/** What one turn came to, as the driver needs it. */
export type TurnOutcome =
  /** It finished: its schedule says when the next is due and what to watch. */
  | { kind: 'done'; schedule: Schedule }
  /** It could not start for a reason that is not a failure (a turn of an earlier run still works): again in `ms`. */
  | { kind: 'wait'; ms: number }
  /** It failed as a whole; `report` logs it with the backoff the driver chose. */
  | { kind: 'failed'; report: (retry: { inMs: number; failures: number }) => void }
  /** The stop came before it could start. */
  | { kind: 'stopped' };

export interface WatchTarget {
  os: OsName;
  /** Whether to watch the live processes at all (not for a folder tree). */
  liveProcesses: boolean;
  /** Override of the watch's tick (tests). */
  intervalMs?: number;
  log: Logger;
}

export interface TurnDriverOptions {
  /** --retry-max: caps the failed-turn backoff. */
  retryMaxMs?: number;
  /** How many turns the process watch may ask for (default WATCH_TURN_LIMIT). */
  watchTurnLimit?: { burst: number; refillMs: number };
}

/**
 * The core both drivers share — the supervisor (turns as processes) and the in-process AgentLoop: runs one turn after
 * the other, sleeps until the schedule says the next is due, the watch asks for a scan, or the stop; keeps the process
 * watch on the names the last turn handed over; retries a failed turn with one backoff. How a turn runs is the
 * driver's (`run`'s argument); everything about when is here.
 */
export class TurnDriver {
  private scanRequest: string | undefined;
  private wakeUp: (() => void) | undefined;
  private watch: ProcessWatch | undefined;
  private matchers: MatcherSet | undefined;
  private watched: string | undefined;
  private readonly watchTurns: TokenBucket;
  private readonly backoff: FailedTurnBackoff;
  private current: Schedule | null = null;
  /** The stop of the run at work. */
  private signal: AbortSignal = new AbortController().signal;

  constructor(options: TurnDriverOptions = {}) {
    this.watchTurns = new TokenBucket(options.watchTurnLimit ?? WATCH_TURN_LIMIT);
    this.backoff = new FailedTurnBackoff(options.retryMaxMs);
  }

  /** The schedule the last turn handed over (or the previous run's, until the first turn is done). */
  get schedule(): Schedule | null {
    return this.current;
  }

  /** A schedule from elsewhere (the previous run's file): its watch list until the first turn is done. */
  takeSchedule(schedule: Schedule): void {
    this.current = schedule;
    this.setWatchList(schedule.watch.processes);
  }

  /** Asks for a full evaluation as soon as the watch's turn limit allows; wakes the sleep. */
  requestScan(reason: string): void {
    this.scanRequest ??= reason;
    this.wakeUp?.();
  }

  /** The executable names to watch; a new list applies to every process again (the watch is reset). */
  setWatchList(processes: readonly string[]): void {
    const key = JSON.stringify(processes);
    if (key === this.watched) return;
    this.watched = key;
    this.matchers = watchMatchers(processes);
    // Those already running are seen by the scan a policy change brings.
    this.watch?.reset();
  }

  /** Starts the process watch (once): a banned app that starts or exits asks for a scan. */
  startWatch(target: WatchTarget): void {
    if (this.watch || !target.liveProcesses) return;
    const { log } = target;
    this.watch = startProcessWatch({
      os: target.os,
      log,
      matchers: () => this.matchers,
      ...(target.intervalMs !== undefined ? { intervalMs: target.intervalMs } : {}),
      onEvent: (event) => {
        const { pid, name, path } = event.process;
        log.info(event.kind === 'started' ? 'banned app started' : 'banned app exited', { pid, name, path });
        this.requestScan(`process ${event.kind}: ${name} (${pid})`);
      },
    });
  }

  /**
   * Runs turns until `signal` aborts (the sleep ends at once, no further turn starts); `runTurn` throws only for what
   * ends the driver. The watch stops with it.
   */
  async run(signal: AbortSignal, runTurn: (scanRequest: string | undefined) => Promise<TurnOutcome>): Promise<void> {
    this.signal = signal;
    try {
      while (!signal.aborted) {
        const request = this.takeScanRequest();
        const outcome = await runTurn(request);
        if (outcome.kind === 'stopped') break;
        const retryAt = this.settle(outcome, request);
        if (signal.aborted) break;
        // After a failure the backoff decides, not the schedule (the work that failed is still due); the watch can wake it.
        await this.sleep(retryAt ?? (this.current ? nextWake(this.current) : Infinity));
      }
    } finally {
      this.watch?.stop();
    }
  }

  private takeScanRequest(): string | undefined {
    const request = this.scanRequest;
    this.scanRequest = undefined;
    if (request !== undefined) this.watchTurns.take();
    return request;
  }

  /** Takes a turn's outcome in; returns when to try again if it did not finish. */
  private settle(outcome: Exclude<TurnOutcome, { kind: 'stopped' }>, request: string | undefined): number | undefined {
    switch (outcome.kind) {
      case 'done':
        this.takeSchedule(outcome.schedule);
        this.backoff.succeeded();
        return undefined;
      case 'wait':
        this.scanRequest ??= request;
        return Date.now() + outcome.ms;
      case 'failed': {
        this.scanRequest ??= request;
        const inMs = this.backoff.failed();
        outcome.report({ inMs, failures: this.backoff.count });
        return Date.now() + inMs;
      }
    }
  }

  /** Until `until`, the stop, or a scan request the watch's turn limit lets through (see WATCH_TURN_LIMIT). */
  private async sleep(until: number): Promise<void> {
    const { signal } = this;
    for (;;) {
      const now = Date.now();
      if (signal.aborted || now >= until) return;
      if (this.scanRequest === undefined) await this.nap(until);
      else {
        const allowedAt = this.watchTurns.availableAt(now);
        if (now >= allowedAt) return;
        await this.nap(Math.min(until, allowedAt));
      }
    }
  }

  /** One wait, ended early by a scan request (`wakeUp`) or the stop. */
  private nap(until: number): Promise<void> {
    const { signal } = this;
    const ms = Math.max(0, until - Date.now());
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        resolve();
      };
      // setTimeout's limit is 2^31-1 ms (~24.8 days); a longer wait simply wakes up once more.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }
}

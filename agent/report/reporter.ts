import type { Report, ReportAck } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import { ServerError } from '../transport/errors.js';
import { keepDelivered } from './last-delivered.js';
import { DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, backoffDelay, type BackoffOptions } from './backoff.js';

/** Time, injectable so backoff is testable without waiting. `sleep` resolves early (without throwing) on abort. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface ReporterOptions {
  outbox: Outbox;
  /** Posts one report; throws ServerError on failure (agent/transport/api-client's `postReport`). */
  deliver: (report: Report) => Promise<ReportAck>;
  /**
   * The server said 401/403: the device token is gone. The caller re-enrolls; resolve `true` when a new token
   * is in place (delivery goes on), `false` to stop the reporter. Consecutive 401s are backed off like
   * outages, so a server that keeps refusing the new token does not cause an enrollment storm.
   */
  onUnauthorized: (error: ServerError) => Promise<boolean>;
  log?: Logger;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  /**
   * The state folder: after each acknowledged delivery the report as sent and the server's ladder are kept there for the
   * employee's status window (last-delivered.ts). Absent: nothing is kept.
   */
  keepIn?: string;
  /** Failed attempts so far (a short-lived process continues the backoff of the one before it). Default 0. */
  attempt?: number;
}

export type StopReason = 'aborted' | 'unauthorized';

/** How `drain()` ended: nothing left, a delivery has to wait (the caller schedules the retry), 401 declined, stopped. */
export type DrainResult =
  | { outcome: 'empty' }
  | { outcome: 'wait'; ms: number; reason: 'backoff' | 'retry-after' }
  | { outcome: 'unauthorized' }
  | { outcome: 'aborted' };

/** One step of the delivery loop: what to do next. */
type Step =
  { kind: 'next' } | { kind: 'idle' } | { kind: 'stop' } | { kind: 'wait'; ms: number; reason: 'backoff' | 'retry-after' };

export interface ReporterStats {
  delivered: number;
  /** Of those, how many the server had stored before (a retry after a lost ack). */
  duplicates: number;
  deadLettered: number;
  failures: number;
  /** The last 100 waits the reporter chose, in ms, with why: for tests and the status window. */
  waits: { ms: number; reason: 'backoff' | 'retry-after' }[];
}

/**
 * Delivers the outbox, oldest first, until aborted. Branches on ServerError codes:
 * UNAUTHORIZED → ask the caller to re-enroll; REJECTED → dead-letter that report and go on;
 * RATE_LIMITED → wait Retry-After; UNAVAILABLE / BAD_RESPONSE / anything unexpected → exponential backoff
 * with full jitter. A report is removed from the outbox only after the server acknowledged its id.
 */
export class Reporter {
  readonly stats: ReporterStats = { delivered: 0, duplicates: 0, deadLettered: 0, failures: 0, waits: [] };
  private attempt: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;

  constructor(private readonly options: ReporterOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'reporter' });
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.attempt = options.attempt ?? 0;
  }

  /** Failed attempts since the last delivery: what the next backoff grows from. */
  get failedAttempts(): number {
    return this.attempt;
  }

  /** Runs until `signal` aborts or the caller declines to re-enroll. Never throws for delivery failures. */
  async run(signal: AbortSignal): Promise<StopReason> {
    while (!signal.aborted) {
      const step = await this.step();
      if (step.kind === 'stop') return 'unauthorized';
      if (step.kind === 'idle') await this.idle(signal);
      else if (step.kind === 'wait') await this.wait(step.ms, step.reason, signal);
    }
    return 'aborted';
  }

  /**
   * Delivers until the outbox is empty or a delivery has to wait, without waiting: for a short-lived process that
   * exits and lets its supervisor wake the next one when the wait is over (`failedAttempts` carries the backoff on).
   */
  async drain(signal: AbortSignal): Promise<DrainResult> {
    while (!signal.aborted) {
      const step = await this.step();
      if (step.kind === 'stop') return { outcome: 'unauthorized' };
      if (step.kind === 'idle') return { outcome: 'empty' };
      if (step.kind === 'wait') {
        this.noteWait(step.ms, step.reason);
        return { outcome: 'wait', ms: step.ms, reason: step.reason };
      }
    }
    return { outcome: 'aborted' };
  }

  private async step(): Promise<Step> {
    let next;
    try {
      next = await this.options.outbox.peek();
    } catch (err) {
      // Unreadable state folder (permissions, I/O error): say so and try again later.
      this.log.error('cannot read the outbox', { error: err });
      return { kind: 'wait', ms: this.nextBackoff(), reason: 'backoff' };
    }
    if (!next) return { kind: 'idle' };
    return this.deliverOne(next.entry, next.report);
  }

  private async deliverOne(entry: Parameters<Outbox['remove']>[0], report: Report): Promise<Step> {
    const { outbox } = this.options;
    try {
      const ack = await this.options.deliver(report);
      if (ack.reportId !== report.reportId)
        throw new ServerError('BAD_RESPONSE', `server acknowledged ${ack.reportId} for report ${report.reportId}`);
      await outbox.remove(entry);
      this.attempt = 0;
      this.stats.delivered++;
      if (!ack.stored) this.stats.duplicates++;
      await this.keep(report, ack);
      this.log.debug('report delivered', { reportId: report.reportId, kind: report.kind, stored: ack.stored });
      return { kind: 'next' };
    } catch (err) {
      this.stats.failures++;
      if (!(err instanceof ServerError)) {
        this.log.error('unexpected error while delivering a report', { reportId: report.reportId, error: err });
        return { kind: 'wait', ms: this.nextBackoff(), reason: 'backoff' };
      }
      switch (err.code) {
        case 'UNAUTHORIZED': {
          this.log.warn('server refused the device token; asking for re-enrollment', { error: err });
          let retry = false;
          try {
            retry = await this.options.onUnauthorized(err);
          } catch (enrollErr) {
            this.log.error('re-enrollment failed', { error: enrollErr });
          }
          if (!retry) return { kind: 'stop' };
          return { kind: 'wait', ms: this.nextBackoff(), reason: 'backoff' };
        }
        case 'REJECTED':
          await outbox.deadLetter(entry, describeError(err));
          this.stats.deadLettered++;
          return { kind: 'next' };
        case 'RATE_LIMITED': {
          const retryAfter = err.details.retryAfterMs;
          if (retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
            this.log.info('server asked to slow down', { retryAfterMs: retryAfter });
            return { kind: 'wait', ms: Math.min(retryAfter, MAX_RETRY_AFTER_MS), reason: 'retry-after' };
          }
          return { kind: 'wait', ms: this.nextBackoff(), reason: 'backoff' };
        }
        case 'UNAVAILABLE':
        case 'BAD_RESPONSE':
          // A server that answers garbage is a bug worth an error line; an unreachable one is routine.
          this.log[err.code === 'BAD_RESPONSE' ? 'error' : 'info']('report delivery failed; will retry', {
            reportId: report.reportId,
            attempt: this.attempt,
            error: err,
          });
          return { kind: 'wait', ms: this.nextBackoff(), reason: 'backoff' };
      }
    }
  }

  /** Keeping it for the window must never hold up delivery: a full disk is said, and the next delivery tries again. */
  private async keep(report: Report, ack: ReportAck): Promise<void> {
    if (this.options.keepIn === undefined) return;
    try {
      await keepDelivered(this.options.keepIn, report, ack, new Date(this.clock.now()));
    } catch (err) {
      this.log.warn('the delivered report could not be kept for the status window', { reportId: report.reportId, error: err });
    }
  }

  private nextBackoff(): number {
    return backoffDelay(this.attempt++, this.random, this.backoff);
  }

  private noteWait(ms: number, reason: 'backoff' | 'retry-after'): void {
    this.stats.waits.push({ ms, reason });
    if (this.stats.waits.length > 100) this.stats.waits.shift();
  }

  private async wait(ms: number, reason: 'backoff' | 'retry-after', signal: AbortSignal): Promise<void> {
    this.noteWait(ms, reason);
    await this.clock.sleep(ms, signal);
  }

  /** Nothing to send: sleep until something is enqueued or we are stopped. */
  private idle(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const unsubscribe = this.options.outbox.onEnqueue(done);
      signal.addEventListener('abort', done, { once: true });
      // An enqueue may have landed between peek() and subscribing.
      if (this.options.outbox.size > 0 || signal.aborted) done();
    });
  }
}

import type { Report, ReportAck } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import { ServerError } from '../transport/errors.js';
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
}

export type StopReason = 'aborted' | 'unauthorized';

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
  private attempt = 0;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;

  constructor(private readonly options: ReporterOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'reporter' });
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Runs until `signal` aborts or the caller declines to re-enroll. Never throws for delivery failures. */
  async run(signal: AbortSignal): Promise<StopReason> {
    const { outbox } = this.options;
    while (!signal.aborted) {
      let next;
      try {
        next = await outbox.peek();
      } catch (err) {
        // Unreadable state folder (permissions, I/O error): say so and try again later.
        this.log.error('cannot read the outbox', { error: err });
        await this.wait(this.nextBackoff(), 'backoff', signal);
        continue;
      }
      if (!next) {
        await this.idle(signal);
        continue;
      }
      const outcome = await this.deliverOne(next.entry, next.report, signal);
      if (outcome === 'stop') return 'unauthorized';
    }
    return 'aborted';
  }

  private async deliverOne(
    entry: Parameters<Outbox['remove']>[0],
    report: Report,
    signal: AbortSignal,
  ): Promise<'next' | 'stop'> {
    const { outbox } = this.options;
    try {
      const ack = await this.options.deliver(report);
      if (ack.reportId !== report.reportId)
        throw new ServerError('BAD_RESPONSE', `server acknowledged ${ack.reportId} for report ${report.reportId}`);
      await outbox.remove(entry);
      this.attempt = 0;
      this.stats.delivered++;
      if (!ack.stored) this.stats.duplicates++;
      this.log.debug('report delivered', { reportId: report.reportId, kind: report.kind, stored: ack.stored });
      return 'next';
    } catch (err) {
      this.stats.failures++;
      if (!(err instanceof ServerError)) {
        this.log.error('unexpected error while delivering a report', { reportId: report.reportId, error: err });
        await this.wait(this.nextBackoff(), 'backoff', signal);
        return 'next';
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
          if (!retry) return 'stop';
          await this.wait(this.nextBackoff(), 'backoff', signal);
          return 'next';
        }
        case 'REJECTED':
          await outbox.deadLetter(entry, describeError(err));
          this.stats.deadLettered++;
          return 'next';
        case 'RATE_LIMITED': {
          const retryAfter = err.details.retryAfterMs;
          if (retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
            this.log.info('server asked to slow down', { retryAfterMs: retryAfter });
            await this.wait(Math.min(retryAfter, MAX_RETRY_AFTER_MS), 'retry-after', signal);
          } else {
            await this.wait(this.nextBackoff(), 'backoff', signal);
          }
          return 'next';
        }
        case 'UNAVAILABLE':
        case 'BAD_RESPONSE':
          // A server that answers garbage is a bug worth an error line; an unreachable one is routine.
          this.log[err.code === 'BAD_RESPONSE' ? 'error' : 'info']('report delivery failed; will retry', {
            reportId: report.reportId,
            attempt: this.attempt,
            error: err,
          });
          await this.wait(this.nextBackoff(), 'backoff', signal);
          return 'next';
      }
    }
  }

  private nextBackoff(): number {
    return backoffDelay(this.attempt++, this.random, this.backoff);
  }

  private async wait(ms: number, reason: 'backoff' | 'retry-after', signal: AbortSignal): Promise<void> {
    this.stats.waits.push({ ms, reason });
    if (this.stats.waits.length > 100) this.stats.waits.shift();
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

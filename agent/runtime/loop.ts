import type { Logger } from '../log.js';
import type { PolicyInForce } from '../policy/client.js';
import { emptySchedule, nextWake, type Schedule } from './schedule.js';
import { TurnRunner, type TurnOptions } from './turn.js';

export interface LoopOptions extends TurnOptions {
  /** The executable names the policy in force watches for, whenever they change (the process watch rebuilds its matcher). */
  onWatchList?: (processes: string[]) => void;
  /** Called whenever a turn took a policy (the Electron app shows it). */
  onPolicy?: (inForce: PolicyInForce) => void;
}

/** After a turn that failed as a whole (a bug, not a condition), the next waits this long at most. */
const FAILED_TURN_RETRY_MS = 60_000;

/**
 * The in-process driver of the background agent: runs turns (turn.ts) one after the other in this process and sleeps
 * until the schedule says the next is due or the process watch asks for a scan. The Electron app hosts the agent this
 * way (it is resident anyway), and so do the tests; `appwacht run` drives the same turns from a small supervisor
 * process instead (supervisor.ts). The schedule stays in memory here; the state is saved by every turn.
 */
export class AgentLoop {
  private inForce: PolicyInForce | undefined;
  private scanRequest: string | undefined;
  private wake: (() => void) | undefined;
  private readonly turns: TurnRunner;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly options: LoopOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log.child({ component: 'loop' });
    this.turns = new TurnRunner(options);
  }

  /** The policy in force (after the first turn). */
  get policy(): PolicyInForce | undefined {
    return this.inForce;
  }

  /** Asks for a full evaluation as soon as the current turn is done (process watch). */
  requestScan(reason: string): void {
    this.scanRequest ??= reason;
    this.wake?.();
  }

  /** Runs until `signal` aborts; the turn at work then finishes its step and saves, and the stop is recorded. */
  async run(signal: AbortSignal): Promise<void> {
    let schedule: Schedule = emptySchedule(this.now());
    let first = true;
    let watched = '';
    let retryAt = Infinity;
    while (!signal.aborted) {
      const scanRequest = this.scanRequest;
      this.scanRequest = undefined;
      try {
        const result = await this.turns.run({
          schedule,
          ...(scanRequest !== undefined ? { scanRequest } : {}),
          firstOfRun: first,
          announcePending: first,
          signal,
        });
        schedule = result.schedule;
        first = false;
        retryAt = Infinity;
        if (this.inForce?.policy !== result.inForce.policy) this.options.onPolicy?.(result.inForce);
        this.inForce = result.inForce;
        const names = JSON.stringify(schedule.watch.processes);
        if (names !== watched) this.options.onWatchList?.(schedule.watch.processes);
        watched = names;
      } catch (err) {
        this.log.error('turn failed; the loop goes on', { error: err });
        this.scanRequest ??= scanRequest;
        retryAt = this.now().getTime() + Math.min(FAILED_TURN_RETRY_MS, this.options.overrides?.retryMaxMs ?? Infinity);
      }
      if (signal.aborted) break;
      await this.sleep(signal, Math.min(nextWake(schedule), retryAt));
    }
    await this.stop(schedule);
  }

  private sleep(signal: AbortSignal, until: number): Promise<void> {
    if (this.scanRequest !== undefined || signal.aborted) return Promise.resolve();
    const ms = Math.max(0, until - this.now().getTime());
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      // setTimeout's limit is 2^31-1 ms (~24.8 days); a longer wait simply wakes up once more.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private async stop(schedule: Schedule): Promise<void> {
    const { store } = this.options;
    store.state.agent.stoppedAt = this.now().toISOString();
    try {
      await store.save(this.now());
    } catch (err) {
      this.log.error('agent state file not written at stop', { path: store.path, error: err });
    }
    this.log.info('stopped', { queued: schedule.delivery.queued, pending: store.state.pending.length });
  }
}

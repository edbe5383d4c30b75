import type { OsName } from '../../protocol/index.js';
import type { Logger } from '../log.js';
import type { PolicyInForce } from '../policy/client.js';
import { TurnDriver, type TurnOutcome } from './driver.js';
import { emptySchedule, type Schedule } from './schedule.js';
import { TurnRunner, type TurnOptions } from './turn.js';

export interface LoopOptions extends TurnOptions {
  /** What the process watch looks at; without it, nothing is watched. */
  target?: { os: OsName; liveProcesses: boolean };
  /** Called whenever a turn took a policy (the Electron app shows it). */
  onPolicy?: (inForce: PolicyInForce) => void;
}

/**
 * The in-process driver of the background agent: runs turns (turn.ts) one after the other in this process, with the
 * core the supervisor uses too (driver.ts: when to wake, the process watch, the backoff after a failed turn). The
 * Electron app hosts the agent this way (it is resident anyway), and so do the tests; `appwacht run` drives the same
 * turns from a small supervisor process instead (supervisor.ts). The schedule stays in memory here; the state is saved
 * by every turn.
 */
export class AgentLoop {
  private inForce: PolicyInForce | undefined;
  private firstOfRun = true;
  private readonly driver: TurnDriver;
  private readonly turns: TurnRunner;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly options: LoopOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log.child({ component: 'loop' });
    this.turns = new TurnRunner(options);
    const retryMaxMs = options.overrides?.retryMaxMs;
    this.driver = new TurnDriver(retryMaxMs !== undefined ? { retryMaxMs } : {});
  }

  /** The policy in force (after the first turn). */
  get policy(): PolicyInForce | undefined {
    return this.inForce;
  }

  /** Asks for a full evaluation as soon as the current turn is done (process watch). */
  requestScan(reason: string): void {
    this.driver.requestScan(reason);
  }

  /** Runs until `signal` aborts; the turn at work then finishes its step and saves, and the stop is recorded. */
  async run(signal: AbortSignal): Promise<void> {
    const { target, overrides, log } = this.options;
    if (target)
      this.driver.startWatch({
        ...target,
        log,
        ...(overrides?.watchMs !== undefined ? { intervalMs: overrides.watchMs } : {}),
      });
    await this.driver.run(signal, (scanRequest) => this.turn(scanRequest, signal));
    await this.stop(this.driver.schedule);
  }

  private async turn(scanRequest: string | undefined, signal: AbortSignal): Promise<TurnOutcome> {
    try {
      const result = await this.turns.run({
        schedule: this.driver.schedule ?? emptySchedule(this.now()),
        ...(scanRequest !== undefined ? { scanRequest } : {}),
        firstOfRun: this.firstOfRun,
        announcePending: this.firstOfRun,
        signal,
      });
      this.firstOfRun = false;
      if (this.inForce?.policy !== result.inForce.policy) this.options.onPolicy?.(result.inForce);
      this.inForce = result.inForce;
      return { kind: 'done', schedule: result.schedule };
    } catch (err) {
      return {
        kind: 'failed',
        report: ({ inMs, failures }) =>
          this.log.error('turn failed; the loop goes on', { error: err, retryInMs: inMs, failures }),
      };
    }
  }

  private async stop(schedule: Schedule | null): Promise<void> {
    const { store } = this.options;
    store.state.agent.stoppedAt = this.now().toISOString();
    try {
      await store.save(this.now());
    } catch (err) {
      this.log.error('agent state file not written at stop', { path: store.path, error: err });
    }
    this.log.info('stopped', { queued: schedule?.delivery.queued ?? 0, pending: store.state.pending.length });
  }
}

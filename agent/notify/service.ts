import type { Lang, Policy } from '../../protocol/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { EvaluationSummary } from '../report/build.js';
import { readJsonState, writeFileAtomic } from '../state/files.js';
import type { Notifier } from './port.js';
import {
  DEFAULT_SCHEDULE,
  EMPTY_MEMORY,
  NotifyMemory,
  decideNotification,
  rememberAttempt,
  type NotifySchedule,
} from './schedule.js';
import { composeNotification, type NotificationKind } from './texts.js';
import { statePath } from '../state/names.js';

export type NotifyOutcome = { shown: NotificationKind } | { shown: false; reason: 'nothing-new' | 'deferred' | 'failed' };

export interface NotificationServiceOptions {
  stateDir: string;
  notifier: Notifier;
  /** A function so a language switch in the settings applies to the next notification. */
  lang: () => Lang;
  log?: Logger;
  schedule?: NotifySchedule;
}

/**
 * Decides after every scan whether to tell the employee, shows it through the notifier port and remembers
 * it in `<state folder>/notifications.json`. Survives a corrupt memory file (moved aside; the worst case is one
 * repeated notification) and a full disk (remembers in memory for this run and says so).
 */
export class NotificationService {
  private memory: NotifyMemory | undefined;
  private readonly file: string;
  private readonly log: Logger;

  constructor(private readonly options: NotificationServiceOptions) {
    this.file = statePath(options.stateDir, 'notifications');
    this.log = (options.log ?? silentLogger).child({ component: 'notify' });
  }

  async onEvaluation(evaluation: EvaluationSummary, policy: Policy, now: Date = new Date()): Promise<NotifyOutcome> {
    const memory = await this.load();
    const decision = decideNotification(memory, evaluation, now, this.options.schedule ?? DEFAULT_SCHEDULE);
    if (!decision.notify) return { shown: false, reason: decision.deferred ? 'deferred' : 'nothing-new' };

    const notification = composeNotification({ evaluation, policy, lang: this.options.lang(), kind: decision.kind });
    let shown = true;
    try {
      await this.options.notifier.notify(notification);
      this.log.info('notification shown', {
        kind: decision.kind,
        status: evaluation.state.status,
        urgency: notification.urgency,
      });
    } catch (err) {
      shown = false;
      this.log.warn('could not show a notification; will try again later', { kind: decision.kind, error: err });
    }
    await this.save(rememberAttempt(memory, evaluation, now, shown));
    return shown ? { shown: decision.kind } : { shown: false, reason: 'failed' };
  }

  private async load(): Promise<NotifyMemory> {
    if (this.memory) return this.memory;
    try {
      const read = await readJsonState(this.file, (v) => NotifyMemory.parse(v));
      if (read.status === 'corrupt')
        this.log.warn('notification memory was corrupt; moved aside', { movedTo: read.movedTo, reason: read.reason });
      this.memory = read.status === 'ok' ? read.value : EMPTY_MEMORY;
    } catch (err) {
      this.log.warn('cannot read notification memory; starting fresh', { error: err });
      this.memory = EMPTY_MEMORY;
    }
    return this.memory;
  }

  private async save(memory: NotifyMemory): Promise<void> {
    this.memory = memory;
    try {
      await writeFileAtomic(this.file, JSON.stringify(memory));
    } catch (err) {
      // Kept in memory, so this run does not repeat itself; only a restart on a full disk could.
      this.log.warn('cannot save notification memory', { error: err });
    }
  }
}

import { z } from 'zod';
import { ComplianceStatus } from '../../protocol/index.js';
import type { EvaluationSummary } from '../report/build.js';
import type { NotificationKind } from './texts.js';

/** What the employee was last told, persisted in the state folder so a restart does not repeat it. */
export const NotifyMemory = z.strictObject({
  v: z.literal(1),
  /** The state the last shown notification was about (null: nothing shown yet). */
  shown: z.strictObject({ key: z.string().max(10_000), status: ComplianceStatus }).nullable(),
  lastShownAt: z.iso.datetime({ offset: true }).nullable(),
  /** Last try, shown or failed: the minimum gap counts from here, so a broken notifier is not retried every scan. */
  lastAttemptAt: z.iso.datetime({ offset: true }).nullable(),
});
export type NotifyMemory = z.infer<typeof NotifyMemory>;

export const EMPTY_MEMORY: NotifyMemory = { v: 1, shown: null, lastShownAt: null, lastAttemptAt: null };

export interface NotifySchedule {
  /** While non-compliant, remind at most this often. */
  reminderMs: number;
  /** Never two notifications closer than this: an app started and quit every minute does not flood the screen. */
  minGapMs: number;
}

export const DEFAULT_SCHEDULE: NotifySchedule = { reminderMs: 24 * 3600_000, minGapMs: 10 * 60_000 };

/**
 * What the employee is told about: the status, whether the deadline has passed, and which apps.
 * Not whether an already-known app is running right now (that flips with every start/quit; the
 * report carries it) and not pids, paths or versions.
 */
export function notifyKey(evaluation: EvaluationSummary): string {
  const apps = [...new Set(evaluation.findings.map((f) => f.appId))].sort();
  return `${evaluation.state.status}|${evaluation.state.pastDeadline ? 'past' : 'open'}|${apps.join(',')}`;
}

/** Time since `iso`; Infinity when never, or when the clock went backwards (a memory from the "future" must not mute us). */
function elapsedSince(iso: string | null, now: Date): number {
  if (!iso) return Infinity;
  const elapsed = now.getTime() - Date.parse(iso);
  return elapsed < 0 || Number.isNaN(elapsed) ? Infinity : elapsed;
}

export type NotifyDecision = { notify: false; deferred?: boolean } | { notify: true; kind: NotificationKind };

/**
 * Pure: should this scan's result be shown?
 * - compliant: only if the last thing shown was a problem ("resolved", once); a first compliant scan is silent.
 * - non-compliant: when it differs from what was last shown (new app, app gone while others remain, deadline
 *   passed, warning → violation), else as a reminder once `reminderMs` has passed since the last one shown.
 * - Either way not within `minGapMs` of the last attempt: the notification is then deferred, not lost —
 *   memory is unchanged, so a later scan shows it if the state still differs.
 */
export function decideNotification(
  memory: NotifyMemory,
  evaluation: EvaluationSummary,
  now: Date,
  schedule: NotifySchedule = DEFAULT_SCHEDULE,
): NotifyDecision {
  const key = notifyKey(evaluation);
  const status = evaluation.state.status;
  let kind: NotificationKind | undefined;
  if (status === 'compliant') {
    if (memory.shown && memory.shown.status !== 'compliant') kind = 'resolved';
  } else if (!memory.shown || memory.shown.key !== key) {
    kind = 'change';
  } else if (elapsedSince(memory.lastShownAt, now) >= schedule.reminderMs) {
    kind = 'reminder';
  }
  if (!kind) return { notify: false };
  if (elapsedSince(memory.lastAttemptAt, now) < schedule.minGapMs) {
    return { notify: false, deferred: true };
  }
  return { notify: true, kind };
}

/** Pure: the memory after a notification attempt. A failed attempt only moves `lastAttemptAt`. */
export function rememberAttempt(memory: NotifyMemory, evaluation: EvaluationSummary, now: Date, shown: boolean): NotifyMemory {
  const at = now.toISOString();
  if (!shown) return { ...memory, lastAttemptAt: at };
  return { v: 1, shown: { key: notifyKey(evaluation), status: evaluation.state.status }, lastShownAt: at, lastAttemptAt: at };
}

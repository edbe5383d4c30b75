import { z } from 'zod';
import { IsoDateTime } from './common.js';

/**
 * Where a device stands on the escalation ladder. `notice`: a banned app is found, the deadline has not passed;
 * `overdue`: the deadline has passed (the mail warning and reminders go out); `blocked`: mail, contacts and calendar
 * sync are cut off until the device reports clean.
 */
export const LadderStep = z.enum(['compliant', 'notice', 'overdue', 'blocked']);
export type LadderStep = z.infer<typeof LadderStep>;

/** Why the device is where it is. */
export const LadderReason = z.enum(['compliant', 'violation', 'stale', 'unknown', 'exempt', 'retired']);
export type LadderReason = z.infer<typeof LadderReason>;

/** What the report answer tells the agent, so the tray can say "mail sync will be blocked on …". */
export const LadderView = z.strictObject({
  step: LadderStep,
  reason: LadderReason,
  /** false in report-only mode or under an exemption: the ladder is shown, nobody is mailed or blocked. */
  enforced: z.boolean(),
  deadline: IsoDateTime.optional(),
  warnedAt: IsoDateTime.optional(),
  blockedAt: IsoDateTime.optional(),
  exemptUntil: IsoDateTime.optional(),
  /** When sync will be blocked if nothing changes (absent when not failing, blocked already, or not enforced). */
  blockAt: IsoDateTime.optional(),
  /** The next step and when it is due, if nothing changes on the device. */
  next: z.strictObject({ step: z.enum(['overdue', 'blocked']), at: IsoDateTime }).optional(),
});
export type LadderView = z.infer<typeof LadderView>;

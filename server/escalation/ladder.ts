/**
 * The escalation ladder of one device as a pure function of (device facts, the policy's escalation settings,
 * exemptions, now). No I/O: the ingest and the sweep call it and persist what it returns.
 *
 * The ladder is level-triggered: the record keeps what was *done* (warned at, blocked at, …) and every call
 * derives from the clock what *should* be done by now. So a missed sweep, a clock jump forward, report-only
 * switched off or an exemption running out all end in the same place as a ladder that ran step by step.
 *
 * Defined behaviour:
 * - The deadline is the earliest deadline (by the current policy) of a banned app found on the device. A stale
 *   device (no report for staleAfterHours) counts as non-compliant from when it became stale, when the policy says
 *   so; a device whose scans cannot tell (`unknown`) from unknownAfterHours after its first unknown scan. A device
 *   already failing keeps its older (earlier) deadline: going silent is no way to restart the clock.
 * - The mail warning goes out mailWarningAfterDays after the deadline; reminders every reminderEveryDays until the
 *   block; the block blockAfterDays after the deadline. A jump past several points acts once, for where it lands
 *   (one block, whose mail includes the warning).
 * - A clock that goes back never lowers a step; a deadline moved later (policy change) does: the device goes back
 *   to notice, the block is lifted, and the warning is sent again when the new deadline passes.
 * - Report-only mode and an active exemption: the ladder runs and is shown, nobody is mailed or blocked (a block
 *   in force is lifted). When they end, what is due by then is done at once.
 * - The first clean report (or a device retired by the admin) clears the ladder; a mail says so when one was sent.
 */
import { ESCALATION_DEFAULTS, type Escalation } from '../../protocol/policy.js';
import type { LadderReason, LadderStep, LadderView } from '../../protocol/ladder.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface LadderSettings {
  reportOnly: boolean;
  mailWarningAfterDays: number;
  blockAfterDays: number;
  reminderEveryDays: number;
  staleAfterHours: number;
  staleCountsAsViolation: boolean;
  unknownAfterHours: number;
}

export function ladderSettings(e: Escalation): LadderSettings {
  return {
    reportOnly: e.reportOnly,
    mailWarningAfterDays: e.mailWarningAfterDays,
    blockAfterDays: e.blockAfterDays,
    reminderEveryDays: e.reminderEveryDays ?? ESCALATION_DEFAULTS.reminderEveryDays,
    staleAfterHours: e.staleAfterHours,
    staleCountsAsViolation: e.staleCountsAsViolation ?? ESCALATION_DEFAULTS.staleCountsAsViolation,
    unknownAfterHours: e.unknownAfterHours ?? ESCALATION_DEFAULTS.unknownAfterHours,
  };
}

/** What the server knows about the device (all times epoch ms). */
export interface DeviceFacts {
  status: 'compliant' | 'warning' | 'violation' | 'unknown';
  /** Last report or enrollment. */
  lastSeenAt: number;
  /** null: the device never reported. */
  lastScannedAt: number | null;
  /** Earliest deadline, by the current policy, of the banned apps on the device; null when none. */
  violationDeadline: number | null;
  retiredAt?: number | null;
}

export interface Exemption {
  id: string;
  until: number;
  reason: string;
  grantedBy: string;
}

/** What is persisted per device (the ladder_* columns). */
export interface LadderRecord {
  step: LadderStep;
  reason: LadderReason;
  /** The point the ladder counts from: the violation deadline, or when staleness/unknown started to count. */
  deadline: number | null;
  failingSince: number | null;
  warnedAt: number | null;
  remindedAt: number | null;
  reminders: number;
  blockedAt: number | null;
  clearedAt: number | null;
  staleSince: number | null;
  unknownSince: number | null;
  exemptUntil: number | null;
  /** When this function must run again even if no report arrives (the sweep's index). */
  nextAt: number | null;
}

/** Every field but nextAt: what makes a step a change (a later wake-up alone is not one). */
const STATE_FIELDS = [
  'step',
  'reason',
  'deadline',
  'failingSince',
  'warnedAt',
  'remindedAt',
  'reminders',
  'blockedAt',
  'clearedAt',
  'staleSince',
  'unknownSince',
  'exemptUntil',
] as const satisfies readonly Exclude<keyof LadderRecord, 'nextAt'>[];

/** True if the two records differ in anything but nextAt (a loop over fixed keys: the sweep asks 5,000 times). */
export function ladderStateChanged(a: LadderRecord, b: LadderRecord): boolean {
  for (const k of STATE_FIELDS) if (a[k] !== b[k]) return true;
  return false;
}

export const EMPTY_LADDER: LadderRecord = {
  step: 'compliant',
  reason: 'compliant',
  deadline: null,
  failingSince: null,
  warnedAt: null,
  remindedAt: null,
  reminders: 0,
  blockedAt: null,
  clearedAt: null,
  staleSince: null,
  unknownSince: null,
  exemptUntil: null,
  nextAt: null,
};

/** Something to do because of this evaluation: a mail, a change of the access decision. */
export type LadderEffect = 'warn' | 'remind' | 'block' | 'unblock' | 'cleared';

export interface LadderOutcome {
  record: LadderRecord;
  effects: LadderEffect[];
  /** false in report-only mode or under an exemption. */
  enforced: boolean;
  /** When sync will be blocked if nothing changes (null when not failing or already blocked). */
  blockAt: number | null;
  next: { step: 'overdue' | 'blocked'; at: number } | null;
  /** One line for logs and the audit trail. */
  why: string;
}

export interface LadderInput {
  device: DeviceFacts;
  prev: LadderRecord;
  settings: LadderSettings;
  /** Exemptions of this device or its employee; expired ones are ignored. */
  exemptions: readonly Exemption[];
  now: number;
}

const RANK: Record<LadderStep, number> = { compliant: 0, notice: 1, overdue: 2, blocked: 3 };
const iso = (t: number) => new Date(t).toISOString();

export function evaluateLadder({ device, prev, settings: s, exemptions, now }: LadderInput): LadderOutcome {
  if (device.retiredAt != null) {
    // A retired device (lost, replaced) no longer counts: it is cleared without a mail.
    const record: LadderRecord = { ...EMPTY_LADDER, reason: 'retired', clearedAt: prev.clearedAt };
    if (prev.step !== 'compliant') record.clearedAt = now;
    return done(record, prev.blockedAt !== null ? ['unblock'] : [], true, null, null, 'retired by the admin');
  }

  const staleAt = device.lastSeenAt + s.staleAfterHours * HOUR;
  const stale = now >= staleAt;
  const unknownSince =
    device.status === 'unknown' && device.lastScannedAt !== null ? (prev.unknownSince ?? device.lastScannedAt) : null;
  const unknownAt = unknownSince === null ? null : unknownSince + s.unknownAfterHours * HOUR;
  // A device already failing keeps its clock when it goes silent or stops being able to tell.
  const carried = prev.step !== 'compliant' ? prev.deadline : null;
  const earliest = (t: number) => (carried === null ? t : Math.min(carried, t));

  let failing: { reason: LadderReason; deadline: number } | null = null;
  let pendingAt: number | null = null; // when a not-yet-counting stale/unknown state starts to count
  let pendingReason: LadderReason = 'compliant';
  if (device.status === 'violation' && device.violationDeadline !== null) {
    failing = { reason: stale ? 'stale' : 'violation', deadline: device.violationDeadline };
  } else if (stale && s.staleCountsAsViolation) {
    failing = { reason: 'stale', deadline: earliest(staleAt) };
  } else if (unknownAt !== null && now >= unknownAt) {
    failing = { reason: 'unknown', deadline: earliest(unknownAt) };
  } else if (unknownAt !== null || (stale && device.status !== 'compliant')) {
    // Not clean either: hold where the device stands until the state counts (or a clean report arrives).
    pendingReason = unknownAt !== null ? 'unknown' : 'stale';
    if (carried !== null) failing = { reason: pendingReason, deadline: carried };
    else pendingAt = unknownAt;
  } else if (device.lastScannedAt === null) {
    pendingReason = 'unknown'; // enrolled, never reported: counts once stale
  }

  const exemption = activeExemption(exemptions, now);
  const enforced = !s.reportOnly && exemption === null;
  const base = {
    staleSince: stale ? staleAt : null,
    unknownSince,
    exemptUntil: exemption?.until ?? null,
  };
  // The next time staleness could change something, unless the device is stale already.
  const staleWake = stale ? null : staleAt;

  if (failing === null) {
    const wasFailing = prev.step !== 'compliant';
    const record: LadderRecord = {
      ...EMPTY_LADDER,
      ...base,
      reason: pendingReason,
      clearedAt: wasFailing ? now : prev.clearedAt,
      nextAt: minOf(staleWake, pendingAt),
    };
    const effects: LadderEffect[] = [];
    if (prev.blockedAt !== null) effects.push('unblock');
    if (prev.warnedAt !== null || prev.blockedAt !== null) effects.push('cleared');
    return done(record, effects, enforced, null, null, wasFailing ? 'clean again' : 'compliant');
  }

  const D = failing.deadline;
  const warnAt = D + s.mailWarningAfterDays * DAY;
  const blockAt = Math.max(D + s.blockAfterDays * DAY, warnAt);
  let step: LadderStep = now < D ? 'notice' : now < blockAt ? 'overdue' : 'blocked';
  // A clock that went back (same deadline, earlier now) must not undo a step.
  if (prev.step !== 'compliant' && prev.deadline === D && RANK[step] < RANK[prev.step]) step = prev.step;

  const record: LadderRecord = {
    ...base,
    step,
    reason: exemption !== null ? 'exempt' : failing.reason,
    deadline: D,
    failingSince: prev.step !== 'compliant' ? (prev.failingSince ?? now) : now,
    warnedAt: prev.warnedAt,
    remindedAt: prev.remindedAt,
    reminders: prev.reminders,
    blockedAt: prev.blockedAt,
    clearedAt: prev.clearedAt,
    nextAt: null,
  };
  if (step === 'notice') {
    // Back before the deadline (it was moved later): the warning is due again for the new date.
    record.warnedAt = null;
    record.remindedAt = null;
    record.reminders = 0;
  }
  const effects: LadderEffect[] = [];
  const remindEvery = s.reminderEveryDays * DAY;
  if (enforced) {
    if (step === 'blocked' && record.blockedAt === null) {
      record.blockedAt = now;
      record.warnedAt ??= now; // the block mail carries the warning
      effects.push('block');
    } else if (step !== 'notice' && now >= warnAt && record.warnedAt === null) {
      record.warnedAt = now;
      effects.push('warn');
    } else if (
      step === 'overdue' &&
      record.warnedAt !== null &&
      remindEvery > 0 &&
      now >= (record.remindedAt ?? record.warnedAt) + remindEvery
    ) {
      record.remindedAt = now;
      record.reminders += 1;
      effects.push('remind');
    }
  }
  if (record.blockedAt !== null && (!enforced || step !== 'blocked')) {
    record.blockedAt = null;
    effects.push('unblock');
  }

  const nextReminder =
    enforced && step === 'overdue' && record.warnedAt !== null && remindEvery > 0
      ? (record.remindedAt ?? record.warnedAt) + remindEvery
      : null;
  const pendingWarn = enforced && record.warnedAt === null && step !== 'blocked' ? warnAt : null;
  record.nextAt = minOf(
    step === 'notice' ? D : null,
    pendingWarn !== null && pendingWarn > now ? pendingWarn : null,
    nextReminder !== null && nextReminder < blockAt ? nextReminder : null,
    step !== 'blocked' ? blockAt : null,
    record.exemptUntil,
    // Not the stale time of a violating device: going silent changes nothing on its clock, and leaving it out
    // spares the index a rewrite on every heartbeat.
  );
  const next =
    step === 'notice'
      ? { step: 'overdue' as const, at: D }
      : step === 'overdue'
        ? { step: 'blocked' as const, at: blockAt }
        : null;
  const why =
    `${failing.reason}: deadline ${iso(D)}, ${step}` +
    (exemption ? `, exempt until ${iso(exemption.until)} (${exemption.reason})` : '') +
    (s.reportOnly ? ', report-only' : '');
  return done(record, effects, enforced, step === 'blocked' ? null : blockAt, next, why);
}

function done(
  record: LadderRecord,
  effects: LadderEffect[],
  enforced: boolean,
  blockAt: number | null,
  next: LadderOutcome['next'],
  why: string,
): LadderOutcome {
  return { record, effects, enforced, blockAt, next, why };
}

function activeExemption(exemptions: readonly Exemption[], now: number): Exemption | null {
  let best: Exemption | null = null;
  for (const e of exemptions) if (e.until > now && (best === null || e.until > best.until)) best = e;
  return best;
}

function minOf(...xs: (number | null)[]): number | null {
  let m: number | null = null;
  for (const x of xs) if (x !== null && (m === null || x < m)) m = x;
  return m;
}

/** The ladder as the agent is told it (ReportAck.ladder). */
export function ladderView(o: Pick<LadderOutcome, 'record' | 'enforced' | 'blockAt' | 'next'>): LadderView {
  const r = o.record;
  const view: LadderView = { step: r.step, reason: r.reason, enforced: o.enforced };
  if (r.deadline !== null) view.deadline = iso(r.deadline);
  if (r.warnedAt !== null) view.warnedAt = iso(r.warnedAt);
  if (r.blockedAt !== null) view.blockedAt = iso(r.blockedAt);
  if (r.exemptUntil !== null) view.exemptUntil = iso(r.exemptUntil);
  if (o.blockAt !== null) view.blockAt = iso(o.blockAt);
  if (o.next !== null) view.next = { step: o.next.step, at: iso(o.next.at) };
  return view;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Escalation } from '../../../protocol/policy.js';
import {
  EMPTY_LADDER,
  evaluateLadder,
  ladderSettings,
  ladderStateChanged,
  ladderView,
  type DeviceFacts,
  type Exemption,
  type LadderEffect,
  type LadderRecord,
  type LadderSettings,
} from '../../../server/escalation/ladder.js';

const H = 3600_000;
const DAY = 24 * H;
const D = Date.parse('2026-09-15T00:00:00Z');
const SETTINGS: LadderSettings = {
  reportOnly: false,
  mailWarningAfterDays: 0,
  blockAfterDays: 14,
  reminderEveryDays: 3,
  staleAfterHours: 72,
  staleCountsAsViolation: true,
  unknownAfterHours: 24,
};

/** One evaluation in a scenario; the record carries over to the next. `seen` = when the device last reported. */
interface Tick {
  at: number;
  device?: Partial<DeviceFacts>;
  seen?: number;
  settings?: Partial<LadderSettings>;
  exemptions?: Exemption[];
  expect: {
    step: LadderRecord['step'];
    effects?: LadderEffect[];
    reason?: LadderRecord['reason'];
    blocked?: boolean;
    enforced?: boolean;
    nextAt?: number | null;
    deadline?: number | null;
    warnedAt?: number | null;
  };
}

const violating = (deadline = D): Partial<DeviceFacts> => ({ status: 'violation', violationDeadline: deadline });
const clean: Partial<DeviceFacts> = { status: 'compliant', violationDeadline: null };
const exempt = (until: number): Exemption[] => [{ id: 'x1', until, reason: 'Bereitschaftsdienst', grantedBy: 'admin:it' }];

function run(ticks: Tick[]): void {
  let prev = EMPTY_LADDER;
  let device: DeviceFacts = {
    status: 'compliant',
    lastSeenAt: D - 30 * DAY,
    lastScannedAt: D - 30 * DAY,
    violationDeadline: null,
  };
  let settings = SETTINGS;
  ticks.forEach((t, i) => {
    // By default the device reports at every tick; `seen` pins its last report to model silence.
    const seen = t.seen ?? t.at;
    device = {
      ...device,
      ...t.device,
      lastSeenAt: seen,
      lastScannedAt: t.device?.lastScannedAt !== undefined ? t.device.lastScannedAt : seen,
    };
    settings = { ...settings, ...t.settings };
    const out = evaluateLadder({ device, prev, settings, exemptions: t.exemptions ?? [], now: t.at });
    const where = `tick ${i} (${new Date(t.at).toISOString()})`;
    assert.equal(out.record.step, t.expect.step, `${where}: step (${out.why})`);
    assert.deepEqual(out.effects, t.expect.effects ?? [], `${where}: effects (${out.why})`);
    if (t.expect.reason) assert.equal(out.record.reason, t.expect.reason, `${where}: reason`);
    if (t.expect.blocked !== undefined) assert.equal(out.record.blockedAt !== null, t.expect.blocked, `${where}: blocked`);
    if (t.expect.enforced !== undefined) assert.equal(out.enforced, t.expect.enforced, `${where}: enforced`);
    if (t.expect.nextAt !== undefined) assert.equal(out.record.nextAt, t.expect.nextAt, `${where}: nextAt`);
    if (t.expect.deadline !== undefined) assert.equal(out.record.deadline, t.expect.deadline, `${where}: deadline`);
    if (t.expect.warnedAt !== undefined) assert.equal(out.record.warnedAt, t.expect.warnedAt, `${where}: warnedAt`);
    // Whatever happens, nextAt lies in the future: the sweep must never spin on a row.
    if (out.record.nextAt !== null) assert.ok(out.record.nextAt > t.at, `${where}: nextAt in the past`);
    prev = out.record;
  });
}

describe('evaluateLadder()', () => {
  const scenarios: { name: string; ticks: Tick[] }[] = [
    {
      name: 'compliant stays compliant; wakes up when it would go stale',
      ticks: [{ at: D - 10 * DAY, device: clean, expect: { step: 'compliant', nextAt: D - 10 * DAY + 72 * H } }],
    },
    {
      name: 'the whole ladder: notice → overdue + warning → reminders → block → clean (unblock + all-clear mail)',
      ticks: [
        { at: D - 5 * DAY, device: violating(), expect: { step: 'notice', nextAt: D, reason: 'violation' } },
        { at: D, device: violating(), expect: { step: 'overdue', effects: ['warn'], warnedAt: D, nextAt: D + 3 * DAY } },
        { at: D + DAY, device: violating(), expect: { step: 'overdue', nextAt: D + 3 * DAY } },
        { at: D + 3 * DAY, device: violating(), expect: { step: 'overdue', effects: ['remind'], nextAt: D + 6 * DAY } },
        { at: D + 6 * DAY, device: violating(), expect: { step: 'overdue', effects: ['remind'] } },
        { at: D + 12 * DAY, device: violating(), expect: { step: 'overdue', effects: ['remind'], nextAt: D + 14 * DAY } },
        { at: D + 14 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'], blocked: true } },
        { at: D + 15 * DAY, device: violating(), expect: { step: 'blocked', blocked: true } },
        { at: D + 16 * DAY, device: clean, expect: { step: 'compliant', effects: ['unblock', 'cleared'], blocked: false } },
        { at: D + 17 * DAY, device: clean, expect: { step: 'compliant' } },
      ],
    },
    {
      name: 'mail warning a few days after the deadline, not at it',
      ticks: [
        {
          at: D + H,
          device: violating(),
          settings: { mailWarningAfterDays: 2 },
          expect: { step: 'overdue', nextAt: D + 2 * DAY },
        },
        { at: D + 2 * DAY, device: violating(), expect: { step: 'overdue', effects: ['warn'] } },
      ],
    },
    {
      name: 'clean before the deadline: no mail was sent, so no all-clear mail',
      ticks: [
        { at: D - 5 * DAY, device: violating(), expect: { step: 'notice' } },
        { at: D - 4 * DAY, device: clean, expect: { step: 'compliant', effects: [] } },
      ],
    },
    {
      name: 'apps the policy only warns about never escalate',
      ticks: [{ at: D + 20 * DAY, device: { status: 'warning', violationDeadline: null }, expect: { step: 'compliant' } }],
    },
    {
      name: 'stale counts: a clean device that goes silent escalates from when it became stale',
      ticks: [
        { at: D, device: clean, expect: { step: 'compliant', nextAt: D + 72 * H } },
        { at: D + 72 * H, seen: D, expect: { step: 'overdue', reason: 'stale', effects: ['warn'], deadline: D + 72 * H } },
        { at: D + 72 * H + 14 * DAY, seen: D, expect: { step: 'blocked', effects: ['block'] } },
        { at: D + 20 * DAY, device: clean, expect: { step: 'compliant', effects: ['unblock', 'cleared'] } },
      ],
    },
    {
      name: 'stale does not count when the policy says so',
      ticks: [
        { at: D + 10 * DAY, seen: D, device: clean, settings: { staleCountsAsViolation: false }, expect: { step: 'compliant' } },
      ],
    },
    {
      name: 'killing the agent mid-ladder keeps the original deadline',
      ticks: [
        { at: D + DAY, device: violating(), expect: { step: 'overdue', effects: ['warn'] } },
        { at: D + 14 * DAY, seen: D + DAY, expect: { step: 'blocked', reason: 'stale', effects: ['block'], deadline: D } },
      ],
    },
    {
      name: 'a violating device stays on its clock when stale does not count',
      ticks: [
        {
          at: D + DAY,
          device: violating(),
          settings: { staleCountsAsViolation: false },
          expect: { step: 'overdue', effects: ['warn'] },
        },
        { at: D + 14 * DAY, seen: D + DAY, expect: { step: 'blocked', effects: ['block'] } },
      ],
    },
    {
      name: 'unknown counts after unknownAfterHours from the first unknown scan',
      ticks: [
        {
          at: D,
          device: { status: 'unknown', violationDeadline: null },
          expect: { step: 'compliant', reason: 'unknown', nextAt: D + 24 * H },
        },
        { at: D + 12 * H, expect: { step: 'compliant', reason: 'unknown', nextAt: D + 24 * H } },
        { at: D + 24 * H, expect: { step: 'overdue', reason: 'unknown', effects: ['warn'], deadline: D + 24 * H } },
        { at: D + 25 * H, device: clean, expect: { step: 'compliant', effects: ['cleared'] } },
      ],
    },
    {
      name: 'a blocked device that turns unknown stays blocked (unknown is not clean)',
      ticks: [
        { at: D + 14 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'] } },
        {
          at: D + 14 * DAY + H,
          device: { status: 'unknown', violationDeadline: null },
          expect: { step: 'blocked', blocked: true },
        },
      ],
    },
    {
      name: 'an enrolled device that never reports counts once stale',
      ticks: [
        {
          at: D,
          device: { status: 'unknown', violationDeadline: null, lastScannedAt: null },
          expect: { step: 'compliant', reason: 'unknown' },
        },
        {
          at: D + 4 * DAY,
          seen: D,
          device: { lastScannedAt: null },
          expect: { step: 'overdue', reason: 'stale', effects: ['warn'] },
        },
      ],
    },
    {
      name: 'exempt: the ladder runs, nobody is mailed or blocked; when it runs out, what is due is done',
      ticks: [
        {
          at: D + 20 * DAY,
          device: violating(),
          exemptions: exempt(D + 30 * DAY),
          expect: { step: 'blocked', reason: 'exempt', blocked: false, enforced: false, nextAt: D + 30 * DAY },
        },
        {
          at: D + 30 * DAY,
          device: violating(),
          exemptions: exempt(D + 30 * DAY),
          expect: { step: 'blocked', effects: ['block'], blocked: true },
        },
      ],
    },
    {
      name: 'an exemption granted while blocked lifts the block',
      ticks: [
        { at: D + 14 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'] } },
        {
          at: D + 15 * DAY,
          device: violating(),
          exemptions: exempt(D + 40 * DAY),
          expect: { step: 'blocked', effects: ['unblock'], blocked: false },
        },
      ],
    },
    {
      name: 'report-only: shown, never mailed or blocked; switched off, the block comes at once',
      ticks: [
        { at: D + DAY, device: violating(), settings: { reportOnly: true }, expect: { step: 'overdue', enforced: false } },
        { at: D + 20 * DAY, device: violating(), expect: { step: 'blocked', blocked: false, enforced: false } },
        {
          at: D + 21 * DAY,
          device: violating(),
          settings: { reportOnly: false },
          expect: { step: 'blocked', effects: ['block'], warnedAt: D + 21 * DAY },
        },
      ],
    },
    {
      name: 'report-only switched on while blocked lifts the block',
      ticks: [
        { at: D + 14 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'] } },
        {
          at: D + 15 * DAY,
          device: violating(),
          settings: { reportOnly: true },
          expect: { step: 'blocked', effects: ['unblock'], blocked: false },
        },
      ],
    },
    {
      name: 'policy change mid-ladder: a shorter grace period blocks at the next evaluation',
      ticks: [
        { at: D + 8 * DAY, device: violating(), expect: { step: 'overdue', effects: ['warn'] } },
        {
          at: D + 8 * DAY + H,
          device: violating(),
          settings: { blockAfterDays: 7 },
          expect: { step: 'blocked', effects: ['block'] },
        },
      ],
    },
    {
      name: 'deadline moved later while blocked: back to notice, block lifted, warned again at the new deadline',
      ticks: [
        { at: D + 14 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'] } },
        {
          at: D + 15 * DAY,
          device: violating(D + 30 * DAY),
          expect: { step: 'notice', effects: ['unblock'], warnedAt: null, nextAt: D + 30 * DAY },
        },
        { at: D + 30 * DAY, device: violating(D + 30 * DAY), expect: { step: 'overdue', effects: ['warn'] } },
      ],
    },
    {
      name: 'deadline moved earlier: a notice becomes overdue at once',
      ticks: [
        { at: D - 10 * DAY, device: violating(), expect: { step: 'notice' } },
        { at: D - 9 * DAY, device: violating(D - 9 * DAY - H), expect: { step: 'overdue', effects: ['warn'] } },
      ],
    },
    {
      name: 'clock jump forward past several points acts once, for where it lands',
      ticks: [
        { at: D - DAY, device: violating(), expect: { step: 'notice' } },
        { at: D + 40 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'], warnedAt: D + 40 * DAY } },
      ],
    },
    {
      name: 'clock going back never lowers a step',
      ticks: [
        { at: D + 15 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'] } },
        { at: D - 2 * DAY, device: violating(), expect: { step: 'blocked', blocked: true, effects: [] } },
      ],
    },
    {
      name: 'a retired device is cleared without a mail and its block lifted',
      ticks: [
        { at: D + 14 * DAY, device: violating(), expect: { step: 'blocked', effects: ['block'] } },
        {
          at: D + 15 * DAY,
          device: { ...violating(), retiredAt: D + 15 * DAY },
          expect: { step: 'compliant', reason: 'retired', effects: ['unblock'] },
        },
      ],
    },
    {
      name: 'no reminders when reminderEveryDays is 0',
      ticks: [
        {
          at: D,
          device: violating(),
          settings: { reminderEveryDays: 0 },
          expect: { step: 'overdue', effects: ['warn'], nextAt: D + 14 * DAY },
        },
        { at: D + 10 * DAY, device: violating(), expect: { step: 'overdue' } },
      ],
    },
  ];
  for (const s of scenarios) it(s.name, () => run(s.ticks));
});

describe('ladderSettings()', () => {
  it('fills the fields a policy written before them lacks', () => {
    const old = Escalation.parse({ reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 });
    assert.deepEqual(ladderSettings(old), SETTINGS);
  });
  it('rejects a negative reminder interval', () => {
    assert.equal(
      Escalation.safeParse({
        reportOnly: false,
        mailWarningAfterDays: 0,
        blockAfterDays: 14,
        staleAfterHours: 72,
        reminderEveryDays: -1,
      }).success,
      false,
    );
  });
});

describe('ladderView()', () => {
  it('tells the agent the step, the deadline and when sync will be blocked', () => {
    const device: DeviceFacts = { status: 'violation', lastSeenAt: D - DAY, lastScannedAt: D - DAY, violationDeadline: D };
    const out = evaluateLadder({ device, prev: EMPTY_LADDER, settings: SETTINGS, exemptions: [], now: D - DAY });
    assert.deepEqual(ladderView(out), {
      step: 'notice',
      reason: 'violation',
      enforced: true,
      deadline: '2026-09-15T00:00:00.000Z',
      blockAt: '2026-09-29T00:00:00.000Z',
      next: { step: 'overdue', at: '2026-09-15T00:00:00.000Z' },
    });
  });
});

describe('ladderStateChanged (what makes the sweep write a changed row)', () => {
  it('sees a change in every field but nextAt', () => {
    const a: LadderRecord = { ...EMPTY_LADDER, step: 'overdue', reason: 'violation', deadline: 1, nextAt: 5 };
    assert.equal(ladderStateChanged(a, { ...a }), false);
    assert.equal(ladderStateChanged(a, { ...a, nextAt: 6 }), false, 'a later wake-up alone is no change');
    const other: Record<keyof LadderRecord, unknown> = {
      step: 'blocked',
      reason: 'stale',
      deadline: 2,
      failingSince: 3,
      warnedAt: 4,
      remindedAt: 5,
      reminders: 1,
      blockedAt: 6,
      clearedAt: 7,
      staleSince: 8,
      unknownSince: 9,
      exemptUntil: 10,
      nextAt: 11,
    };
    for (const k of Object.keys(other) as (keyof LadderRecord)[]) {
      if (k === 'nextAt') continue;
      assert.equal(ladderStateChanged(a, { ...a, [k]: other[k] } as LadderRecord), true, k);
    }
  });
});

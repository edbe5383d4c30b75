import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_MEMORY,
  decideNotification,
  notifyKey,
  rememberAttempt,
  type NotifyMemory,
} from '../../../agent/notify/schedule.js';
import { COMPLIANT, evaluation, finding } from '../../helpers/sample-reports.js';

const T = Date.parse('2026-02-10T08:00:00Z');
const at = (minutes: number) => new Date(T + minutes * 60_000);
const HOUR = 60;
const wa = evaluation([finding('whatsapp')]);
const waRunning = evaluation([finding('whatsapp', { evidence: ['installed', 'running'] })]);
const waSc = evaluation([finding('whatsapp'), finding('snapchat')]);
const waPast = evaluation([finding('whatsapp')], { pastDeadline: true, daysPastDeadline: 1 });

/** Memory after showing `ev` at minute `m`. */
const shown = (ev: typeof wa, m: number): NotifyMemory => rememberAttempt(EMPTY_MEMORY, ev, at(m), true);

describe('decideNotification()', () => {
  const cases: { name: string; memory: NotifyMemory; now: number; ev: typeof wa; expected: unknown }[] = [
    { name: 'first scan, compliant: silent', memory: EMPTY_MEMORY, now: 0, ev: COMPLIANT, expected: { notify: false } },
    { name: 'first scan, violation: tell', memory: EMPTY_MEMORY, now: 0, ev: wa, expected: { notify: true, kind: 'change' } },
    { name: 'same violation a minute later: silent', memory: shown(wa, 0), now: 1, ev: wa, expected: { notify: false } },
    { name: 'same violation 23 h later: silent', memory: shown(wa, 0), now: 23 * HOUR, ev: wa, expected: { notify: false } },
    {
      name: 'same violation 24 h later: reminder',
      memory: shown(wa, 0),
      now: 24 * HOUR,
      ev: wa,
      expected: { notify: true, kind: 'reminder' },
    },
    {
      name: 'the app starts running: not news to the employee',
      memory: shown(wa, 0),
      now: 30,
      ev: waRunning,
      expected: { notify: false },
    },
    {
      name: 'a second app 30 min later: tell',
      memory: shown(wa, 0),
      now: 30,
      ev: waSc,
      expected: { notify: true, kind: 'change' },
    },
    { name: 'deadline passes: tell', memory: shown(wa, 0), now: 30, ev: waPast, expected: { notify: true, kind: 'change' } },
    {
      name: 'a change within 10 min of the last one: deferred',
      memory: shown(wa, 0),
      now: 5,
      ev: waSc,
      expected: { notify: false, deferred: true },
    },
    {
      name: 'clean again: thank you',
      memory: shown(wa, 0),
      now: 30,
      ev: COMPLIANT,
      expected: { notify: true, kind: 'resolved' },
    },
    {
      name: 'clean and already thanked: silent',
      memory: shown(COMPLIANT, 0),
      now: 30,
      ev: COMPLIANT,
      expected: { notify: false },
    },
    {
      name: 'a failed attempt 2 min ago: wait for the gap',
      memory: rememberAttempt(EMPTY_MEMORY, wa, at(0), false),
      now: 2,
      ev: wa,
      expected: { notify: false, deferred: true },
    },
    {
      name: 'a failed attempt 11 min ago: try again',
      memory: rememberAttempt(EMPTY_MEMORY, wa, at(0), false),
      now: 11,
      ev: wa,
      expected: { notify: true, kind: 'change' },
    },
    {
      name: 'the clock went back a day: the memory from the future does not mute us',
      memory: shown(wa, 0),
      now: -24 * HOUR,
      ev: wa,
      expected: { notify: true, kind: 'reminder' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(decideNotification(c.memory, c.ev, at(c.now)), c.expected));

  it('an app flapping every minute for a day gives at most one notification per 10 minutes', () => {
    let memory = EMPTY_MEMORY;
    let count = 0;
    for (let m = 0; m < 24 * HOUR; m++) {
      const ev = m % 2 ? waSc : wa; // snapchat installed and removed again and again
      const d = decideNotification(memory, ev, at(m));
      if (d.notify) {
        count++;
        memory = rememberAttempt(memory, ev, at(m), true);
      }
    }
    assert.ok(count <= (24 * HOUR) / 10 + 1, `${count} notifications`);
  });

  it('notifyKey ignores finding order and evidence', () => {
    assert.equal(notifyKey(waSc), notifyKey(evaluation([finding('snapchat'), finding('whatsapp')])));
    assert.equal(notifyKey(wa), notifyKey(waRunning));
  });
});

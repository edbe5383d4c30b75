/** What turns hand each other (schedule.ts): the next wake, the shape check, the file. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  checkSchedule,
  emptySchedule,
  nextWake,
  readSchedule,
  writeSchedule,
  type Schedule,
} from '../../../agent/runtime/schedule.js';
import { STATE_FILES } from '../../../agent/state/names.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-schedule-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const T = Date.parse('2026-11-27T12:00:00Z');
function schedule(over: Partial<Schedule> = {}): Schedule {
  return { ...emptySchedule(new Date(T)), ...over };
}

describe('nextWake()', () => {
  const delivery = (nextAt: number | null) => ({ queued: 1, pending: 0, nextAt, attempt: 2 });
  for (const [name, s, want] of [
    ['scan only (local mode)', schedule({ nextScanAt: T + 900_000 }), T + 900_000],
    [
      'refresh first',
      schedule({ nextScanAt: T + 900_000, nextRefreshAt: T + 300_000, nextHeartbeatAt: T + 3_600_000 }),
      T + 300_000,
    ],
    [
      'heartbeat first',
      schedule({ nextScanAt: T + 900_000, nextRefreshAt: T + 3_600_000, nextHeartbeatAt: T + 60_000 }),
      T + 60_000,
    ],
    [
      'a delivery retry first',
      schedule({ nextScanAt: T + 900_000, nextRefreshAt: T + 300_000, delivery: delivery(T + 5_000) }),
      T + 5_000,
    ],
    ['nothing to deliver', schedule({ nextScanAt: T + 900_000, delivery: delivery(null) }), T + 900_000],
    ['overdue', schedule({ nextScanAt: T - 10 }), T - 10],
  ] as const)
    it(name, () => assert.equal(nextWake(s), want));
});

describe('checkSchedule()', () => {
  it('accepts what emptySchedule() makes and a full one', () => {
    assert.ok(checkSchedule(emptySchedule()).ok);
    const full = schedule({
      nextRefreshAt: T,
      nextHeartbeatAt: T,
      delivery: { queued: 3, pending: 1, nextAt: T, attempt: 4 },
      enrollment: { attempts: 2, retryAt: T },
      watch: { processes: ['Telegram', 'WhatsApp.exe'] },
      said: { stateFile: 'DISK_FULL', queue: 'DISK_FULL', transport: 'CA file unreadable', unknownApps: ['newapp'] },
    });
    assert.deepEqual(checkSchedule(JSON.parse(JSON.stringify(full))), { ok: true, schedule: full });
  });

  const base = JSON.parse(JSON.stringify(emptySchedule(new Date(T)))) as Record<string, unknown>;
  for (const [name, value, field] of [
    ['not an object', 'schedule', 'the document'],
    ['another format', { ...base, format: 'appwacht-agent-state' }, 'format/version'],
    ['a newer version', { ...base, version: 2 }, 'format/version'],
    ['a bad date', { ...base, at: 'yesterday' }, 'at'],
    ['a negative save count', { ...base, stateSeq: -1 }, 'stateSeq'],
    ['a scan time that is text', { ...base, nextScanAt: '12:00' }, 'nextScanAt'],
    ['Infinity (not JSON, but over IPC)', { ...base, nextRefreshAt: Infinity }, 'nextRefreshAt'],
    ['delivery without its attempt', { ...base, delivery: { queued: 0, pending: 0, nextAt: null } }, 'delivery'],
    ['enrollment attempts as a fraction', { ...base, enrollment: { attempts: 1.5, retryAt: null } }, 'enrollment'],
    ['a watch list of numbers', { ...base, watch: { processes: [1, 2] } }, 'watch'],
    ['said without unknownApps', { ...base, said: {} }, 'said'],
  ] as const)
    it(`refuses ${name}, naming ${field}`, () => {
      const r = checkSchedule(value);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, new RegExp(`schedule: ${field.replace('/', '\\/')} is missing or invalid`));
    });
});

describe('readSchedule() / writeSchedule()', () => {
  it('round-trips, says missing, and reports a torn or foreign file without touching it', async () => {
    const d = join(dir, 'rw');
    await (await import('node:fs/promises')).mkdir(d);
    assert.deepEqual(await readSchedule(d), { status: 'missing' });
    const s = schedule({ nextScanAt: T + 1, watch: { processes: ['Telegram'] } });
    await writeSchedule(d, s);
    assert.deepEqual(await readSchedule(d), { status: 'ok', schedule: s });
    await writeFile(join(d, STATE_FILES.schedule), '{"format":"appwacht-agent-sched');
    const torn = await readSchedule(d);
    assert.equal(torn.status, 'invalid');
    assert.match(torn.status === 'invalid' ? torn.reason : '', /^not JSON/);
    assert.equal(await readFile(join(d, STATE_FILES.schedule), 'utf8'), '{"format":"appwacht-agent-sched', 'left in place');
  });
});

/** What turns hand each other (schedule.ts), what the watch matches (watch-list.ts), and which state a turn continues from. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Policy } from '../../../protocol/index.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { watchMatchers } from '../../../agent/runtime/process-watch.js';
import {
  SCHEDULE_FILE,
  checkSchedule,
  emptySchedule,
  nextWake,
  readSchedule,
  writeSchedule,
  type Schedule,
} from '../../../agent/runtime/schedule.js';
import { RUNTIME_STATE_FILE, RuntimeStateStore, emptyState } from '../../../agent/runtime/state.js';
import { markStateStopped } from '../../../agent/runtime/state-file.js';
import { continueFrom } from '../../../agent/runtime/turn-process.js';
import { watchedProcessNames } from '../../../agent/runtime/watch-list.js';

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
    await writeFile(join(d, SCHEDULE_FILE), '{"format":"appwacht-agent-sched');
    const torn = await readSchedule(d);
    assert.equal(torn.status, 'invalid');
    assert.match(torn.status === 'invalid' ? torn.reason : '', /^not JSON/);
    assert.equal(await readFile(join(d, SCHEDULE_FILE), 'utf8'), '{"format":"appwacht-agent-sched', 'left in place');
  });
});

describe('watchedProcessNames() and watchMatchers()', () => {
  const policy = (rules: Policy['rules']): Policy => ({ ...loadDefaultPolicy(), rules });
  it('names the executables of catalog and custom rules, once each, and nothing for an unknown app', () => {
    const names = watchedProcessNames(
      policy([
        { id: 'ban-telegram', app: 'telegram', action: 'ban', deadline: '2026-03-01T00:00:00Z' },
        { id: 'ban-telegram-again', app: 'telegram', action: 'warn' },
        { id: 'ban-future', app: 'an-app-from-a-newer-catalog', action: 'ban', deadline: '2026-03-01T00:00:00Z' },
        {
          id: 'chatty',
          custom: { name: 'Chatty', match: { processes: ['chatty', 'Chatty.exe'] } },
          action: 'ban',
          deadline: '2026-03-01T00:00:00Z',
        },
      ] as Policy['rules']),
    );
    assert.ok(names.includes('Telegram'), `the catalog's Telegram executable (${names.join(', ')})`);
    assert.ok(names.includes('chatty') && names.includes('Chatty.exe'));
    assert.equal(new Set(names).size, names.length, 'no repeats');
    assert.deepEqual([...names].sort(), names, 'sorted: equal lists compare equal');
  });

  it('matches what the evaluation matches, exactly on Linux, without .exe and case on Windows; none: no matcher', () => {
    const set = watchMatchers(['Telegram', 'WhatsApp.exe', 'whatsapp-for-linux'])!;
    const hit = (name: string, os: 'linux' | 'windows' | 'macos', path?: string) =>
      set.matchProcess({ pid: 1, name, ...(path ? { path } : {}) }, os).length > 0;
    assert.equal(hit('Telegram', 'linux'), true);
    assert.equal(hit('telegram', 'linux'), false, 'Linux names are exact');
    assert.equal(hit('TelegramDesktop', 'linux'), false, 'never a substring');
    assert.equal(hit('x', 'linux', '/opt/Telegram/Telegram'), true, 'by the executable path');
    assert.equal(hit('whatsapp-for-li', 'linux'), true, 'a name the kernel cut to 15 characters');
    assert.equal(hit('WHATSAPP', 'windows'), true);
    assert.equal(watchMatchers([]), undefined);
  });
});

describe('continueFrom(): which state a turn works on', () => {
  const stores = (fileSeq: number | undefined, handedSeq?: number) => {
    const loaded = RuntimeStateStore.handedOver(dir, { ...emptyState(new Date(T), 1, '1'), seq: fileSeq ?? 0 });
    const handed =
      handedSeq === undefined
        ? undefined
        : RuntimeStateStore.handedOver(dir, { ...emptyState(new Date(T), 1, '1'), seq: handedSeq });
    return { loaded, handed };
  };
  for (const [name, fileSeq, handedSeq, stateSeq, first, want, announce] of [
    ['a turn after one that finished: the file, nothing to announce', 7, undefined, 7, false, 'file', false],
    ['the turn before was killed after saving: the file, its pending reports announced', 8, undefined, 7, false, 'file', true],
    ['a new run: the file, announced', 7, undefined, 7, true, 'file', true],
    ['full disk: the handed-over state is further along than the file', 7, 9, 9, false, 'handed', false],
    ['the handed-over state is older than the file (a turn since wrote it): the file', 10, 9, 9, false, 'file', true],
    ['no file (corrupt, moved aside): the handed-over state', undefined, 3, 3, false, 'handed', false],
  ] as const)
    it(name, () => {
      const { loaded, handed } = stores(fileSeq, handedSeq);
      const r = continueFrom({ loaded, fileSeq, handed, schedule: schedule({ stateSeq }), firstOfRun: first });
      assert.equal(r.store === handed ? 'handed' : 'file', want);
      assert.equal(r.announcePending, announce);
    });
});

describe('markStateStopped()', () => {
  it('records the stop in the state file the turns wrote, and leaves a missing or foreign file alone', async () => {
    const d = await mkdtemp(join(dir, 'stop-'));
    assert.equal(await markStateStopped(d, new Date(T)), false);
    const { store } = await RuntimeStateStore.load(d, { agentVersion: '1' });
    await store.save();
    assert.equal(await markStateStopped(d, new Date(T)), true);
    const read = await RuntimeStateStore.load(d, { agentVersion: '1', continueRun: true });
    assert.equal(read.previous?.agent.stoppedAt, new Date(T).toISOString(), 'still a valid state file');
    await writeFile(join(d, RUNTIME_STATE_FILE), '[1,2]');
    assert.equal(await markStateStopped(d, new Date(T)), false);
    assert.equal(await readFile(join(d, RUNTIME_STATE_FILE), 'utf8'), '[1,2]');
  });
});

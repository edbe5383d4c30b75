import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { memoryLogger } from '../../../agent/log.js';
import type { DesktopNotification, Notifier } from '../../../agent/notify/port.js';
import { NotificationService } from '../../../agent/notify/service.js';
import { COMPLIANT, evaluation, finding, policy } from '../../helpers/sample-reports.js';
import { STATE_FILES } from '../../../agent/state/names.js';

/** A notifier that records instead of showing: the real one is tested against dunst in notify-send.test.ts. */
function recorder(failing = false): Notifier & { shown: DesktopNotification[] } {
  const shown: DesktopNotification[] = [];
  return {
    shown,
    async notify(n) {
      if (failing) throw new Error('no notification daemon');
      shown.push(n);
    },
  };
}

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'appwacht-notify-svc-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const T = Date.parse('2026-02-10T08:00:00Z');
const at = (minutes: number) => new Date(T + minutes * 60_000);
const wa = evaluation([finding('whatsapp', { name: 'WhatsApp' })]);

describe('NotificationService', () => {
  it('20 scans in a row with the same violation: one notification; a day later one reminder', async () => {
    const dir = await stateDir();
    const notifier = recorder();
    const service = new NotificationService({ stateDir: dir, notifier, lang: () => 'en' });
    for (let i = 0; i < 20; i++) await service.onEvaluation(wa, policy(), at(i));
    assert.equal(notifier.shown.length, 1);
    assert.equal(notifier.shown[0]!.title, 'App not allowed on your work device: WhatsApp');
    await service.onEvaluation(wa, policy(), at(24 * 60 + 1));
    assert.equal(notifier.shown.length, 2);
    assert.match(notifier.shown[1]!.title, /^Reminder:/);
    await service.onEvaluation(COMPLIANT, policy(), at(25 * 60));
    assert.equal(notifier.shown.length, 3);
    assert.equal(notifier.shown[2]!.urgency, 'low');
  });

  it('remembers across a restart: a new process does not repeat the notification', async () => {
    const dir = await stateDir();
    const first = recorder();
    await new NotificationService({ stateDir: dir, notifier: first, lang: () => 'de' }).onEvaluation(wa, policy(), at(0));
    const second = recorder();
    const restarted = new NotificationService({ stateDir: dir, notifier: second, lang: () => 'de' });
    for (let i = 1; i < 20; i++) await restarted.onEvaluation(wa, policy(), at(i));
    assert.equal(first.shown.length, 1);
    assert.equal(second.shown.length, 0);
    const saved = JSON.parse(await readFile(join(dir, STATE_FILES.notifications), 'utf8'));
    assert.equal(saved.shown.status, 'violation');
  });

  it('follows a language switch at the next notification', async () => {
    const dir = await stateDir();
    const notifier = recorder();
    let lang: 'de' | 'en' = 'de';
    const service = new NotificationService({ stateDir: dir, notifier, lang: () => lang });
    await service.onEvaluation(wa, policy(), at(0));
    lang = 'en';
    await service.onEvaluation(evaluation([finding('whatsapp'), finding('snapchat')]), policy(), at(30));
    assert.match(notifier.shown[0]!.title, /^Nicht erlaubte App/);
    assert.match(notifier.shown[1]!.title, /^App not allowed/);
  });

  it('a broken notifier is retried after the gap, not on every scan, and says so', async () => {
    const dir = await stateDir();
    const log = memoryLogger();
    const service = new NotificationService({ stateDir: dir, notifier: recorder(true), lang: () => 'en', log });
    const outcomes = [];
    for (let i = 0; i < 30; i++) outcomes.push(await service.onEvaluation(wa, policy(), at(i)));
    const attempts = outcomes.filter((o) => o.shown === false && o.reason === 'failed').length;
    assert.equal(attempts, 3, 'minutes 0, 10 and 20');
    assert.equal(log.lines.filter((l) => l.msg === 'could not show a notification; will try again later').length, 3);
  });

  it('a corrupt memory file is moved aside and the service goes on', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, STATE_FILES.notifications), '{"v":1,"shown":');
    const log = memoryLogger();
    const notifier = recorder();
    const service = new NotificationService({ stateDir: dir, notifier, lang: () => 'en', log });
    assert.deepEqual(await service.onEvaluation(wa, policy(), at(0)), { shown: 'change' });
    assert.ok((await readdir(dir)).some((n) => n.startsWith(`${STATE_FILES.notifications}.corrupt-`)));
    assert.ok(log.lines.some((l) => l.msg === 'notification memory was corrupt; moved aside'));
  });

  it('on a full disk it still does not repeat itself within this run, and says so', async (t) => {
    const dir = await stateDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      return t.skip(`cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`);
    }
    try {
      await writeFile(join(dir, 'filler'), Buffer.alloc(4096)).catch(() => {});
      const log = memoryLogger();
      const notifier = recorder();
      const service = new NotificationService({ stateDir: dir, notifier, lang: () => 'en', log });
      for (let i = 0; i < 20; i++) await service.onEvaluation(wa, policy(), at(i));
      assert.equal(notifier.shown.length, 1);
      const warn = log.lines.find((l) => l.msg === 'cannot save notification memory');
      assert.equal((warn?.error as { code?: string } | undefined)?.code, 'DISK_FULL');
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../../../agent/log.js';
import { createNotifySend } from '../../../agent/notify/notify-send.js';
import { NotifyError } from '../../../agent/notify/port.js';
import { NotificationService } from '../../../agent/notify/service.js';
import { evaluation, finding, policy } from '../../helpers/sample-reports.js';
import { startNotificationDaemon, type NotificationDaemon } from '../../helpers/notification-daemon.js';

/**
 * Real notifications: notify-send → D-Bus → dunst on an Xvfb display, read back with dunstctl. notify-send runs with
 * this process's environment, so the daemon's DISPLAY and bus address are put into process.env for the duration of
 * this file (each test file runs in its own process).
 */
let daemon: NotificationDaemon | undefined;
let skipReason = '';
const savedEnv = { DISPLAY: process.env.DISPLAY, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS };
const dirs: string[] = [];

before(async () => {
  const started = await startNotificationDaemon();
  if ('skip' in started) skipReason = started.skip;
  else {
    daemon = started;
    Object.assign(process.env, daemon.env);
  }
});
after(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await daemon?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('notify-send on Linux (→ dunst)', () => {
  it('posts a real notification that the daemon shows with title, body, sender and urgency', async (t) => {
    if (!daemon) return t.skip(skipReason);
    const before = await daemon.count();
    await createNotifySend().notify({
      title: 'Nicht erlaubte App auf Ihrem Dienstgerät: WhatsApp',
      body: 'Bitte deinstallieren Sie die App bis zum 1. März 2026.\nFragen? IT-Service: it@musterstadt.example',
      urgency: 'critical',
    });
    assert.equal(await daemon.count(), before + 1);
    const shown = (await daemon.history()).at(-1)!;
    assert.equal(shown.summary, 'Nicht erlaubte App auf Ihrem Dienstgerät: WhatsApp');
    assert.equal(
      shown.body,
      'Bitte deinstallieren Sie die App bis zum 1. März 2026.\nFragen? IT-Service: it@musterstadt.example',
    );
    assert.equal(shown.appname, 'Appwacht');
    assert.equal(shown.urgency, 'CRITICAL');
  });

  it('passes hostile app names through verbatim and runs nothing', async (t) => {
    if (!daemon) return t.skip(skipReason);
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-notify-'));
    dirs.push(dir);
    const marker = join(dir, 'pwned');
    const evil = `Whats"App $(touch ${marker}) \`touch ${marker}\` '; touch ${marker}; echo ' \\ $HOME <b>bold</b> & ${'$'}{IFS}`;
    await createNotifySend().notify({ title: evil, body: `body ${evil}\nline 2`, urgency: 'normal' });
    const shown = (await daemon.history()).at(-1)!;
    assert.equal(shown.summary, evil);
    assert.equal(unescape(shown.body), `body ${evil}\nline 2`, 'markup is escaped, not interpreted');
    assert.equal(shown.urgency, 'NORMAL');
    assert.equal(existsSync(marker), false, 'no command ran');
  });

  it('shows a title that looks like an option as text', async (t) => {
    if (!daemon) return t.skip(skipReason);
    await createNotifySend().notify({ title: '--version', body: '-u low', urgency: 'normal' });
    const shown = (await daemon.history()).at(-1)!;
    assert.equal(shown.summary, '--version');
    assert.equal(shown.body, '-u low');
    assert.equal(shown.urgency, 'NORMAL');
  });

  it('rejects with NotifyError when no notification daemon can be reached', async (t) => {
    if (!daemon) return t.skip(skipReason);
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/appwacht-bus';
    try {
      await assert.rejects(
        createNotifySend().notify({ title: 't', body: 'b', urgency: 'low' }),
        (e: unknown) => e instanceof NotifyError && e.code === 'NOTIFY_FAILED',
      );
    } finally {
      process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });

  it('20 scans in a row with the same violation show one notification, and a restart shows none', async (t) => {
    if (!daemon) return t.skip(skipReason);
    const stateDir = await mkdtemp(join(tmpdir(), 'appwacht-notify-state-'));
    dirs.push(stateDir);
    const notifier = createNotifySend();
    const violation = evaluation([finding('whatsapp', { name: 'WhatsApp' })]);
    const start = await daemon.count();
    const t0 = Date.parse('2026-02-10T08:00:00Z');

    const service = new NotificationService({ stateDir, notifier, lang: () => 'de', log: memoryLogger() });
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push(await service.onEvaluation(violation, policy(), new Date(t0 + i * 60_000)));
    assert.equal(await daemon.count(), start + 1, 'one notification on the daemon, not 20');
    assert.deepEqual(outcomes[0], { shown: 'change' });
    assert.ok(outcomes.slice(1).every((o) => o.shown === false));

    // The agent restarts (new process, same state folder): it remembers and stays quiet.
    const restarted = new NotificationService({ stateDir, notifier, lang: () => 'de' });
    for (let i = 20; i < 40; i++) await restarted.onEvaluation(violation, policy(), new Date(t0 + i * 60_000));
    assert.equal(await daemon.count(), start + 1);

    const shown = (await daemon.history()).at(-1)!;
    assert.equal(shown.summary, 'Nicht erlaubte App auf Ihrem Dienstgerät: WhatsApp');
    assert.match(shown.body, /Bitte deinstallieren Sie die App bis zum 1\. März 2026\./);
  });
});

/** A folder with a stand-in notify-send, put first on PATH for one test: a helper that hangs, or none at all. */
async function withNotifySend(script: string | undefined, run: () => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'appwacht-notify-bin-'));
  dirs.push(dir);
  if (script !== undefined) {
    await writeFile(join(dir, 'notify-send'), `#!/bin/sh\n${script}\n`);
    await chmod(join(dir, 'notify-send'), 0o755);
  }
  const saved = process.env.PATH;
  process.env.PATH = script === undefined ? dir : `${dir}:${saved}`;
  try {
    await run();
  } finally {
    process.env.PATH = saved;
  }
}

describe('notify-send when it is missing, hangs or fails (stand-ins on PATH: no daemon needed)', () => {
  it('says that notify-send is not installed', () =>
    withNotifySend(undefined, () =>
      assert.rejects(
        createNotifySend().notify({ title: 't', body: 'b', urgency: 'low' }),
        (e: unknown) => e instanceof NotifyError && e.code === 'NOTIFY_FAILED' && /not installed.*libnotify/.test(e.message),
      ),
    ));

  it('gives up on a helper that hangs, and ends it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-notify-pid-'));
    dirs.push(dir);
    const pidFile = join(dir, 'pid');
    await withNotifySend(`echo $$ > ${pidFile}; exec sleep 30`, async () => {
      const t0 = Date.now();
      await assert.rejects(
        createNotifySend({ giveUpAfterMs: 300 }).notify({ title: 't', body: 'b', urgency: 'low' }),
        (e: unknown) => e instanceof NotifyError && e.code === 'NOTIFY_TIMEOUT',
      );
      assert.ok(Date.now() - t0 < 5_000, 'rejected at the bound, not when the helper would have ended');
    });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the hung helper was killed');
  });

  it('passes on what a failing helper said', () =>
    withNotifySend('echo "Cannot connect to the bus" >&2; exit 1', () =>
      assert.rejects(
        createNotifySend().notify({ title: 't', body: 'b', urgency: 'low' }),
        (e: unknown) =>
          e instanceof NotifyError && e.code === 'NOTIFY_FAILED' && /exited with 1: Cannot connect to the bus/.test(e.message),
      ),
    ));

  it('hands the helper its arguments as they are, with the options before "--"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-notify-args-'));
    dirs.push(dir);
    const argsFile = join(dir, 'args');
    await withNotifySend(`for a in "$@"; do printf '%s\\0' "$a"; done > ${argsFile}`, () =>
      createNotifySend({ icon: '/opt/appwacht/icon.png', timeoutSec: 7 }).notify({
        title: 'Tab\there, bell\u0007 gone',
        body: 'a\\b <i>\nline 2',
        urgency: 'normal',
      }),
    );
    const args = (await readFile(argsFile, 'utf8')).split('\0').slice(0, -1);
    assert.deepEqual(args, [
      '--app-name=Appwacht',
      '--urgency=normal',
      '--expire-time=7000',
      '--icon=/opt/appwacht/icon.png',
      '--',
      'Tab\there, bell gone',
      'a\\\\b &lt;i&gt;\nline 2',
    ]);
  });
});

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real notification daemon for tests: Xvfb (an X server without a screen) + a private D-Bus session bus + dunst.
 * Anything that calls notify-send with `env` reaches this dunst and nothing else; `history()` reads back what it showed.
 *
 * CI needs the Debian/Ubuntu packages: xvfb dbus-x11 dunst libnotify-bin
 * (dbus-x11 brings dbus-daemon and dbus-send; libnotify-bin brings notify-send; dunst brings dunstctl).
 * Without them `startNotificationDaemon()` returns `{ skip }` with a message saying what is missing.
 */

export const NOTIFICATION_PACKAGES = ['xvfb', 'dbus-x11', 'dunst', 'libnotify-bin'];
const TOOLS = ['Xvfb', 'dbus-daemon', 'dbus-send', 'dunst', 'dunstctl', 'notify-send'];

export interface ShownNotification {
  id: number;
  appname: string;
  summary: string;
  body: string;
  /** From dunst's per-notification script (dunstctl history does not carry it): LOW, NORMAL or CRITICAL. */
  urgency?: string;
}

export interface NotificationDaemon {
  /** DISPLAY and DBUS_SESSION_BUS_ADDRESS of this daemon: give them to whatever posts notifications. */
  env: { DISPLAY: string; DBUS_SESSION_BUS_ADDRESS: string };
  /** How many notifications dunst has received so far (displayed + waiting + history). */
  count(): Promise<number>;
  /** Everything received so far, oldest first (closes the displayed ones so that dunst moves them to its history). */
  history(): Promise<ShownNotification[]>;
  stop(): Promise<void>;
}

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 5000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout),
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function firstLine(stream: NodeJS.ReadableStream, what: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms`)), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    stream.on('end', () => reject(new Error(`${what} exited before it was ready`)));
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(2000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function startNotificationDaemon(): Promise<NotificationDaemon | { skip: string }> {
  if (process.platform !== 'linux') return { skip: 'the dunst notification test runs on Linux only' };
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0)
    return { skip: `missing ${missing.join(', ')}: install the apt packages ${NOTIFICATION_PACKAGES.join(' ')}` };

  const dir = await mkdtemp(join(tmpdir(), 'appwacht-notifyd-'));
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const c of children.reverse()) await stopChild(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Xvfb picks a free display itself and writes its number to fd 3: parallel test files never collide.
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '800x600x24'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    children.push(xvfb);
    const display = `:${await firstLine(xvfb.stdio[3] as NodeJS.ReadableStream, 'Xvfb')}`;

    // A private bus without service activation, so no other notification daemon can be auto-started on it.
    const busConfig = join(dir, 'bus.conf');
    await writeFile(
      busConfig,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const bus = spawn('dbus-daemon', [`--config-file=${busConfig}`, '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(bus);
    const address = await firstLine(bus.stdout!, 'dbus-daemon');
    const env = { DISPLAY: display, DBUS_SESSION_BUS_ADDRESS: address };

    // dunst runs a script per notification; the script records the urgency, which dunstctl history lacks.
    const urgencyLog = join(dir, 'urgency.log');
    const script = join(dir, 'record.sh');
    await writeFile(script, `#!/bin/sh\nprintf '%s\\t%s\\n' "$DUNST_ID" "$DUNST_URGENCY" >> '${urgencyLog}'\n`);
    await chmod(script, 0o700);
    const dunstrc = join(dir, 'dunstrc');
    await writeFile(
      dunstrc,
      `[global]\n    notification_limit = 0\n    sticky_history = yes\n    history_length = 100\n\n[record]\n    appname = "*"\n    script = ${script}\n`,
    );
    const dunst = spawn('dunst', ['-config', dunstrc], { env: { ...process.env, ...env }, stdio: 'ignore' });
    children.push(dunst);
    for (let i = 0; ; i++) {
      const reply = await run(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:org.freedesktop.Notifications',
        ],
        env,
      ).catch(() => '');
      if (/boolean true/.test(reply)) break;
      if (i > 100 || dunst.exitCode !== null) throw new Error('dunst did not take the notification bus name');
      await sleep(50);
    }

    const counts = async () => {
      const out = await run('dunstctl', ['count'], env);
      const n = (label: string) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(out)?.[1] ?? 0);
      return { waiting: n('Waiting'), displayed: n('Currently displayed'), history: n('History') };
    };

    return {
      env,
      async count() {
        const c = await counts();
        return c.waiting + c.displayed + c.history;
      },
      async history() {
        // Closed notifications move to the history; waiting ones are displayed (and closed) in later rounds.
        for (let i = 0; i < 50; i++) {
          const c = await counts();
          if (c.displayed + c.waiting === 0) break;
          await run('dunstctl', ['close-all'], env);
          await sleep(30);
        }
        const json = JSON.parse(await run('dunstctl', ['history'], env)) as {
          data: Record<string, { data: unknown }>[][];
        };
        const urgencies = new Map(
          (await readFile(urgencyLog, 'utf8').catch(() => ''))
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split('\t') as [string, string]),
        );
        return (json.data[0] ?? [])
          .map((n) => ({
            id: n.id!.data as number,
            appname: n.appname!.data as string,
            summary: n.summary!.data as string,
            body: n.body!.data as string,
            urgency: urgencies.get(String(n.id!.data)),
          }))
          .sort((a, b) => a.id - b.id);
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    return { skip: `could not start Xvfb + dbus + dunst: ${(err as Error).message}` };
  }
}

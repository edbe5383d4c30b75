/**
 * The tray app's main process (app/main/start.ts) wired to the REAL tray channel of a machine agent (agent/channel/
 * server.ts on a real Unix socket in a temp folder, with the file-claim peer proof) and to stand-ins for Electron.
 *
 * What stands in for Electron, and why: Electron cannot run here (no binary; test/app/electron-e2e.test.ts runs the real
 * app where one exists). The stand-ins below are plain objects of the shapes start.ts uses — app (events, paths,
 * single-instance lock), Tray/Menu/nativeImage (record icon, tooltip, menu), BrowserWindow (records its options and what
 * main sends), ipcMain (keeps the handlers so the test can invoke them as a renderer would, with a sender of its
 * choosing), protocol (keeps the handler, which gets real Request objects), session, shell, Notification, powerMonitor,
 * net. They record; they decide nothing — every decision is main's code under test.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTrayChannel, type TrayChannel } from '../../agent/channel/server.js';
import { silentLogger } from '../../agent/log.js';
import { IPC } from '../../app/shared/ipc.js';
import type { AppState, LastReportView } from '../../app/shared/bridge.js';
import type { LadderView } from '../../protocol/index.js';
import { keepDelivered } from '../../agent/report/last-delivered.js';
import { report } from '../helpers/sample-reports.js';
import { registerScheme, startTray, type ElectronPorts, type TrayApp } from '../../app/main/start.js';
import { CSP } from '../../app/main/window.js';

const FUTURE = '2099-10-01T00:00:00+02:00';
const AGENT_STATE = {
  agent: { pid: 1, agentVersion: '0.1.0', startedAt: '2026-09-20T08:00:00Z' },
  server: 'https://appwacht.intranet.example',
  enrollment: { enrolled: true, deviceId: '3f2a1c9e-0000-4000-8000-000000000001' },
  policy: { version: 3, origin: 'server', expired: false, organization: 'Stadt Musterstadt' },
};
const view = (findings: unknown[]) => ({
  format: 'appwacht-tray-view',
  at: new Date().toISOString(),
  policyExpiresAt: null,
  support: { email: 'it@stadt.example', phone: '+49 30 1234-56', url: 'https://it.stadt.example/hilfe' },
  message: { de: 'Bitte entfernen.', en: 'Please remove.' },
  gaps: [],
  findings,
});
const WHATSAPP = {
  appId: 'whatsapp',
  name: 'WhatsApp',
  action: 'ban',
  deadline: FUTURE,
  installs: [{ source: 'flatpak', scope: 'machine', name: 'WhatsApp', location: '/var/lib/flatpak/app/io.wa' }],
  processes: [],
};

/** Records what main does with Electron. */
function standIns(home: string) {
  const rec = {
    trays: [] as { image: string; tooltip: string; menu: unknown[]; events: EventEmitter }[],
    windows: [] as { options: Record<string, unknown>; url?: string; sent: [string, unknown][] }[],
    handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
    protocols: new Map<string, (r: Request) => Promise<Response>>(),
    schemes: [] as unknown[],
    notifications: [] as { title: string; body: string }[],
    opened: [] as string[],
    permission: undefined as undefined | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
    online: true,
  };
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: () => true,
    quit: () => {},
    exit: () => {},
    whenReady: () => Promise.resolve(),
    getPath: (name: string) => join(home, name),
    getVersion: () => '0.1.0',
    isPackaged: false,
    setLoginItemSettings: () => assert.fail('a development run must not register a login item'),
  });
  class Tray extends EventEmitter {
    r: (typeof rec.trays)[number];
    constructor(image: { path: string }) {
      super();
      this.r = { image: image.path, tooltip: '', menu: [], events: this };
      rec.trays.push(this.r);
    }
    setImage(image: { path: string }) {
      this.r.image = image.path;
    }
    setToolTip(t: string) {
      this.r.tooltip = t;
    }
    setContextMenu(menu: unknown[]) {
      this.r.menu = menu;
    }
  }
  class BrowserWindow extends EventEmitter {
    r: (typeof rec.windows)[number];
    webContents: { id: number; send: (c: string, p: unknown) => void };
    constructor(options: Record<string, unknown>) {
      super();
      this.r = { options, sent: [] };
      rec.windows.push(this.r);
      this.webContents = { id: 7, send: (c, p) => this.r.sent.push([c, p]) };
    }
    loadURL(url: string) {
      this.r.url = url;
      return Promise.resolve();
    }
    show() {}
    hide() {}
    focus() {}
    restore() {}
    isMinimized = () => false;
    isDestroyed = () => false;
  }
  class Notification extends EventEmitter {
    static isSupported = () => true;
    constructor(private o: { title: string; body: string }) {
      super();
    }
    show() {
      rec.notifications.push(this.o);
      this.emit('show');
    }
  }
  const e = {
    app,
    Tray,
    BrowserWindow,
    Notification,
    Menu: { buildFromTemplate: (t: unknown[]) => t },
    nativeImage: { createFromPath: (path: string) => ({ path, setTemplateImage() {} }) },
    ipcMain: { handle: (c: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => rec.handlers.set(c, fn) },
    protocol: {
      handle: (s: string, fn: (r: Request) => Promise<Response>) => rec.protocols.set(s, fn),
      registerSchemesAsPrivileged: (s: unknown[]) => rec.schemes.push(...s),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof rec.permission) => (rec.permission = fn),
        setPermissionCheckHandler: () => {},
      },
    },
    shell: { openExternal: async (url: string) => void rec.opened.push(url) },
    powerMonitor: new EventEmitter(),
    net: { isOnline: () => rec.online, fetch: () => Promise.reject(new Error('no network in this test')) },
  };
  return { e: e as unknown as ElectronPorts, rec, app };
}

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('tray main process wired to a real machine-agent tray channel (Electron stood in)', () => {
  let dir: string;
  let stateDir: string;
  let channel: TrayChannel;
  let checks = 0;
  let tray: TrayApp;
  let s: ReturnType<typeof standIns>;
  const fromWindow = { sender: { id: 7 }, senderFrame: { url: 'appwacht://status/index.html', parent: null } };
  const invoke = (channelName: string, event: unknown, ...args: unknown[]) => s.rec.handlers.get(channelName)!(event, ...args);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aw-tray-main-'));
    stateDir = join(dir, 'state');
    await mkdir(stateDir, { mode: 0o700 });
    await writeFile(join(stateDir, 'agent-state.json'), JSON.stringify(AGENT_STATE));
    await writeFile(join(stateDir, 'tray-view.json'), JSON.stringify(view([WHATSAPP])));
    channel = await startTrayChannel({
      dir: join(dir, 'channel'),
      stateDir,
      log: silentLogger,
      requestCheck: () => void checks++,
      checkIntervalMs: 0,
    });
    await mkdir(join(dir, 'dist', 'renderer'), { recursive: true });
    await writeFile(join(dir, 'dist', 'renderer', 'index.html'), '<!doctype html><title>x</title>');
    s = standIns(join(dir, 'home'));
    registerScheme(s.e);
    const started = await startTray(s.e, {
      distDir: join(dir, 'dist'),
      iconDir: '/icons',
      env: { APPWACHT_CHANNEL_DIR: join(dir, 'channel'), LANG: 'en_GB.UTF-8' },
      platform: 'linux',
      idlePollMs: 200,
      checkPollMs: 100,
    });
    assert.ok(started);
    tray = started;
  });
  after(async () => {
    await tray?.stop();
    await channel?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the banned app in the tray: icon, tooltip, menu — as a client of the machine agent', () => {
    assert.equal(tray.link.mode, 'machine');
    const t = s.rec.trays[0]!;
    assert.equal(t.image, '/icons/banned-24.png');
    assert.equal(t.tooltip, 'Appwacht – Not allowed: WhatsApp – remove by 1 October 2099');
    const labels = (t.menu as { label?: string }[]).map((m) => m.label).filter(Boolean);
    assert.deepEqual(labels.slice(0, 4), [
      'Not allowed: WhatsApp – remove by 1 October 2099',
      'Check now',
      'Open status…',
      'What is reported…',
    ]);
    assert.equal(labels.at(-1), 'Quit', 'machine mode: quitting the tray stops no reporting');
  });

  it('registers its scheme as standard+secure and denies every permission request', () => {
    assert.deepEqual(s.rec.schemes, [{ scheme: 'appwacht', privileges: { standard: true, secure: true } }]);
    let granted: boolean | undefined;
    s.rec.permission!({}, 'media', (ok) => (granted = ok));
    assert.equal(granted, false);
  });

  it('opens the status window locked down, from its own scheme', () => {
    const click = (s.rec.trays[0]!.menu as { label?: string; click?: () => void }[]).find((m) => m.label === 'Open status…')!;
    click.click!();
    const w = s.rec.windows[0]!;
    assert.equal(w.url, 'appwacht://status/index.html');
    const reported = (s.rec.trays[0]!.menu as { label?: string; click?: () => void }[]).find(
      (m) => m.label === 'What is reported…',
    )!;
    reported.click!();
    assert.equal(w.url, 'appwacht://status/index.html#reported', 'the same window, at its "What is reported" section');
    assert.deepEqual(
      Object.fromEntries(
        ['contextIsolation', 'sandbox', 'nodeIntegration', 'webSecurity', 'webviewTag'].map((k) => [
          k,
          (w.options.webPreferences as Record<string, unknown>)[k],
        ]),
      ),
      { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false },
    );
    assert.match(String((w.options.webPreferences as { preload: string }).preload), /dist\/preload\.cjs$/);
  });

  it('answers the window’s IPC with the state, and refuses unknown senders and bad arguments', async () => {
    const state = (await invoke(IPC.getState, fromWindow)) as AppState;
    assert.equal(state.condition, 'banned');
    assert.equal(state.lastCheck?.findings[0]?.installs[0]?.source, 'flatpak');
    assert.equal(state.support?.email, 'it@stadt.example');
    assert.equal(state.device.id, AGENT_STATE.enrollment.deviceId);
    const strangers = [
      { sender: { id: 8 }, senderFrame: fromWindow.senderFrame }, // another web contents
      { sender: { id: 7 }, senderFrame: { url: 'https://evil.example/', parent: null } }, // navigated away
      { sender: { id: 7 }, senderFrame: { url: 'appwacht://status/index.html', parent: {} } }, // a sub-frame
      { sender: { id: 7 }, senderFrame: null }, // frame gone
    ];
    for (const event of strangers) await assert.rejects(invoke(IPC.getState, event), /refused/);
    await assert.rejects(invoke(IPC.getState, fromWindow, 'extra'), /bad arguments/);
    await assert.rejects(invoke(IPC.setLanguage, fromWindow, 'fr'), /de or en/);
    await assert.rejects(invoke(IPC.setLanguage, fromWindow, { toString: () => 'de' }), /de or en/);
    await assert.rejects(invoke(IPC.openContact, fromWindow, 'file:///etc/passwd'), /contact kind/);
  });

  it('gives the window the last delivered report and the ladder the agent kept (blocked: the tray says so)', async () => {
    assert.equal(await invoke(IPC.getLastReport, fromWindow), null, 'nothing delivered yet');
    const sent = report();
    const deliveredAt = new Date().toISOString();
    const ladder = { step: 'blocked', reason: 'violation', enforced: true, blockedAt: deliveredAt };
    await keepDelivered(
      stateDir,
      sent,
      { reportId: sent.reportId, stored: true, ladder: ladder as LadderView },
      new Date(deliveredAt),
    );
    const last = (await invoke(IPC.getLastReport, fromWindow)) as LastReportView;
    assert.equal(JSON.stringify(last.report), JSON.stringify(sent));
    assert.equal(last.deliveredAt, deliveredAt);
    assert.deepEqual(last.queue, { count: 0, oldestAt: null });
    await tray.refresh();
    const state = (await invoke(IPC.getState, fromWindow)) as AppState;
    assert.deepEqual(state.ladder, { view: ladder, receivedAt: deliveredAt });
    assert.equal(state.condition, 'blocked');
    assert.equal(s.rec.trays[0]!.image, '/icons/overdue-24.png', 'blocked shares the overdue glyph');
    await rm(join(stateDir, 'ladder.json'));
    await tray.refresh();
  });

  it('opens only the policy’s own contacts', async () => {
    await invoke(IPC.openContact, fromWindow, 'url');
    await invoke(IPC.openContact, fromWindow, 'email');
    await invoke(IPC.openContact, fromWindow, 'phone');
    assert.deepEqual(s.rec.opened, ['https://it.stadt.example/hilfe', 'mailto:it@stadt.example', 'tel:+4930123456']);
  });

  it('serves the renderer with a strict CSP and nothing outside its folder', async () => {
    const handler = s.rec.protocols.get('appwacht')!;
    const ok = await handler(new Request('appwacht://status/index.html'));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-security-policy'), CSP);
    assert.match(CSP, /script-src 'self'/);
    assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval/);
    for (const bad of [
      'appwacht://status/..%2f..%2fagent-state.json',
      'appwacht://status/%2e%2e/x.html',
      'appwacht://other/index.html',
      'appwacht://status/missing.js',
    ])
      assert.equal((await handler(new Request(bad))).status, 404, bad);
    assert.equal((await handler(new Request('appwacht://status/index.html', { method: 'POST', body: 'x' }))).status, 404);
  });

  it('denies navigation and new windows in every web contents', () => {
    const contents = Object.assign(new EventEmitter(), {
      openHandler: undefined as undefined | ((d: { url: string }) => unknown),
      setWindowOpenHandler(fn: (d: { url: string }) => unknown) {
        this.openHandler = fn;
      },
    });
    s.app.emit('web-contents-created', {}, contents);
    assert.deepEqual(contents.openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
    let prevented = 0;
    contents.emit('will-navigate', { preventDefault: () => prevented++ }, 'https://evil.example/');
    contents.emit('will-navigate', { preventDefault: () => prevented++ }, 'file:///etc/passwd');
    contents.emit('will-navigate', { preventDefault: () => prevented++ }, 'appwacht://status/index.html'); // a reload
    assert.equal(prevented, 2);
  });

  it('the employee removes the app, asks Check now: the window and tray turn compliant and say thanks', async () => {
    const w = s.rec.windows[0]!;
    await writeFile(
      join(stateDir, 'tray-view.json'),
      JSON.stringify({ ...view([]), at: new Date(Date.now() + 1000).toISOString() }),
    );
    const before = checks;
    assert.deepEqual(await invoke(IPC.checkNow, fromWindow), { outcome: 'accepted' });
    assert.equal(checks, before + 1, 'the machine agent was asked for a check');
    await until('the tray turns compliant', () => s.rec.trays[0]!.image === '/icons/compliant-24.png');
    assert.equal(s.rec.trays[0]!.tooltip, 'Appwacht – All good');
    await until('the window is told', () =>
      w.sent.some(([c, p]) => c === IPC.stateChanged && (p as AppState).condition === 'compliant'),
    );
    assert.deepEqual(s.rec.notifications.at(-1), {
      title: 'Thank you – no banned apps found any more',
      body: 'Your work device meets the rules again.',
      urgency: 'low',
      timeoutType: 'default',
      icon: '/icons/compliant@2x.png',
    });
  });

  it('drops a read that finished after a newer one: no flash back to the old condition, no second notification', async () => {
    // Refreshes overlap (the poll, Check now); a slow read of the old state must not undo what a newer read showed.
    // Reproduces a CI failure under load: the tray went back to "banned app" and notified it again after the thanks.
    const link = tray.link as { read: TrayApp['link']['read'] };
    const realRead = link.read.bind(link);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let readsHeld = 0;
    link.read = async () => {
      const answer = await realRead();
      if (readsHeld++ === 0) await held; // the first read after this point is the slow one
      return answer;
    };
    try {
      const slow = tray.refresh(); // reads "compliant", then waits
      await until('the slow read is under way', () => readsHeld > 0);
      await writeFile(
        join(stateDir, 'tray-view.json'),
        JSON.stringify({ ...view([WHATSAPP]), at: new Date(Date.now() + 2000).toISOString() }),
      );
      await until('a newer read shows the banned app', () => s.rec.trays[0]!.image !== '/icons/compliant-24.png');
      const shown = s.rec.trays[0]!.image;
      const notified = s.rec.notifications.length;
      assert.equal(s.rec.notifications.at(-1)?.title, 'Appwacht: action needed');
      release();
      await slow;
      assert.equal(s.rec.trays[0]!.image, shown, 'the stale read did not redraw the tray');
      assert.equal(s.rec.notifications.length, notified, 'the stale read notified nothing');
    } finally {
      release();
      link.read = realRead;
    }
    await writeFile(
      join(stateDir, 'tray-view.json'),
      JSON.stringify({ ...view([]), at: new Date(Date.now() + 3000).toISOString() }),
    );
    await until('compliant again', () => s.rec.trays[0]!.image === '/icons/compliant-24.png');
  });

  it('switches the language for tray and window, and remembers it', async () => {
    await invoke(IPC.setLanguage, fromWindow, 'de');
    assert.equal(s.rec.trays[0]!.tooltip, 'Appwacht – Alles in Ordnung');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'home', 'userData', 'tray-settings.json'), 'utf8')), { lang: 'de' });
    assert.equal(((await invoke(IPC.getState, fromWindow)) as AppState).lang, 'de');
  });

  it('asks for a check on resume from sleep', async () => {
    const before = checks;
    s.e.powerMonitor.emit('resume');
    await until('a check asked for on resume', () => checks > before);
  });

  it('shows offline when the machine agent goes away, and keeps running', async () => {
    await channel.close();
    await until('the tray shows the agent unreachable', () => s.rec.trays[0]!.image === '/icons/unknown-24.png');
    assert.equal(s.rec.trays[0]!.tooltip, 'Appwacht – Appwacht-Dienst nicht erreichbar');
    const state = (await invoke(IPC.getState, fromWindow)) as AppState;
    assert.equal(state.condition, 'offline');
    assert.match(state.server.lastError ?? '', /machine agent/);
    assert.equal(((await invoke(IPC.checkNow, fromWindow)) as { outcome: string }).outcome, 'unavailable');
  });
});

/**
 * The tray app's main process, wired in order: single instance → hardening → log → agent link → tray → window → IPC →
 * refresh (timer, resume, network back) → autostart. Electron comes in as a parameter (main.ts passes the real module;
 * test/app/main-wiring.test.ts passes stand-ins), so this wiring is tested under plain Node.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as Electron from 'electron';
import type { Lang } from '../../protocol/index.js';
import { defaultChannelDir } from '../../agent/channel/server.js';
import { SOCKET_NAME, type StateMessage } from '../../agent/channel/messages.js';
import { detectLang } from '../../agent/i18n.js';
import { currentOs } from '../../agent/inventory/current-os.js';
import { createLogger, type Logger } from '../../agent/log.js';
import type { AppState, CheckNowResult } from '../shared/bridge.js';
import { IPC } from '../shared/ipc.js';
import { machineLink, type AgentLink } from './agent-link.js';
import { buildAppState, buildLastReport } from './app-state.js';
import { setupAutostart } from './autostart.js';
import { contactUrl } from './contacts.js';
import { hostFactsCache, type SystemInformation } from './hardware.js';
import { setupIpc } from './ipc.js';
import { rotatingFileSink } from './log-file.js';
import { electronNotifier } from './ports.js';
import { setupTray } from './tray.js';
import { chooseCondition, menuModel, quitAllowed, tooltip, trayIcon, type MenuAction } from './tray-model.js';
import { factsFromState, unreachableFacts } from './facts.js';
import { changeNotification } from './notify.js';
import { denyPermissions, hardenContents, rendererHandler, setupStatusWindow, STATUS_SCHEME } from './window.js';

export type ElectronPorts = Pick<
  typeof Electron,
  | 'app'
  | 'BrowserWindow'
  | 'ipcMain'
  | 'Menu'
  | 'nativeImage'
  | 'Notification'
  | 'powerMonitor'
  | 'protocol'
  | 'session'
  | 'shell'
  | 'Tray'
  | 'net'
>;

export interface StartOptions {
  /** dist/app/ (preload.cjs, renderer/) and assets/tray/. */
  distDir: string;
  iconDir: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** How often the state is read while nothing happens, and while a check asked for is awaited. */
  idlePollMs?: number;
  checkPollMs?: number;
  /** Per-user mode's hosted agent (user-agent.ts); absent: machine mode only (the tray then shows offline). */
  userLink?: (log: Logger) => Promise<AgentLink>;
  systemInformation?: () => Promise<SystemInformation>;
  now?: () => Date;
}

export interface TrayApp {
  refresh(): Promise<AppState>;
  /** What the tray shows now (the e2e test reads it: a tray icon cannot be inspected from outside). */
  view(): { icon: string; tooltip: string };
  openStatus(): void;
  readonly link: AgentLink;
  stop(): Promise<void>;
}

/** Call before app 'ready' (Electron requires it): the window's own scheme is standard and secure. */
export function registerScheme(e: Pick<ElectronPorts, 'protocol'>): void {
  e.protocol.registerSchemesAsPrivileged([{ scheme: STATUS_SCHEME, privileges: { standard: true, secure: true } }]);
}

export async function startTray(e: ElectronPorts, o: StartOptions): Promise<TrayApp | undefined> {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const now = o.now ?? (() => new Date());
  // One tray per account: a second start shows the first one's window and ends.
  if (!e.app.requestSingleInstanceLock()) {
    e.app.quit();
    return undefined;
  }
  const log = createLogger({
    level: 'info',
    sink: rotatingFileSink(join(e.app.getPath('logs'), 'appwacht-tray.log')),
    fields: { pid: process.pid, component: 'tray' },
  });
  e.app.on('web-contents-created', (_event, contents) => hardenContents(contents, log));
  await e.app.whenReady();
  denyPermissions(e.session.defaultSession);
  e.protocol.handle(STATUS_SCHEME, rendererHandler(join(o.distDir, 'renderer')));

  // Settings of this tray (the employee's language choice) in the app's own folder.
  const settingsFile = join(e.app.getPath('userData'), 'tray-settings.json');
  let lang: Lang = await readFile(settingsFile, 'utf8')
    .then((t) => (JSON.parse(t) as { lang?: unknown }).lang)
    .then((l) => (l === 'de' || l === 'en' ? l : detectLang(undefined, env, platform)))
    .catch(() => detectLang(undefined, env, platform));

  const link = await chooseLink(o, env, platform, log);
  log.info('tray started', { version: e.app.getVersion(), mode: link.mode });
  let hardwareCache: ReturnType<typeof hostFactsCache> | undefined;
  const hardware = o.systemInformation?.().then((si) => (hardwareCache = hostFactsCache(si)));

  let last: { state?: StateMessage; problem?: string } = {};
  let checking: { since: number; before: string | null } | undefined;
  let notBefore: number | null = null;
  let quitting = false;
  const appVersion = e.app.getVersion();

  const appState = (): AppState =>
    buildAppState({
      state: last.state,
      mode: link.mode,
      lang,
      os: currentOs(),
      now: now(),
      appVersion,
      check: {
        running: checking !== undefined,
        notBefore: notBefore && notBefore > now().getTime() ? new Date(notBefore).toISOString() : null,
      },
      hostFacts: hardwareCache?.current() ?? null,
      ...(last.problem ? { problem: last.problem } : {}),
    });

  const trayView = () => {
    const facts = last.state
      ? factsFromState(last.state, appVersion, link.mode)
      : { ...unreachableFacts(appVersion), mode: link.mode };
    const choice = chooseCondition(facts, now().getTime());
    return {
      choice,
      view: {
        icon: trayIcon(choice.condition),
        tooltip: tooltip(choice, lang),
        menu: menuModel(facts, choice, { lang, quitAllowed: quitAllowed(link.mode, false), checking: checking !== undefined }),
      },
    };
  };

  const window = setupStatusWindow({
    BrowserWindow: e.BrowserWindow,
    preload: join(o.distDir, 'preload.cjs'),
    title: () => 'Appwacht',
    quitting: () => quitting,
  });
  const notifier = electronNotifier(e.Notification, { icon: join(o.iconDir, 'compliant@2x.png') });
  let shownCondition = trayView().choice;

  const onAction = (id: MenuAction) => {
    if (id === 'check-now') void checkNow();
    else if (id === 'open-status') window.show();
    else if (id === 'what-is-reported') window.show('reported');
    else if (id === 'quit') {
      quitting = true;
      e.app.quit();
    }
  };
  const tray = setupTray(
    { Tray: e.Tray, Menu: e.Menu, nativeImage: e.nativeImage, platform, iconDir: o.iconDir },
    { action: onAction, language: (l) => void setLanguage(l) },
    trayView().view,
  );
  tray.tray.on('click', () => window.show());

  /**
   * Reads the agent's state, redraws tray and window, notifies on a change of condition. Refreshes overlap (the poll,
   * Check now, a language switch) and their reads can finish out of order: a read that started before one already shown
   * is stale and is dropped, or the tray would fall back to the old condition and notify it again.
   */
  let readsStarted = 0;
  let newestShown = 0;
  const refresh = async (): Promise<AppState> => {
    const read = ++readsStarted;
    const answer = await link.read();
    if (read < newestShown) return appState();
    newestShown = read;
    last = answer;
    if (checking && (last.state?.lastCheck?.at ?? null) !== checking.before) checking = undefined;
    if (checking && now().getTime() - checking.since > 120_000) checking = undefined; // never stuck on "checking"
    const { choice, view } = trayView();
    tray.show(view);
    const note = changeNotification(shownCondition, choice, lang);
    shownCondition = choice;
    // Per-user mode: the hosted agent notifies itself (its NotificationService, through the same Notification).
    if (note && link.mode === 'machine')
      notifier.notify(note).catch((err: unknown) => log.warn('could not show a notification', { error: err }));
    const state = appState();
    window.send(IPC.stateChanged, state);
    return state;
  };

  const checkNow = async (): Promise<CheckNowResult> => {
    const result = await link.checkNow();
    if (result.outcome === 'accepted') {
      checking = { since: now().getTime(), before: last.state?.lastCheck?.at ?? null };
      notBefore = null;
      schedule(o.checkPollMs ?? 1_000);
    } else if (result.outcome === 'rate-limited') notBefore = now().getTime() + result.retryAfterMs;
    await refresh().catch(() => {});
    return result;
  };

  const setLanguage = async (l: Lang) => {
    lang = l;
    await mkdir(dirname(settingsFile), { recursive: true })
      .then(() => writeFile(settingsFile, JSON.stringify({ lang }) + '\n', { mode: 0o600 }))
      .catch((err: unknown) => log.warn('language choice not saved', { error: err }));
    await refresh();
  };

  setupIpc(
    e.ipcMain,
    {
      getState: async () => appState(),
      checkNow,
      async getLastReport() {
        const { answer, problem } = await link.readLastReport();
        if (problem) log.warn('the last report could not be read from the agent', { problem });
        return buildLastReport(answer);
      },
      setLanguage,
      async openContact(kind) {
        const url = contactUrl(kind, last.state?.policy?.support ?? null);
        if (!url) return log.warn('contact not opened: the policy names no usable one', { kind });
        await e.shell.openExternal(url);
      },
    },
    { windowContentsId: () => window.contentsId(), log },
  );
  e.app.on('second-instance', () => window.show());
  // Closing the window does not quit: the tray stays (window.ts hides it). Only Quit (where allowed) ends the app.
  e.app.on('window-all-closed', () => {});
  e.app.on('before-quit', () => (quitting = true));

  // Polling: the channel has no push; a read is one small local message. Faster while a check is awaited.
  let timer: NodeJS.Timeout | undefined;
  let online = e.net.isOnline();
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref?.();
  };
  const tick = async () => {
    const wasOnline = online;
    online = e.net.isOnline();
    if (online && !wasOnline) {
      log.info('network back: asking for a check');
      await link.checkNow();
    }
    await refresh().catch((err: unknown) => log.warn('refresh failed', { error: err }));
    schedule(checking ? (o.checkPollMs ?? 1_000) : (o.idlePollMs ?? 15_000));
  };
  e.powerMonitor.on('resume', () => {
    log.info('resumed from sleep: asking for a check');
    void link.checkNow().then(() => refresh());
  });

  if (setupAutostart(e.app, platform)) log.info('start at login registered');
  void hardware?.then((h) => h.refresh());
  await refresh();
  schedule(o.idlePollMs ?? 15_000);

  return {
    refresh,
    link,
    view: () => trayView().view,
    openStatus: () => window.show(),
    async stop() {
      clearTimeout(timer);
      await link.close();
    },
  };
}

/**
 * Machine mode when the machine agent's tray channel is there (or IT set AgentMode=machine: then an absent channel is
 * shown as offline, never replaced by a weaker per-user agent); per-user mode otherwise, if this build can host one.
 */
async function chooseLink(o: StartOptions, env: NodeJS.ProcessEnv, platform: NodeJS.Platform, log: Logger): Promise<AgentLink> {
  const dir = defaultChannelDir(platform, env);
  const machine = machineLink(dir);
  const forced = env.APPWACHT_AGENT_MODE === 'machine';
  if (forced || platform === 'win32' || existsSync(join(dir, SOCKET_NAME))) {
    const first = await machine.read();
    if (!first.problem || forced || !o.userLink) return machine;
    log.warn('machine agent not reachable; hosting a per-user agent', { problem: first.problem });
  } else if (!o.userLink) return machine;
  await machine.close();
  return o.userLink(log);
}

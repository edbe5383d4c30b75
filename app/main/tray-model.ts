/**
 * Pure: what the tray shows for a state of the agent — which icon, the tooltip/status line, the menu. No electron here
 * (tray.ts turns the menu model into Electron's Menu), so every choice is tested under plain Node in both languages.
 */
import type { Lang, LadderView } from '../../protocol/index.js';
import type { Condition } from '../shared/bridge.js';
import { formatDate } from '../../agent/i18n.js';

/** The five tray glyphs in assets/tray/ (shape, not colour alone, tells them apart). */
export const TRAY_ICONS = ['compliant', 'banned', 'overdue', 'warning', 'unknown'] as const;
export type TrayIcon = (typeof TRAY_ICONS)[number];

/** What the tray knows, from either host (machine agent over the tray channel, or the in-process agent): facts.ts. */
export interface TrayFacts {
  /** false: the machine agent cannot be reached over the tray channel (service stopped or not installed). */
  reachable: boolean;
  /** How the agent runs: the machine service, or in this app for this account (per-user mode). */
  mode: 'machine' | 'user';
  /** The last check as it concerns this account; null before the first. */
  lastCheck: {
    at: string;
    status: 'compliant' | 'warning' | 'violation' | 'unknown';
    findings: { name: string; action: 'ban' | 'warn'; deadline: string }[];
  } | null;
  policy: { version: number; organization: string; expired: boolean } | null;
  /** Where the device stands on the server's ladder, when the server said so. */
  ladder?: Pick<LadderView, 'step'> | null;
  server: string | null;
  deviceId: string | null;
  appVersion: string;
}

export interface TrayChoice {
  /** The one word tray and window share (app/shared/bridge.ts). */
  condition: Condition;
  /** The earliest deadline of the banned apps found (ISO), if any. */
  deadline?: string;
  /** Names of the apps that make the condition (banned ones, or the warned ones). */
  apps: string[];
}

/**
 * Pure: the condition, the most urgent for the employee where several hold (bridge.ts's order): blocked > overdue >
 * banned > policy-problem > offline > warning > incomplete > unchecked > compliant. A found app comes first: an expired
 * policy is still enforced (the last good one), and an app the employee must remove must show.
 */
export function chooseCondition(f: TrayFacts, now: number): TrayChoice {
  const check = f.reachable ? f.lastCheck : null;
  const banned = check?.findings.filter((x) => x.action === 'ban') ?? [];
  if (banned.length) {
    const deadline = banned
      .map((x) => x.deadline)
      .filter((d) => !Number.isNaN(Date.parse(d)))
      .sort((a, b) => Date.parse(a) - Date.parse(b))[0];
    const apps = unique(banned.map((x) => x.name));
    const at = deadline ? { deadline } : {};
    if (f.ladder?.step === 'blocked') return { condition: 'blocked', apps, ...at };
    const past = deadline !== undefined && Date.parse(deadline) <= now;
    return { condition: past || f.ladder?.step === 'overdue' ? 'overdue' : 'banned', apps, ...at };
  }
  if (f.reachable && (!f.policy || f.policy.expired)) return { condition: 'policy-problem', apps: [] };
  if (!f.reachable) return { condition: 'offline', apps: [] };
  const warned = check?.findings.filter((x) => x.action === 'warn') ?? [];
  if (warned.length) return { condition: 'warning', apps: unique(warned.map((x) => x.name)) };
  if (check?.status === 'unknown') return { condition: 'incomplete', apps: [] };
  if (!check) return { condition: 'unchecked', apps: [] };
  return { condition: 'compliant', apps: [] };
}

/** Pure: the glyph of a condition. The four "cannot say" conditions share one (nothing the employee can act on). */
export function trayIcon(condition: Condition): TrayIcon {
  switch (condition) {
    case 'compliant':
    case 'warning':
    case 'banned':
      return condition;
    case 'overdue':
    case 'blocked':
      return 'overdue';
    case 'unchecked':
    case 'incomplete':
    case 'offline':
    case 'policy-problem':
      return 'unknown';
  }
}

const unique = (names: string[]) => [...new Set(names)];

/** "WhatsApp", "WhatsApp, Signal", "WhatsApp, Signal +2": the tray's line is short. */
function appsShort(apps: string[]): string {
  const clean = apps.map((a) => oneLine(a, 40));
  return clean.length <= 2 ? clean.join(', ') : `${clean.slice(0, 2).join(', ')} +${clean.length - 2}`;
}

/** App names come from the catalog or the admin's policy: shown as plain text on one line, bounded. */
function oneLine(text: string, max: number): string {
  const flat = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

const FIXED: Partial<Record<Condition, Record<Lang, string>>> = {
  compliant: { de: 'Alles in Ordnung', en: 'All good' },
  unchecked: { de: 'Noch nicht geprüft', en: 'Not checked yet' },
  offline: { de: 'Appwacht-Dienst nicht erreichbar', en: 'Appwacht service not reachable' },
  'policy-problem': { de: 'Richtlinie fehlt oder ist abgelaufen', en: 'Policy missing or expired' },
  incomplete: { de: 'Gerät konnte nicht vollständig geprüft werden', en: 'Device could not be checked fully' },
};

/** Pure: the one line that says the state (menu's first line, and after "Appwacht – " the tooltip). */
export function statusLine(choice: TrayChoice, lang: Lang): string {
  const de = lang === 'de';
  const apps = appsShort(choice.apps);
  switch (choice.condition) {
    case 'banned': {
      const d = choice.deadline && formatDate(choice.deadline, lang);
      return `${de ? 'Nicht erlaubt' : 'Not allowed'}: ${apps}${d ? (de ? ` – entfernen bis ${d}` : ` – remove by ${d}`) : ''}`;
    }
    case 'overdue':
      return `${de ? 'Frist abgelaufen' : 'Deadline passed'}: ${apps}`;
    case 'blocked':
      return `${de ? 'E-Mail-Abgleich gesperrt' : 'Mail sync blocked'}: ${apps}`;
    case 'warning':
      return `${de ? 'Hinweis' : 'Notice'}: ${apps}`;
    default:
      return FIXED[choice.condition]![lang];
  }
}

/** Windows limits a tray tooltip to 127 characters (NOTIFYICONDATA.szTip); the others truncate too. */
export const TOOLTIP_MAX = 127;

export function tooltip(choice: TrayChoice, lang: Lang): string {
  const text = `Appwacht – ${statusLine(choice, lang)}`;
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}

/** The menu as data; tray.ts maps it 1:1 to Electron's MenuItemConstructorOptions. */
export type MenuItemModel =
  | { kind: 'label'; id: string; label: string }
  | { kind: 'action'; id: MenuAction; label: string; enabled: boolean }
  | { kind: 'radio'; id: `lang-${Lang}`; label: string; checked: boolean }
  | { kind: 'submenu'; id: string; label: string; items: MenuItemModel[] }
  | { kind: 'separator' };

export type MenuAction = 'check-now' | 'open-status' | 'what-is-reported' | 'quit';

export interface MenuOptions {
  lang: Lang;
  /** Whether quitting is allowed (see quitAllowed()). */
  quitAllowed: boolean;
  /** A check asked for and not yet answered: "Check now" is greyed meanwhile. */
  checking: boolean;
}

/**
 * Quit is offered only when quitting stops nothing that reports: in machine mode the service reports on its own (the tray
 * is a view; it comes back at the next login); in per-user mode the app hosts the agent, so quitting would stop the
 * reporting — offered only where the managed setting allows it (IT's choice, e.g. on a test device).
 */
export function quitAllowed(mode: TrayFacts['mode'], managedAllowQuit: boolean): boolean {
  return mode === 'machine' || managedAllowQuit;
}

const L = {
  checkNow: { de: 'Jetzt prüfen', en: 'Check now' },
  checking: { de: 'Prüfung läuft …', en: 'Checking …' },
  open: { de: 'Status öffnen …', en: 'Open status…' },
  reported: { de: 'Was wird gemeldet …', en: 'What is reported…' },
  language: { de: 'Sprache', en: 'Language' },
  about: { de: 'Über Appwacht', en: 'About Appwacht' },
  quit: { de: 'Beenden', en: 'Quit' },
  version: { de: 'Version', en: 'Version' },
  policy: { de: 'Richtlinie', en: 'Policy' },
  server: { de: 'Server', en: 'Server' },
  device: { de: 'Geräte-ID', en: 'Device ID' },
  none: { de: 'keine', en: 'none' },
  local: { de: 'keiner (lokal)', en: 'none (local)' },
  notEnrolled: { de: 'nicht angemeldet', en: 'not enrolled' },
  mode: { de: 'Betrieb', en: 'Runs as' },
  machine: { de: 'Dienst des Geräts', en: 'machine service' },
  user: { de: 'in dieser App (pro Benutzer)', en: 'in this app (per user)' },
} as const;

/** Pure: the tray menu for a state. Every label exists in German and English; the language names stay native. */
export function menuModel(f: TrayFacts, choice: TrayChoice, o: MenuOptions): MenuItemModel[] {
  const t = (k: keyof typeof L) => L[k][o.lang];
  const policy = f.policy
    ? `v${f.policy.version}${f.policy.organization ? ` – ${oneLine(f.policy.organization, 60)}` : ''}`
    : t('none');
  const items: MenuItemModel[] = [
    { kind: 'label', id: 'status', label: statusLine(choice, o.lang) },
    { kind: 'separator' },
    { kind: 'action', id: 'check-now', label: o.checking ? t('checking') : t('checkNow'), enabled: f.reachable && !o.checking },
    { kind: 'action', id: 'open-status', label: t('open'), enabled: true },
    { kind: 'action', id: 'what-is-reported', label: t('reported'), enabled: true },
    { kind: 'separator' },
    {
      kind: 'submenu',
      id: 'language',
      label: t('language'),
      items: [
        { kind: 'radio', id: 'lang-de', label: 'Deutsch', checked: o.lang === 'de' },
        { kind: 'radio', id: 'lang-en', label: 'English', checked: o.lang === 'en' },
      ],
    },
    {
      kind: 'submenu',
      id: 'about',
      label: t('about'),
      items: [
        { kind: 'label', id: 'about-version', label: `${t('version')}: ${f.appVersion}` },
        { kind: 'label', id: 'about-mode', label: `${t('mode')}: ${t(f.mode)}` },
        { kind: 'label', id: 'about-policy', label: `${t('policy')}: ${policy}` },
        { kind: 'label', id: 'about-server', label: `${t('server')}: ${f.server ? oneLine(f.server, 80) : t('local')}` },
        { kind: 'label', id: 'about-device', label: `${t('device')}: ${f.deviceId ?? t('notEnrolled')}` },
      ],
    },
  ];
  if (o.quitAllowed) items.push({ kind: 'separator' }, { kind: 'action', id: 'quit', label: t('quit'), enabled: true });
  return items;
}

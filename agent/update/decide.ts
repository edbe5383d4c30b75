import type { UpdatePolicy } from '../../protocol/index.js';
import type { IndexedFile, UpdateIndex } from './index-file.js';
import { compareSemVer, parseSemVer } from './semver.js';

/** The package formats the installers come in (scripts/packaging/): which one this machine takes is installer.ts's. */
export type InstallerKind = 'deb' | 'rpm' | 'msi' | 'nsis' | 'pkg';

const EXTENSION: Record<InstallerKind, string> = { deb: '.deb', rpm: '.rpm', msi: '.msi', nsis: '.exe', pkg: '.pkg' };

/** Architecture words in installer names (electron-builder, Debian, RPM spellings) → Node's `process.arch`. */
const ARCH_OF: Record<string, string> = {
  x86_64: 'x64',
  amd64: 'x64',
  x64: 'x64',
  aarch64: 'arm64',
  arm64: 'arm64',
  i386: 'ia32',
  i686: 'ia32',
  ia32: 'ia32',
  armv7l: 'arm',
  armhf: 'arm',
};
const ARCH_WORD = new RegExp(`(?:^|[-_.])(${Object.keys(ARCH_OF).join('|')})(?=[-_.]|$)`, 'i');

/** The architecture an installer's name says it is for; undefined when it names none (universal or single-arch). */
export function archOfName(name: string): string | undefined {
  const m = ARCH_WORD.exec(name);
  return m ? ARCH_OF[m[1]!.toLowerCase()] : undefined;
}

/** The kind of an installer by its name, among the kinds this machine takes. */
export function installerKindOf(name: string, kinds: readonly InstallerKind[]): InstallerKind | undefined {
  return kinds.find((k) => name.toLowerCase().endsWith(EXTENSION[k]));
}

export interface UpdatePlatform {
  /** `process.arch`. */
  arch: string;
  /** The formats that may replace this install, best first (installer.ts: a deb install takes a deb, an MSI an MSI). */
  kinds: readonly InstallerKind[];
}

/** The installer of an index for this machine: the first kind that has one, a file naming this arch before one naming none. */
export function pickInstaller(files: readonly IndexedFile[], platform: UpdatePlatform): IndexedFile | undefined {
  for (const kind of platform.kinds) {
    const ofKind = files.filter((f) => installerKindOf(f.name, [kind]) === kind);
    const fits = ofKind.filter((f) => archOfName(f.name) === platform.arch);
    const any = ofKind.filter((f) => archOfName(f.name) === undefined);
    const file = fits[0] ?? any[0];
    if (file) return file;
  }
  return undefined;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A check that failed (server away, a bad index) is tried again this soon, or at the interval if that is shorter. */
export const CHECK_RETRY_MS = HOUR;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` (the laptop's local time) is inside the window; `to` before `from` crosses midnight. */
export function inWindow(window: { from: string; to: string }, now: Date): boolean {
  const at = now.getHours() * 60 + now.getMinutes();
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  return from < to ? at >= from && at < to : at >= from || at < to;
}

/** The next start of the window after `now`, in local time (a DST change moves it with the clock, as a person expects). */
export function nextWindowStart(window: { from: string; to: string }, now: Date): number {
  const from = minutesOf(window.from);
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate(), Math.floor(from / 60), from % 60);
  if (start.getTime() <= now.getTime()) start.setDate(start.getDate() + 1);
  return start.getTime();
}

export interface UpdateFacts {
  /** The running agent's version (AGENT_VERSION). */
  current: string;
  /** The signed policy's `updates` block; absent: no automatic update. */
  settings: UpdatePolicy | undefined;
  /** The last check of the feed, and whether it gave a usable answer; null: never. */
  lastCheck: { at: number; ok: boolean } | null;
  /** The feed's index, once fetched (and its signature verified) in this step. */
  index?: UpdateIndex;
  platform: UpdatePlatform;
  /** An installer downloaded and verified earlier, waiting for the install window. */
  downloaded?: { version: string; name: string };
  now: Date;
}

export type NothingReason = 'disabled' | 'not-due' | 'up-to-date' | 'downgrade' | 'bad-version' | 'no-installer';

export type UpdateDecision =
  | { action: 'nothing'; reason: NothingReason; detail?: string; nextCheckAt: number | null }
  | { action: 'check' }
  | { action: 'download'; version: string; file: IndexedFile }
  | { action: 'install-now'; version: string; name: string }
  | { action: 'wait-until'; at: number; version: string; name: string };

/**
 * Pure: what the update client does next. Without an index: check the feed when due, else install a waiting download
 * when the window allows. With one: nothing unless it offers a version above this one (never a downgrade, never the same
 * version again) with an installer for this machine; then download it, or install what was downloaded for it.
 */
export function decideUpdate(f: UpdateFacts): UpdateDecision {
  const { settings, now } = f;
  if (!settings?.enabled) return { action: 'nothing', reason: 'disabled', nextCheckAt: null };
  const t = now.getTime();
  const intervalMs = settings.checkEveryHours * HOUR;
  const current = parseSemVer(f.current);
  if (!current)
    return { action: 'nothing', reason: 'bad-version', detail: `this agent's version "${f.current}"`, nextCheckAt: null };
  const installOrWait = (version: string, name: string): UpdateDecision =>
    !settings.installWindow || inWindow(settings.installWindow, now)
      ? { action: 'install-now', version, name }
      : { action: 'wait-until', at: nextWindowStart(settings.installWindow, now), version, name };

  if (!f.index) {
    const due = f.lastCheck === null ? t : f.lastCheck.at + (f.lastCheck.ok ? intervalMs : Math.min(intervalMs, CHECK_RETRY_MS));
    if (t >= due) return { action: 'check' };
    const waiting = f.downloaded && parseSemVer(f.downloaded.version);
    if (f.downloaded && waiting && compareSemVer(waiting, current) > 0)
      return installOrWait(f.downloaded.version, f.downloaded.name);
    return { action: 'nothing', reason: 'not-due', nextCheckAt: due };
  }

  const nextCheckAt = t + intervalMs;
  const offered = parseSemVer(f.index.version);
  if (!offered)
    return {
      action: 'nothing',
      reason: 'bad-version',
      detail: `the feed's version "${f.index.version.slice(0, 100)}"`,
      nextCheckAt,
    };
  const order = compareSemVer(offered, current);
  if (order === 0) return { action: 'nothing', reason: 'up-to-date', nextCheckAt };
  if (order < 0) return { action: 'nothing', reason: 'downgrade', detail: f.index.version, nextCheckAt };
  if (f.platform.kinds.length === 0)
    return {
      action: 'nothing',
      reason: 'no-installer',
      detail: 'this agent was not installed from a package, so no installer can replace it',
      nextCheckAt,
    };
  const file = pickInstaller(f.index.files, f.platform);
  if (!file) {
    const seen = [...f.index.files.map((x) => x.name), ...f.index.refused.map((x) => `${x.url} (${x.reason})`)];
    return {
      action: 'nothing',
      reason: 'no-installer',
      detail:
        `wanted ${f.platform.kinds.map((k) => EXTENSION[k]).join(' or ')} for ${f.platform.arch}; the index lists ${seen.join(', ') || 'nothing'}`.slice(
          0,
          500,
        ),
      nextCheckAt,
    };
  }
  if (f.downloaded && f.downloaded.version === f.index.version && f.downloaded.name === file.name)
    return installOrWait(f.index.version, file.name);
  return { action: 'download', version: f.index.version, file };
}

import path from 'node:path';
import type { InstalledApp, InventorySource } from '../types.js';
import { analyzeExec, parseDesktopEntry } from './desktop-entry-parse.js';
import { listHomes } from './homes.js';
import { checkRaw, MAX_SMALL_FILE, NOT_PRESENT, NotPresent, Problems, type RawOf, Scope, type Zod } from './raw.js';
import { describeFsProblem, mapLimit, RootFs } from './rootfs.js';

/**
 * XDG .desktop entries: what the menus offer. Catches apps installed outside any package manager
 * (tarballs in /opt or ~, AppImageLauncher integrations, hand-written launchers for a portable client).
 *
 * Folders in XDG precedence order: /usr/local/share before /usr/share (the default XDG_DATA_DIRS), then
 * every readable home's ~/.local/share/applications. Flatpak and snap export folders are left to their
 * own sources, which know the app ids.
 */

/**
 * A desktop-entry record with two extras InstalledApp has no field for (yet): `noDisplay` marks entries
 * that exist but are hidden from menus (helpers, URL handlers); `localizedNames` are the Name[xx] values
 * ("de" → "Threema (Geschäftlich)"), which is what a German desktop shows.
 */
export interface DesktopApp extends InstalledApp {
  noDisplay?: boolean;
  localizedNames?: Record<string, string>;
}

const SYSTEM_DIRS = ['/usr/local/share/applications', '/usr/share/applications'];
const LIMITS = { maxDepth: 6, maxFiles: 5000 };

const RawDir = (zod: Zod) =>
  zod.object({
    dir: zod.string(),
    scope: Scope(zod),
    user: zod.string().optional(),
    files: zod.array(zod.object({ relative: zod.string(), text: zod.string() })),
  });
const RawDesktopEntries = (zod: Zod) =>
  zod.discriminatedUnion('present', [
    NotPresent(zod),
    zod.object({ present: zod.literal(true), dirs: zod.array(RawDir(zod)), problems: Problems(zod) }),
  ]);
export type RawDesktopEntries = RawOf<typeof RawDesktopEntries>;

async function collect(root: string): Promise<RawDesktopEntries> {
  const fs = new RootFs(root);
  const { homes, problems } = await listHomes(fs);
  const candidates: { dir: string; scope: 'machine' | 'user'; user?: string }[] = [
    ...SYSTEM_DIRS.map((dir) => ({ dir, scope: 'machine' as const })),
    ...homes.map((h) => ({ dir: `${h.path}/.local/share/applications`, scope: 'user' as const, user: h.user })),
  ];
  const dirs: RawOf<typeof RawDir>[] = [];
  for (const candidate of candidates) {
    try {
      if (!(await fs.isDirectory(candidate.dir))) continue; // missing: normal, most homes have none
    } catch (err) {
      problems.push(describeFsProblem(candidate.dir, err)); // e.g. ~/.local not searchable
      continue;
    }
    const found = await fs.findFiles(candidate.dir, '.desktop', LIMITS, problems);
    const files = await mapLimit(found, 16, async (f) => {
      try {
        return { relative: f.relative, text: await fs.readText(f.path, MAX_SMALL_FILE) };
      } catch (err) {
        problems.push(describeFsProblem(f.path, err));
        return undefined;
      }
    });
    dirs.push({ ...candidate, files: files.filter((f) => f !== undefined) });
  }
  if (dirs.length === 0 && problems.length === 0) return NOT_PRESENT;
  return { present: true, dirs, problems };
}

/** Pure: raw desktop files → records. Deleted (Hidden) and non-application entries are left out. */
export function parseDesktopEntries(data: RawDesktopEntries): { apps: DesktopApp[]; problems: string[] } {
  if (!data.present) return { apps: [], problems: [] };
  const problems = [...data.problems];
  const apps: DesktopApp[] = [];
  // The first folder in XDG order that has a desktop id decides for the whole system, Hidden included.
  const machineIds = new Set<string>();
  for (const dir of data.dirs) {
    for (const file of dir.files) {
      const desktopId = file.relative.split('/').join('-');
      const location = path.posix.join(dir.dir, file.relative);
      if (dir.scope === 'machine') {
        if (machineIds.has(desktopId)) continue;
        machineIds.add(desktopId);
      }
      const parsed = parseDesktopEntry(file.text);
      if (!parsed.ok) {
        problems.push(`${location}: ${parsed.error}`);
        continue;
      }
      for (const warning of parsed.warnings) problems.push(`${location}: ${warning}`);
      const entry = parsed.entry;
      if (entry.hidden) continue;
      if (entry.type !== 'Application') {
        if (entry.type === undefined) problems.push(`${location}: no Type key, not an application entry`);
        continue; // Link and Directory entries are not apps
      }
      if (!entry.name) {
        problems.push(`${location}: application entry without Name`);
        continue;
      }
      const exec = entry.exec !== undefined ? analyzeExec(entry.exec) : {};
      const executable = exec.executable ?? (entry.tryExec ? path.posix.basename(entry.tryExec) : undefined);
      const flatpakId = entry.keys['X-Flatpak'] ?? exec.flatpakId;
      // X-SnapInstanceName may carry a parallel-install key ("telegram-desktop_work"); the snap is before "_".
      const snapName = entry.keys['X-SnapInstanceName']?.split('_')[0] ?? exec.snapName;
      const version = entry.keys['X-AppImage-Version'];
      apps.push({
        name: entry.name,
        ...(version ? { version } : {}),
        source: 'desktop-entry',
        scope: dir.scope,
        ...(dir.user !== undefined ? { user: dir.user } : {}),
        ids: {
          desktopId,
          ...(executable ? { executable } : {}),
          ...(flatpakId ? { flatpakId } : {}),
          ...(snapName ? { snapName } : {}),
        },
        location,
        ...(entry.noDisplay ? { noDisplay: true } : {}),
        ...(Object.keys(entry.localizedNames).length > 0 ? { localizedNames: entry.localizedNames } : {}),
      });
    }
  }
  return { apps, problems };
}

export const desktopEntrySource: InventorySource<RawDesktopEntries> = {
  id: 'desktop-entry',
  collect: (ctx) => collect(ctx.root),
  check: (raw) => checkRaw(RawDesktopEntries, raw, 'desktop-entry'),
  parse: parseDesktopEntries,
};

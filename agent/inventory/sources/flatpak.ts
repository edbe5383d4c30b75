import path from 'node:path';
import type { InstalledApp, InventorySource } from '../types.js';
import { parseDesktopEntry, parseKeyFile } from './desktop-entry-parse.js';
import { listHomes } from './homes.js';
import { parseMetaInfo } from './metainfo.js';
import {
  checkRaw,
  MAX_METAINFO_FILE,
  MAX_SMALL_FILE,
  NOT_PRESENT,
  NotPresent,
  Problems,
  type RawOf,
  RawTextFile,
  Scope,
  type Zod,
} from './raw.js';
import { describeFsProblem, isMissing, mapLimit, RootFs } from './rootfs.js';

/**
 * Flatpak apps, read from the installation folders without the flatpak tool:
 *   <installation>/app/<app-id>/current            -> x86_64/stable (the deployed arch/branch)
 *   <installation>/app/<app-id>/current/active     -> <commit>      (the deployed files)
 *     metadata                                     [Application] name=<app-id>, command=…
 *     export/share/applications/<app-id>.desktop   the launcher flatpak exports (display name)
 *     files/share/metainfo/<app-id>.metainfo.xml   AppStream: name, release version, developer
 * Installations: the system one (/var/lib/flatpak), extra ones from /etc/flatpak/installations.d/*.conf,
 * and each user's ~/.local/share/flatpak.
 */

const SYSTEM_INSTALLATION = '/var/lib/flatpak';
const MAX_APPS_PER_INSTALLATION = 2000;

const RawFlatpakApp = (zod: Zod) =>
  zod.object({
    id: zod.string(),
    scope: Scope(zod),
    user: zod.string().optional(),
    location: zod.string(),
    /** Where `current` points ("x86_64/stable"), when it is a link. */
    ref: zod.string().optional(),
    metadata: zod.string().optional(),
    desktopFiles: zod.array(RawTextFile(zod)).default([]),
    metainfo: zod.string().optional(),
  });
const RawFlatpak = (zod: Zod) =>
  zod.discriminatedUnion('present', [
    NotPresent(zod),
    zod.object({ present: zod.literal(true), apps: zod.array(RawFlatpakApp(zod)), problems: Problems(zod) }),
  ]);
export type RawFlatpak = RawOf<typeof RawFlatpak>;
type RawApp = RawOf<typeof RawFlatpakApp>;

interface Installation {
  base: string;
  scope: 'machine' | 'user';
  user?: string;
}

/** Extra system installations: `[Installation "extra"]` groups with Path=… in /etc/flatpak/installations.d/*.conf. */
async function extraInstallations(fs: RootFs, problems: string[]): Promise<Installation[]> {
  const dir = '/etc/flatpak/installations.d';
  let names: string[];
  try {
    names = (await fs.readDir(dir)).filter((e) => e.name.endsWith('.conf')).map((e) => e.name);
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem(dir, err));
    return [];
  }
  const found: Installation[] = [];
  for (const name of names.sort()) {
    try {
      const file = parseKeyFile(await fs.readText(`${dir}/${name}`, MAX_SMALL_FILE));
      if (!file.ok) throw new Error(file.error);
      for (const [group, keys] of file.groups) {
        const p = keys.get('Path');
        if (group.startsWith('Installation ') && p?.startsWith('/')) found.push({ base: p, scope: 'machine' });
      }
    } catch (err) {
      problems.push(describeFsProblem(`${dir}/${name}`, err));
    }
  }
  return found;
}

async function readOptional(fs: RootFs, file: string, max: number, problems: string[]): Promise<string | undefined> {
  try {
    return await fs.readText(file, max);
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem(file, err));
    return undefined;
  }
}

async function collectApp(fs: RootFs, inst: Installation, id: string, problems: string[]): Promise<RawApp> {
  const location = `${inst.base}/app/${id}`;
  const active = `${location}/current/active`;
  const ref = await fs.readLink(`${location}/current`);
  const metadata = await readOptional(fs, `${active}/metadata`, MAX_SMALL_FILE, problems);
  const desktopFiles: { path: string; text: string }[] = [];
  const exportDir = `${active}/export/share/applications`;
  try {
    for (const entry of await fs.readDir(exportDir)) {
      if (!entry.name.endsWith('.desktop')) continue;
      const text = await readOptional(fs, `${exportDir}/${entry.name}`, MAX_SMALL_FILE, problems);
      if (text !== undefined) desktopFiles.push({ path: `${exportDir}/${entry.name}`, text });
    }
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem(exportDir, err));
  }
  let metainfo: string | undefined;
  for (const candidate of [
    `${active}/files/share/metainfo/${id}.metainfo.xml`,
    `${active}/files/share/metainfo/${id}.appdata.xml`,
    `${active}/files/share/appdata/${id}.appdata.xml`,
  ]) {
    metainfo = await readOptional(fs, candidate, MAX_METAINFO_FILE, problems);
    if (metainfo !== undefined) break;
  }
  return {
    id,
    scope: inst.scope,
    ...(inst.user !== undefined ? { user: inst.user } : {}),
    location,
    ...(ref !== undefined ? { ref } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    desktopFiles,
    ...(metainfo !== undefined ? { metainfo } : {}),
  };
}

async function collect(root: string): Promise<RawFlatpak> {
  const fs = new RootFs(root);
  const { homes, problems } = await listHomes(fs);
  const installations: Installation[] = [
    { base: SYSTEM_INSTALLATION, scope: 'machine' },
    ...(await extraInstallations(fs, problems)),
    ...homes.map((h) => ({ base: `${h.path}/.local/share/flatpak`, scope: 'user' as const, user: h.user })),
  ];
  let present = false;
  const apps: RawApp[] = [];
  for (const inst of installations) {
    let ids: string[];
    try {
      ids = (await fs.readDir(`${inst.base}/app`)).filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name);
    } catch (err) {
      if (!isMissing(err)) problems.push(describeFsProblem(`${inst.base}/app`, err));
      continue;
    }
    present = true;
    if (ids.length > MAX_APPS_PER_INSTALLATION) {
      problems.push(`${inst.base}/app: ${ids.length} entries, only the first ${MAX_APPS_PER_INSTALLATION} were read`);
      ids = ids.sort().slice(0, MAX_APPS_PER_INSTALLATION);
    }
    apps.push(...(await mapLimit(ids.sort(), 8, (id) => collectApp(fs, inst, id, problems))));
  }
  if (!present && problems.length === 0) return NOT_PRESENT;
  return { present: true, apps, problems };
}

// Flatpak app ids are reverse-DNS names with at least three parts (flatpak's own rule).
const APP_ID = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*){2,}$/;

function parseApp(app: RawApp, problems: string[]): InstalledApp | undefined {
  if (!APP_ID.test(app.id)) {
    problems.push(`${app.location}: "${app.id}" is not a flatpak app id, skipped`);
    return undefined;
  }
  let command: string | undefined;
  if (app.metadata === undefined) {
    problems.push(`${app.location}: no metadata in current/active (app half installed or being removed)`);
  } else {
    const meta = parseKeyFile(app.metadata);
    const application = meta.ok ? meta.groups.get('Application') : undefined;
    if (!application) problems.push(`${app.location}/current/active/metadata: no [Application] group`);
    else {
      const declared = application.get('name');
      if (declared && declared !== app.id) problems.push(`${app.location}: metadata names "${declared}", folder is "${app.id}"`);
      command = application.get('command');
    }
  }
  const info = app.metainfo !== undefined ? parseMetaInfo(app.metainfo) : {};
  // The launcher flatpak exports under the app id is the one the menu shows.
  const desktop = [...app.desktopFiles].sort(
    (a, b) =>
      Number(path.posix.basename(b.path) === `${app.id}.desktop`) - Number(path.posix.basename(a.path) === `${app.id}.desktop`),
  )[0];
  const entry = desktop ? parseDesktopEntry(desktop.text) : undefined;
  const desktopName = entry?.ok ? entry.entry.name : undefined;
  return {
    name: info.name ?? desktopName ?? app.id,
    ...(info.version ? { version: info.version } : {}),
    ...(info.developer ? { publisher: info.developer } : {}),
    source: 'flatpak',
    scope: app.scope,
    ...(app.user !== undefined ? { user: app.user } : {}),
    ids: {
      flatpakId: app.id,
      ...(desktop ? { desktopId: path.posix.basename(desktop.path) } : {}),
      ...(command ? { executable: path.posix.basename(command) } : {}),
    },
    location: app.location,
  };
}

export function parseFlatpak(data: RawFlatpak): { apps: InstalledApp[]; problems: string[] } {
  if (!data.present) return { apps: [], problems: [] };
  const problems = [...data.problems];
  const apps = data.apps.map((a) => parseApp(a, problems)).filter((a) => a !== undefined);
  return { apps, problems };
}

export const flatpakSource: InventorySource<RawFlatpak> = {
  id: 'flatpak',
  collect: (ctx) => collect(ctx.root),
  check: (raw) => checkRaw(RawFlatpak, raw, 'flatpak'),
  parse: parseFlatpak,
};

import path from 'node:path';
import type { InstalledApp, InventorySource } from '../types.js';
import { listHomes } from './homes.js';
import { checkRaw, MAX_SMALL_FILE, NOT_PRESENT, NotPresent, Problems, type RawOf, Scope, type Zod } from './raw.js';
import { describeFsProblem, isMissing, mapLimit, RootFs } from './rootfs.js';

/**
 * AppImages: single-file apps that need no installation, so they sit wherever the user saved them.
 * We look where people and AppImage tools put them: ~/Applications (AppImageLauncher), ~/AppImages,
 * ~/.local/bin, ~/bin, the Desktop and Download folders (also their localized names from
 * ~/.config/user-dirs.dirs, e.g. ~/Schreibtisch), and /opt with one level of subfolders.
 *
 * A file counts when its name ends in .AppImage or when it is an executable ELF file with the AppImage
 * magic: "AI" and the type byte (1 or 2) at offset 8 of the ELF header.
 */

const HOME_FOLDERS = ['Applications', 'AppImages', '.local/bin', 'bin', 'Desktop', 'Downloads'];
const MAX_ENTRIES_PER_FOLDER = 5000;

const RawAppImageFile = (zod: Zod) =>
  zod.object({
    path: zod.string(),
    scope: Scope(zod),
    user: zod.string().optional(),
    /** AppImage type from the magic bytes, null when the file has the suffix but not the magic. */
    type: zod.union([zod.literal(1), zod.literal(2), zod.null()]),
    size: zod.number().int().min(0),
  });
const RawAppImages = (zod: Zod) =>
  zod.discriminatedUnion('present', [
    NotPresent(zod),
    zod.object({ present: zod.literal(true), files: zod.array(RawAppImageFile(zod)), problems: Problems(zod) }),
  ]);
export type RawAppImages = RawOf<typeof RawAppImages>;

/** Pure: the AppImage type in a file's first bytes, or null. */
export function appImageType(head: Uint8Array): 1 | 2 | null {
  if (head.length < 11) return null;
  const elf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  if (!elf || head[8] !== 0x41 || head[9] !== 0x49) return null;
  return head[10] === 1 ? 1 : head[10] === 2 ? 2 : null;
}

/** Pure: XDG_DESKTOP_DIR / XDG_DOWNLOAD_DIR from user-dirs.dirs, relative to the home ("Schreibtisch"). */
export function parseUserDirs(text: string): string[] {
  const dirs: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*XDG_(DESKTOP|DOWNLOAD)_DIR\s*=\s*"\$HOME\/([^"]+)"\s*$/.exec(line);
    if (m && !m[2]!.split('/').includes('..')) dirs.push(m[2]!);
  }
  return dirs;
}

interface Folder {
  dir: string;
  scope: 'machine' | 'user';
  user?: string;
}

async function foldersToSearch(fs: RootFs, problems: string[]): Promise<Folder[]> {
  const { homes, problems: homeProblems } = await listHomes(fs);
  problems.push(...homeProblems);
  const folders: Folder[] = [];
  for (const home of homes) {
    const names = new Set(HOME_FOLDERS);
    try {
      for (const d of parseUserDirs(await fs.readText(`${home.path}/.config/user-dirs.dirs`, MAX_SMALL_FILE))) names.add(d);
    } catch (err) {
      if (!isMissing(err)) problems.push(describeFsProblem(`${home.path}/.config/user-dirs.dirs`, err));
    }
    for (const name of names) folders.push({ dir: `${home.path}/${name}`, scope: 'user', user: home.user });
  }
  folders.push({ dir: '/opt', scope: 'machine' });
  try {
    for (const entry of await fs.readDir('/opt')) {
      if (entry.isDirectory()) folders.push({ dir: `/opt/${entry.name}`, scope: 'machine' });
    }
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem('/opt', err));
  }
  return folders;
}

async function collect(root: string): Promise<RawAppImages> {
  const fs = new RootFs(root);
  const problems: string[] = [];
  const folders = await foldersToSearch(fs, problems);
  const files: RawOf<typeof RawAppImageFile>[] = [];
  const seen = new Set<string>();
  let anyFolder = false;
  for (const folder of folders) {
    let entries;
    try {
      entries = await fs.readDir(folder.dir);
    } catch (err) {
      if (!isMissing(err)) problems.push(describeFsProblem(folder.dir, err));
      continue;
    }
    anyFolder = true;
    if (entries.length > MAX_ENTRIES_PER_FOLDER) {
      problems.push(`${folder.dir}: ${entries.length} entries, only the first ${MAX_ENTRIES_PER_FOLDER} were looked at`);
      entries = entries.sort((a, b) => (a.name < b.name ? -1 : 1)).slice(0, MAX_ENTRIES_PER_FOLDER);
    }
    const found = await mapLimit(entries, 16, async (entry) => {
      if (!(entry.isFile() || entry.isSymbolicLink())) return undefined;
      const file = `${folder.dir}/${entry.name}`;
      const bySuffix = /\.appimage$/i.test(entry.name);
      try {
        const st = await fs.statIfExists(file);
        if (!st?.stats.isFile()) return undefined;
        // Only executables can hide an AppImage without the suffix; reading every download's header would be waste.
        if (!bySuffix && (st.stats.mode & 0o111) === 0) return undefined;
        if (seen.has(st.path)) return undefined; // ~/bin/signal -> ~/Applications/Signal.AppImage
        seen.add(st.path);
        const type = appImageType(await fs.readHead(file, 16));
        if (!bySuffix && type === null) return undefined;
        return {
          path: file,
          scope: folder.scope,
          ...(folder.user !== undefined ? { user: folder.user } : {}),
          type,
          size: st.stats.size,
        };
      } catch (err) {
        problems.push(describeFsProblem(file, err));
        return undefined;
      }
    });
    files.push(...found.filter((f) => f !== undefined));
  }
  if (!anyFolder && problems.length === 0) return NOT_PRESENT;
  return { present: true, files, problems };
}

// Architecture words in AppImage file names ("Signal-7.1.0-x86_64", "Obsidian-linux-x64").
const ARCH = /^(x86[-_]64|amd64|x64|aarch64|arm64|armhf|armv7l?|i[3-6]86|x86|ia32|universal)$/i;
// "linux" is a platform word only right before an architecture: "whatsapp-for-linux" keeps it.
const PLATFORM = /^linux(32|64)?$/i;
const VERSIONISH = /^v?\d/;

/**
 * Pure: a display name and version from an AppImage file name. The name is everything before the
 * first version or architecture token; "_" reads as a space ("Telegram_Desktop" → "Telegram Desktop").
 */
export function appImageName(fileName: string): { name: string; version?: string } {
  const stem = fileName.replace(/\.appimage$/i, '');
  // Keep the separators so that "whatsapp-for-linux" stays hyphenated; x86_64 must not split at its "_".
  const parts = stem
    .replace(/x86[-_]64/gi, 'x86\u000164')
    .split(/([-_ ]+)/)
    .map((p) => p.replace('\u0001', '_'));
  let name = '';
  let version: string | undefined;
  for (let i = 0; i < parts.length; i += 2) {
    const token = parts[i]!;
    const next = parts[i + 2];
    if (VERSIONISH.test(token) || ARCH.test(token) || (PLATFORM.test(token) && next !== undefined && ARCH.test(next))) {
      if (/^v?\d+(\.\d+)+/.test(token)) version = token.replace(/^v/, '');
      break;
    }
    name += (i > 0 ? parts[i - 1]! : '') + token;
  }
  // "Element.1.11.50.AppImage": a dotted version glued to the name
  const dotted = /^(.*?[A-Za-z])\.(v?\d+(?:\.\d+)+)$/.exec(name);
  if (dotted) {
    name = dotted[1]!;
    version ??= dotted[2]!.replace(/^v/, '');
  }
  name = name.replace(/_/g, ' ').trim();
  if (!name) return { name: stem }; // nothing but a version: the file name is all we have
  return { name, ...(version ? { version } : {}) };
}

export function parseAppImages(data: RawAppImages): { apps: InstalledApp[]; problems: string[] } {
  if (!data.present) return { apps: [], problems: [] };
  const apps = data.files.map((file): InstalledApp => {
    const base = path.posix.basename(file.path);
    const { name, version } = appImageName(base);
    return {
      name,
      ...(version ? { version } : {}),
      source: 'appimage',
      scope: file.scope,
      ...(file.user !== undefined ? { user: file.user } : {}),
      ids: { executable: base },
      location: file.path,
    };
  });
  return { apps, problems: [...data.problems] };
}

export const appImageSource: InventorySource<RawAppImages> = {
  id: 'appimage',
  collect: (ctx) => collect(ctx.root),
  check: (raw) => checkRaw(RawAppImages, raw, 'appimage'),
  parse: parseAppImages,
};

import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError, errorCode } from '../../errors.js';
import type { CollectContext, InstalledApp, InventorySource, ParseResult } from '../types.js';
import type { BundleInfo } from './plist.js';
import { checkRaw, type RawOf, type Zod } from './raw.js';

/**
 * macOS app bundles, found by walking the usual install folders below `ctx.root` (file-based, so a mounted
 * disk or a fixture tree works like the live system).
 *
 * Where we look: /Applications and /Users/Shared/Applications (machine), and for every folder in /Users
 * except Shared: ~/Applications, ~/Desktop, ~/Downloads (user). Each with one level of subfolders
 * (/Applications/Utilities, vendor folders, ~/Downloads/tools). /System/Applications is skipped on purpose:
 * it holds only Apple's sealed system apps (Messages, FaceTime, …), which no policy bans and no user installs.
 *
 * Traps:
 * - macOS privacy protection (TCC) denies ~/Desktop and ~/Downloads to a process without Full Disk Access;
 *   that shows up as EPERM and is recorded as a problem, not silently treated as empty.
 * - Symlinked bundles are not followed: on a mounted disk or fixture tree an absolute link would point at
 *   the host's files. They are recorded as problems.
 * - iOS/iPadOS apps on Apple silicon have no Contents/Info.plist; their plist sits at WrappedBundle/Info.plist.
 */

/** One bundle as the collector saw it. `infoPlist` is base64 so binary plists survive JSON. */
const RawBundle = (zod: Zod) =>
  zod.object({
    /** Path on the inventoried system ("/Applications/WhatsApp.app"), independent of the root it was read below. */
    path: zod.string().min(1),
    scope: zod.enum(['machine', 'user']),
    user: zod.string().optional(),
    infoPlist: zod.string().optional(),
    infoPlistError: zod.object({ code: zod.string(), message: zod.string() }).optional(),
  });
export type RawBundle = RawOf<typeof RawBundle>;

const UnreadFolder = (zod: Zod) => zod.object({ path: zod.string(), code: zod.string() });
export type UnreadFolder = RawOf<typeof UnreadFolder>;

const RawBundles = (zod: Zod) =>
  zod.object({
    bundles: zod.array(RawBundle(zod)),
    problems: zod.array(zod.string()),
    /** Folders that exist (or must) but could not be listed: bundles there are unseen. Absent in older captures. */
    unreadable: zod.array(UnreadFolder(zod)).optional(),
  });
export type RawBundles = RawOf<typeof RawBundles>;

/** Info.plist files are a few KiB; anything this large is not one and is not read into memory. */
const MAX_PLIST_BYTES = 1024 * 1024;
const PLIST_CANDIDATES = ['Contents/Info.plist', 'WrappedBundle/Info.plist'];

function isBundleName(name: string): boolean {
  return name.toLowerCase().endsWith('.app') && name.length > 4;
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

class BundleWalker {
  readonly bundles: RawBundle[] = [];
  readonly problems: string[] = [];
  readonly unreadable: UnreadFolder[] = [];

  constructor(private readonly root: string) {}

  private abs(systemPath: string): string {
    return path.join(this.root, systemPath);
  }

  /**
   * Lists a folder. A missing folder is normal (most people have no ~/Applications) unless `required` (every Mac has
   * /Applications and /Users); anything else — EPERM from privacy protection (TCC), EACCES — leaves bundles unseen.
   */
  async list(systemPath: string, required = false): Promise<Dirent[]> {
    try {
      return await readdir(this.abs(systemPath), { withFileTypes: true });
    } catch (err) {
      const code = errnoOf(err) ?? errorCode(err);
      if (required || (code !== 'ENOENT' && code !== 'ENOTDIR')) this.unreadable.push({ path: systemPath, code });
      return [];
    }
  }

  /** Collects the bundles in a folder, descending `depth` more levels into plain subfolders (never into bundles). */
  async walk(systemPath: string, depth: number, scope: RawBundle['scope'], user?: string, required = false): Promise<void> {
    const entries = (await this.list(systemPath, required)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = path.posix.join(systemPath, entry.name);
      if (isBundleName(entry.name)) {
        if (entry.isSymbolicLink()) this.problems.push(`${child}: symbolic link to a bundle, not followed`);
        else if (entry.isDirectory()) this.bundles.push(await this.readBundle(child, scope, user));
      } else if (entry.isDirectory() && depth > 0) {
        await this.walk(child, depth - 1, scope, user);
      }
    }
  }

  private async readBundle(systemPath: string, scope: RawBundle['scope'], user?: string): Promise<RawBundle> {
    const bundle: RawBundle = { path: systemPath, scope, ...(user !== undefined && { user }) };
    let lastError: { code: string; message: string } = { code: 'ENOENT', message: 'no Contents/Info.plist' };
    for (const candidate of PLIST_CANDIDATES) {
      const file = path.join(this.abs(systemPath), candidate);
      try {
        // lstat follows WrappedBundle (a relative link inside the bundle) but not a link in place of the plist itself.
        const info = await lstat(file);
        if (!info.isFile()) {
          bundle.infoPlistError = { code: 'PLIST_NOT_FILE', message: `${candidate} is not a regular file` };
          return bundle;
        }
        if (info.size > MAX_PLIST_BYTES) {
          bundle.infoPlistError = { code: 'PLIST_TOO_LARGE', message: `${candidate} is ${info.size} bytes` };
          return bundle;
        }
        bundle.infoPlist = (await readFile(file)).toString('base64');
        return bundle;
      } catch (err) {
        const code = errnoOf(err) ?? errorCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        lastError = { code, message: `${candidate}: ${describeError(err)}` };
        break;
      }
    }
    bundle.infoPlistError = lastError;
    return bundle;
  }
}

/** I/O half: walks the folders and returns the serialisable raw data. */
export async function collectBundles(ctx: Pick<CollectContext, 'root'>): Promise<RawBundles> {
  const walker = new BundleWalker(ctx.root);
  await walker.walk('/Applications', 1, 'machine', undefined, true);
  await walker.walk('/Users/Shared/Applications', 1, 'machine');
  const homes = (await walker.list('/Users', true))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'Shared')
    .map((e) => e.name)
    .sort();
  for (const user of homes) {
    for (const folder of ['Applications', 'Desktop', 'Downloads']) {
      await walker.walk(path.posix.join('/Users', user, folder), 1, 'user', user);
    }
  }
  return {
    bundles: walker.bundles,
    problems: walker.problems,
    ...(walker.unreadable.length > 0 && { unreadable: walker.unreadable }),
  };
}

function folderName(bundlePath: string): string {
  return path.posix.basename(bundlePath).replace(/\.app$/i, '');
}

/**
 * Pure half: raw bundles → records. A bundle whose plist is missing or broken still counts by its folder name. The plist
 * parsers (xmldom & co., ~250 kB) are loaded here, on first use, so that no scan without bundles loads them.
 */
export async function parseBundles(data: RawBundles): Promise<ParseResult> {
  const { bundleInfoFrom, parsePlistDict } = await import('./plist.js');
  const problems = [...data.problems];
  const apps: InstalledApp[] = [];
  for (const bundle of data.bundles) {
    let info: BundleInfo = {};
    if (bundle.infoPlist !== undefined) {
      try {
        const result = bundleInfoFrom(parsePlistDict(Buffer.from(bundle.infoPlist, 'base64')));
        info = result.info;
        for (const p of result.problems) problems.push(`${bundle.path}: ${p}`);
      } catch (err) {
        problems.push(`${bundle.path}: Info.plist unreadable (${errorCode(err)}): ${describeError(err)}; counted by folder name`);
      }
    } else {
      const why = bundle.infoPlistError ? `${bundle.infoPlistError.code}: ${bundle.infoPlistError.message}` : 'not collected';
      problems.push(`${bundle.path}: no usable Info.plist (${why}); counted by folder name`);
    }
    const app: InstalledApp = {
      name: info.name ?? folderName(bundle.path),
      source: 'bundle',
      scope: bundle.scope,
      ids: {
        ...(info.bundleId !== undefined && { bundleId: info.bundleId }),
        ...(info.executable !== undefined && { executable: info.executable }),
      },
      location: bundle.path,
    };
    if (info.version !== undefined) app.version = info.version;
    if (bundle.user !== undefined) app.user = bundle.user;
    apps.push(app);
  }
  const unread = (data.unreadable ?? []).map((f) => ({
    place: f.path,
    code: f.code,
    message: UNREAD_WHY[f.code] ?? 'cannot list',
  }));
  return { apps, problems, ...(unread.length > 0 && { unread }) };
}

/** What a folder error means on a Mac, for the person reading the scan. */
const UNREAD_WHY: Record<string, string> = {
  EPERM: 'denied by macOS privacy protection (the agent needs Full Disk Access)',
  EACCES: 'permission denied',
  ENOENT: 'missing (not a macOS system folder tree?)',
};

export const bundleSource: InventorySource<RawBundles> = {
  id: 'bundles',
  collect: (ctx) => collectBundles(ctx),
  check: (raw) => checkRaw(RawBundles, raw, 'bundles'),
  parse: parseBundles,
};

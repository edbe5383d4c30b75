import { parseYaml } from '../../lazy-yaml.js';
import type { InstalledApp, InventorySource } from '../types.js';
import { parseDesktopEntry } from './desktop-entry-parse.js';
import { checkRaw, MAX_SMALL_FILE, NOT_PRESENT, NotPresent, Problems, type RawOf, RawTextFile, type Zod } from './raw.js';
import { describeFsProblem, isMissing, mapLimit, RootFs } from './rootfs.js';

/**
 * Snaps, read without the snap tool:
 *   /snap/<instance>/current/meta/snap.yaml                 name, version, title, summary, type
 *   /var/lib/snapd/desktop/applications/<instance>_<app>.desktop   the launchers snapd exports
 *   /var/lib/snapd/snaps/<instance>_<revision>.snap          the installed snap files
 * On a live system /snap/<instance>/<rev> is a mounted squashfs; on a mounted disk image it is an empty
 * folder, so snaps are also recognised by their .snap file and their launchers.
 */

const SNAP_MOUNTS = '/snap';
const DESKTOP_DIR = '/var/lib/snapd/desktop/applications';
const SNAPS_DIR = '/var/lib/snapd/snaps';
// Infrastructure snaps: installed, but not applications anyone launches.
const NOT_APPS = new Set(['base', 'os', 'core', 'snapd', 'kernel', 'gadget']);

const RawSnap = (zod: Zod) => zod.object({ instance: zod.string(), location: zod.string(), snapYaml: zod.string().optional() });
const RawSnaps = (zod: Zod) =>
  zod.discriminatedUnion('present', [
    NotPresent(zod),
    zod.object({
      present: zod.literal(true),
      snaps: zod.array(RawSnap(zod)),
      desktopFiles: zod.array(RawTextFile(zod)).default([]),
      snapFiles: zod.array(zod.string()).default([]),
      problems: Problems(zod),
    }),
  ]);
export type RawSnaps = RawOf<typeof RawSnaps>;

async function listNames(fs: RootFs, dir: string, problems: string[]): Promise<string[] | undefined> {
  try {
    return (await fs.readDir(dir)).map((e) => e.name).sort();
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem(dir, err));
    return undefined;
  }
}

async function collect(root: string): Promise<RawSnaps> {
  const fs = new RootFs(root);
  const problems: string[] = [];
  const mounts = await listNames(fs, SNAP_MOUNTS, problems);
  const desktopNames = await listNames(fs, DESKTOP_DIR, problems);
  const snapFiles = await listNames(fs, SNAPS_DIR, problems);
  if (!mounts && !desktopNames && !snapFiles && problems.length === 0) return NOT_PRESENT;

  // /snap/bin holds the command links, /snap/README is snapd's note; neither is a snap.
  const instances = (mounts ?? []).filter((n) => n !== 'bin' && n !== 'README');
  const snaps = await mapLimit(instances, 8, async (instance) => {
    const location = `${SNAP_MOUNTS}/${instance}`;
    const file = `${location}/current/meta/snap.yaml`;
    try {
      return { instance, location, snapYaml: await fs.readText(file, MAX_SMALL_FILE) };
    } catch (err) {
      // Not mounted (disk image, snapd stopped): the snap is still known from its .snap file.
      if (!isMissing(err)) problems.push(describeFsProblem(file, err));
      return { instance, location };
    }
  });
  const desktopFiles = (
    await mapLimit(
      (desktopNames ?? []).filter((n) => n.endsWith('.desktop')),
      16,
      async (name) => {
        const file = `${DESKTOP_DIR}/${name}`;
        try {
          return { path: file, text: await fs.readText(file, MAX_SMALL_FILE) };
        } catch (err) {
          problems.push(describeFsProblem(file, err));
          return undefined;
        }
      },
    )
  ).filter((f) => f !== undefined);
  return { present: true, snaps, desktopFiles, snapFiles: (snapFiles ?? []).filter((n) => n.endsWith('.snap')), problems };
}

/** What we read from a snap.yaml; other keys are ignored. */
interface SnapYaml {
  name: string;
  version?: string | number;
  title?: string;
  summary?: string;
  type?: string;
}

const isOptional = (value: unknown, ...types: ('string' | 'number')[]) =>
  value === undefined || types.includes(typeof value as 'string' | 'number');

/**
 * The parsed YAML if it has the keys we read, each of its type (a name that is not empty); undefined otherwise.
 * Checked by hand, not with zod: it runs in live scans of machines with snaps, which load no zod.
 */
function snapYamlMeta(value: unknown): SnapYaml | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { name, version, title, summary, type } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return undefined;
  const ok = isOptional(version, 'string', 'number') && [title, summary, type].every((v) => isOptional(v, 'string'));
  return ok ? (value as SnapYaml) : undefined;
}

interface Launcher {
  name: string;
  desktopId: string;
  executable?: string;
}

/** snapd names exported launchers <instance>_<app>.desktop; X-SnapInstanceName says the same inside. */
function launchersByInstance(files: { path: string; text: string }[], problems: string[]): Map<string, Launcher[]> {
  const byInstance = new Map<string, Launcher[]>();
  for (const file of files) {
    const desktopId = file.path.slice(file.path.lastIndexOf('/') + 1);
    const parsed = parseDesktopEntry(file.text);
    if (!parsed.ok) {
      problems.push(`${file.path}: ${parsed.error}`);
      continue;
    }
    const { entry } = parsed;
    if (entry.hidden || entry.type !== 'Application' || !entry.name) continue;
    const instance = entry.keys['X-SnapInstanceName'] ?? desktopId.slice(0, Math.max(0, desktopId.indexOf('_')));
    if (!instance) continue;
    const bin = /\/snap\/bin\/([^\s]+)/.exec(entry.exec ?? '')?.[1];
    const list = byInstance.get(instance) ?? [];
    list.push({ name: entry.name, desktopId, ...(bin ? { executable: bin } : {}) });
    byInstance.set(instance, list);
  }
  return byInstance;
}

// Without snap.yaml the type is unknown; these infrastructure snaps are recognised by name.
const isBaseByName = (name: string) => ['core', 'snapd', 'bare'].includes(name) || /^core\d+$/.test(name);

// The store name is the instance name up to "_" (parallel installs: telegram-desktop_work).
const storeName = (instance: string) => instance.split('_')[0]!;

/** Pure: raw snap data → records, one per installed snap instance. */
export function parseSnaps(data: RawSnaps): { apps: InstalledApp[]; problems: string[] } {
  if (!data.present) return { apps: [], problems: [] };
  const problems = [...data.problems];
  const launchers = launchersByInstance(data.desktopFiles, problems);
  const apps: InstalledApp[] = [];
  const seen = new Set<string>();

  const add = (instance: string, meta: SnapYaml | undefined, location: string) => {
    seen.add(instance);
    if (meta?.type && NOT_APPS.has(meta.type)) return;
    if (!meta && isBaseByName(storeName(instance))) return;
    const launcher = launchers.get(instance)?.[0];
    const version = meta?.version !== undefined ? String(meta.version) : undefined;
    apps.push({
      name: meta?.title ?? launcher?.name ?? meta?.name ?? storeName(instance),
      ...(version ? { version } : {}),
      source: 'snap',
      scope: 'machine',
      ids: {
        snapName: meta?.name ?? storeName(instance),
        ...(launcher ? { desktopId: launcher.desktopId } : {}),
        ...(launcher?.executable ? { executable: launcher.executable } : {}),
      },
      location,
    });
  };

  for (const snap of data.snaps) {
    if (snap.snapYaml === undefined) continue; // handled below with the .snap files
    let meta: SnapYaml | undefined;
    try {
      meta = snapYamlMeta(parseYaml(snap.snapYaml, { maxAliasCount: 50 }));
      if (!meta) problems.push(`${snap.location}/current/meta/snap.yaml: no snap name in it`);
    } catch (err) {
      problems.push(`${snap.location}/current/meta/snap.yaml: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    add(snap.instance, meta, snap.location);
  }
  // Snaps whose squashfs is not mounted here: known from /var/lib/snapd/snaps/<instance>_<rev>.snap.
  for (const file of data.snapFiles) {
    const m = /^(.+)_(x?\d+)\.snap$/.exec(file);
    if (!m || seen.has(m[1]!)) continue;
    add(m[1]!, undefined, `${SNAP_MOUNTS}/${m[1]}`);
  }
  for (const instance of launchers.keys()) {
    if (!seen.has(instance)) add(instance, undefined, `${SNAP_MOUNTS}/${instance}`);
  }
  // A /snap/<instance> folder whose snap.yaml could not be read and that nothing else names: still installed.
  for (const snap of data.snaps) {
    if (!seen.has(snap.instance)) add(snap.instance, undefined, snap.location);
  }
  return { apps, problems };
}

export const snapSource: InventorySource<RawSnaps> = {
  id: 'snap',
  collect: (ctx) => collect(ctx.root),
  check: (raw) => checkRaw(RawSnaps, raw, 'snap'),
  parse: parseSnaps,
};

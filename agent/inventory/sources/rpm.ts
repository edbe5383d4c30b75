import { SourceError } from '../../errors.js';
import type { InstalledApp, InventorySource } from '../types.js';
import { maintainerName } from './dpkg.js';
import { checkRaw, NOT_PRESENT, NotPresent, type RawOf, type Zod } from './raw.js';
import { RootFs } from './rootfs.js';

/**
 * RPM packages via `rpm -qa`. The database formats (Berkeley DB, ndb, SQLite) are rpm's business, so we
 * ask the tool, and only when the root has a database: the rpm tool exists on Debian too, with no packages.
 */

// Fedora ≥ 36 and openSUSE keep the database in /usr/lib/sysimage/rpm (with /var/lib/rpm a link to it);
// older and other RPM systems in /var/lib/rpm.
const DB_DIRS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'];
const DB_FILES = ['rpmdb.sqlite', 'Packages', 'Packages.db'];

const FIELDS = ['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'VENDOR', 'PACKAGER'] as const;
// Tab between fields, newline after each package: rpm's query format knows \t and \n, and neither occurs in
// these tags, so names with spaces survive. Unset tags print "(none)".
export const QUERY_FORMAT = FIELDS.map((f) => `%{${f}}`).join('\\t') + '\\n';

const RawRpm = (zod: Zod) =>
  zod.discriminatedUnion('present', [
    NotPresent(zod),
    zod.object({ present: zod.literal(true), dbPath: zod.string(), output: zod.string() }),
  ]);
export type RawRpm = RawOf<typeof RawRpm>;

async function findDatabase(fs: RootFs): Promise<string | undefined> {
  for (const dir of DB_DIRS) {
    for (const file of DB_FILES) {
      // Only "does not exist" means no database; a database we may not read fails the source (statIfExists rejects).
      const found = await fs.statIfExists(`${dir}/${file}`);
      // The resolved folder, so that /var/lib/rpm -> ../../usr/lib/sysimage/rpm is read once, where it is.
      if (found?.stats.isFile()) return found.path.slice(0, found.path.lastIndexOf('/'));
    }
  }
  return undefined;
}

async function collect(root: string): Promise<RawRpm> {
  const fs = new RootFs(root);
  const dbPath = await findDatabase(fs);
  if (!dbPath) return NOT_PRESENT;
  // --dbpath is always given: Debian's rpm defaults to ~/.rpmdb, and with --root it is read inside the root.
  const args = ['-qa', '--root', fs.root, '--dbpath', dbPath, '--queryformat', QUERY_FORMAT];
  // Imported here: node:child_process costs ~2.5 ms to load, and a machine without an rpm database runs no command.
  const { run } = await import('../exec.js');
  try {
    return { present: true, dbPath, output: await run('rpm', args, { timeoutMs: 60_000 }) };
  } catch (err) {
    if (err instanceof SourceError && err.code === 'TOOL_MISSING')
      throw new SourceError('TOOL_MISSING', `an rpm database exists at ${dbPath} but the rpm tool is not installed`, {
        cause: err,
      });
    throw err;
  }
}

const none = (v: string | undefined) => (v === undefined || v === '' || v === '(none)' ? undefined : v);

/** Pure: the output of `rpm -qa --queryformat QUERY_FORMAT` → records. */
export function parseRpmOutput(output: string): { apps: InstalledApp[]; problems: string[] } {
  const apps: InstalledApp[] = [];
  const problems: string[] = [];
  let bad = 0;
  const seen = new Set<string>();
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.split('\t');
    if (parts.length !== FIELDS.length || !parts[0]) {
      bad++;
      continue;
    }
    const [name, epoch, version, release, , vendor, packager] = parts.map((p) => none(p));
    // gpg-pubkey entries are the repository signing keys rpm stores as pseudo-packages.
    if (!name || name === 'gpg-pubkey') continue;
    const full = version ? `${epoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}` : undefined;
    // Multilib installs (glibc.x86_64 and glibc.i686) are one app for our purpose, as with dpkg.
    const key = `${name}\u0000${full ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const publisher = vendor ?? (packager ? maintainerName(packager) : undefined);
    apps.push({
      name,
      ...(full ? { version: full } : {}),
      ...(publisher ? { publisher } : {}),
      source: 'rpm',
      scope: 'machine',
      ids: { packageName: name },
    });
  }
  if (bad > 0) problems.push(`${bad} line(s) of rpm output were not in the query format and were skipped`);
  return { apps, problems };
}

export const rpmSource: InventorySource<RawRpm> = {
  id: 'rpm',
  collect: (ctx) => collect(ctx.root),
  check: (raw) => checkRaw(RawRpm, raw, 'rpm'),
  parse(data) {
    if (!data.present) return { apps: [], problems: [] };
    return parseRpmOutput(data.output);
  },
};

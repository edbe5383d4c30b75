import { SourceError } from '../../errors.js';
import type { InstalledApp, InventorySource } from '../types.js';
import { checkRaw, NOT_PRESENT, NotPresent, type RawOf, type Zod } from './raw.js';
import { isMissing, RootFs } from './rootfs.js';

/**
 * Debian packages from dpkg's own database, /var/lib/dpkg/status: no dpkg-query needed, so a mounted
 * disk or a fixture tree reads the same as the live system. The file is kept verbatim in the capture.
 */

const STATUS_PATH = '/var/lib/dpkg/status';
// A desktop with 5000 packages has a status file of about 8 MB; anything near this cap is not a status file.
const MAX_STATUS_BYTES = 128 * 1024 * 1024;

const RawDpkg = (zod: Zod) =>
  zod.discriminatedUnion('present', [
    NotPresent(zod),
    zod.object({ present: zod.literal(true), path: zod.string(), text: zod.string() }),
  ]);
export type RawDpkg = RawOf<typeof RawDpkg>;

async function collect(root: string): Promise<RawDpkg> {
  const fs = new RootFs(root);
  try {
    return { present: true, path: STATUS_PATH, text: await fs.readText(STATUS_PATH, MAX_STATUS_BYTES) };
  } catch (err) {
    if (isMissing(err)) return NOT_PRESENT;
    if (err instanceof SourceError) throw err;
    const code = (err as { code?: string }).code ?? 'UNREADABLE';
    throw new SourceError(code, `${STATUS_PATH} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

/** One stanza of a deb822 file: field names as written, continuation lines joined with "\n". */
export interface Stanza {
  fields: Map<string, string>;
  /** 1-based line where the stanza starts, for problem messages. */
  line: number;
}

// deb822 field names are printable US-ASCII without spaces or colons.
const FIELD_NAME = /^[!-9;-~]+$/;

/**
 * Pure: splits a deb822 text (dpkg status) into stanzas. dpkg ends every stanza, the last one too, with
 * a blank line, so a stanza not followed by one was cut off: it is returned as `incomplete`, not used.
 * With `wanted`, only those fields are kept: a status file is mostly Description and Conffiles lines, and
 * skipping them makes the parse several times faster (it runs on every scan).
 */
export function parseDeb822(
  text: string,
  wanted?: ReadonlySet<string>,
): { stanzas: Stanza[]; incomplete?: Stanza; problems: string[] } {
  const problems: string[] = [];
  const stanzas: Stanza[] = [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop(); // split() leaves an empty string after the last newline; it is no blank line
  let current: Stanza | undefined;
  let lastField: string | undefined; // undefined also while inside a field we do not keep
  let inField = false;
  let garbage = 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const first = line.charCodeAt(0);
    const indented = first === 32 || first === 9;
    if (line.length === 0 || (indented && line.trim() === '')) {
      if (current) stanzas.push(current);
      current = undefined;
      lastField = undefined;
      inField = false;
      continue;
    }
    if (indented) {
      if (!inField) garbage++;
      else if (lastField) current!.fields.set(lastField, `${current!.fields.get(lastField)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      garbage++;
      inField = false;
      continue;
    }
    const name = line.slice(0, colon);
    if (!FIELD_NAME.test(name)) {
      garbage++;
      inField = false;
      continue;
    }
    current ??= { fields: new Map(), line: i + 1 };
    inField = true;
    lastField = !wanted || wanted.has(name) ? name : undefined;
    if (lastField) current.fields.set(lastField, line.slice(colon + 1).trim());
  }
  if (garbage > 0) problems.push(`${garbage} line(s) that are not "Field: value" were ignored`);
  // A stanza still open at the end was never closed by its blank line: cut off.
  return { stanzas, ...(current ? { incomplete: current } : {}), problems };
}

const DPKG_FIELDS: ReadonlySet<string> = new Set(['Package', 'Status', 'Version', 'Maintainer']);

// dpkg's package states in which the package's files are on disk. "config-files" and "not-installed"
// mean they are gone. The selection (install/hold/deinstall/purge) does not change what is on disk.
const ON_DISK = new Set(['installed', 'unpacked', 'half-configured', 'half-installed', 'triggers-awaited', 'triggers-pending']);

/** "Nicholas Guriev <guriev-ns@ya.ru>" → "Nicholas Guriev"; kept whole when there is no name part. */
export function maintainerName(maintainer: string): string {
  const name = maintainer.replace(/\s*<[^>]*>\s*$/, '').trim();
  return name || maintainer.trim();
}

export function parseDpkgStatus(text: string): { apps: InstalledApp[]; problems: string[] } {
  const { stanzas, incomplete, problems } = parseDeb822(text, DPKG_FIELDS);
  if (text.includes('\u0000')) problems.push('the status file contains NUL bytes: it is damaged');
  if (incomplete) {
    const pkg = incomplete.fields.get('Package');
    problems.push(
      `incomplete stanza at line ${incomplete.line}${pkg ? ` (Package: ${pkg})` : ''}: the file ends inside it (truncated?), not used`,
    );
  }
  const apps: InstalledApp[] = [];
  const seen = new Set<string>();
  let nameless = 0;
  for (const stanza of stanzas) {
    const pkg = stanza.fields.get('Package');
    const status = stanza.fields.get('Status');
    if (!pkg || !/^[a-z0-9][a-z0-9+.-]*$/.test(pkg)) {
      nameless++;
      continue;
    }
    const state = status?.split(/\s+/)[2];
    if (!state) {
      problems.push(`package ${pkg} (line ${stanza.line}) has no valid Status field, skipped`);
      continue;
    }
    if (!ON_DISK.has(state)) continue;
    const version = stanza.fields.get('Version');
    // Multi-arch packages (libc6:amd64 and libc6:i386) are one app for our purpose.
    const key = `${pkg}\u0000${version ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const maintainer = stanza.fields.get('Maintainer');
    apps.push({
      name: pkg,
      ...(version ? { version } : {}),
      ...(maintainer ? { publisher: maintainerName(maintainer) } : {}),
      source: 'dpkg',
      scope: 'machine',
      ids: { packageName: pkg },
    });
  }
  if (nameless > 0) problems.push(`${nameless} stanza(s) without a valid Package field were skipped`);
  return { apps, problems };
}

export const dpkgSource: InventorySource<RawDpkg> = {
  id: 'dpkg',
  collect: (ctx) => collect(ctx.root),
  check: (raw) => checkRaw(RawDpkg, raw, 'dpkg'),
  parse(data) {
    if (!data.present) return { apps: [], problems: [] };
    return parseDpkgStatus(data.text);
  },
};

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
  /** Where the stanza starts in the text (a character index); `lineNumbers` turns it into a line for messages. */
  start: number;
}

// deb822 field names are printable US-ASCII without spaces or colons.
const FIELD_NAME = /^[!-9;-~]+$/;

/** True for the printable ASCII characters other than space: a line whose second character is one is not blank. */
const isVisibleAscii = (code: number) => code > 32 && code < 127;

/**
 * Finds, from a newline on, the next newline after which comes a line that matters when only `wanted` fields are kept:
 * not another field we do not keep, nor a continuation line (indented, not blank). What it passes over changes nothing
 * in the parse below, so the walk jumps over it in one native search instead of looking at each line.
 */
function skipUnwanted(wanted: ReadonlySet<string>): RegExp {
  const names = [...wanted].map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|');
  const unwantedField = `(?!(?:${names}):)[!-9;-~]+:`; // "Depends: …": a valid field name, not a wanted one
  const continuation = '[ \\t][^\\S\\n]*\\S'; // indented, with something on the line (else it is blank)
  return new RegExp(`\\n(?!${unwantedField}|${continuation})`, 'g');
}

/**
 * Pure: splits a deb822 text (dpkg status) into stanzas. dpkg ends every stanza, the last one too, with
 * a blank line, so a stanza not followed by one was cut off: it is returned as `incomplete`, not used.
 *
 * With `wanted`, only those fields are kept. This runs on every scan and a status file is mostly fields we do not
 * need (Depends, Description and its lines, Conffiles: ~20,000 lines for 900 packages), so the text is walked with
 * indexOf instead of split into lines, and the lines of unwanted fields are jumped over with one regular-expression
 * search (skipUnwanted) instead of being looked at one by one: the parse takes a third of the time.
 */
export function parseDeb822(
  text: string,
  wanted?: ReadonlySet<string>,
): { stanzas: Stanza[]; incomplete?: Stanza; problems: string[] } {
  const problems: string[] = [];
  const stanzas: Stanza[] = [];
  const skip = wanted && skipUnwanted(wanted);
  let current: Stanza | undefined;
  let lastField: string | undefined; // undefined also while inside a field we do not keep
  let inField = false;
  let garbage = 0;
  // One line is text[start, end): without its "\n" and a "\r" before that. The text's last "\n" ends its last line.
  for (let start = 0, next = 0; next < text.length; start = next) {
    const newline = text.indexOf('\n', start);
    next = newline === -1 ? text.length : newline + 1;
    let end = newline === -1 ? text.length : newline;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const first = text.charCodeAt(start);
    const indented = end > start && (first === 32 || first === 9);
    const blank =
      end === start ||
      (indented && (end === start + 1 || !isVisibleAscii(text.charCodeAt(start + 1))) && text.slice(start, end).trim() === '');
    if (blank) {
      if (current) stanzas.push(current);
      current = undefined;
      lastField = undefined;
      inField = false;
      continue;
    }
    if (indented) {
      if (!inField) garbage++;
      else if (lastField) current!.fields.set(lastField, `${current!.fields.get(lastField)}\n${text.slice(start + 1, end)}`);
      continue;
    }
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end) {
      garbage++;
      inField = false;
      continue;
    }
    const name = text.slice(start, colon);
    if (!FIELD_NAME.test(name)) {
      garbage++;
      inField = false;
      continue;
    }
    current ??= { fields: new Map(), start };
    inField = true;
    lastField = !wanted || wanted.has(name) ? name : undefined;
    if (lastField) current.fields.set(lastField, text.slice(colon + 1, end).trim());
    else if (skip && newline !== -1) {
      skip.lastIndex = newline;
      next = skip.exec(text) ? skip.lastIndex : text.length;
    }
  }
  if (garbage > 0) problems.push(`${garbage} line(s) that are not "Field: value" were ignored`);
  // A stanza still open at the end was never closed by its blank line: cut off.
  return { stanzas, ...(current ? { incomplete: current } : {}), problems };
}

/** Line numbers (1-based) of character indexes asked for in increasing order, for problem messages: counted once. */
export function lineNumbers(text: string): (index: number) => number {
  let counted = 0; // the newlines before this index are counted in `line`
  let line = 1;
  return (index) => {
    for (let nl = text.indexOf('\n', counted); nl !== -1 && nl < index; nl = text.indexOf('\n', counted)) {
      line++;
      counted = nl + 1;
    }
    return line;
  };
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
      `incomplete stanza at line ${lineNumbers(text)(incomplete.start)}${pkg ? ` (Package: ${pkg})` : ''}: the file ends inside it (truncated?), not used`,
    );
  }
  const lineOf = lineNumbers(text);
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
      problems.push(`package ${pkg} (line ${lineOf(stanza.start)}) has no valid Status field, skipped`);
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

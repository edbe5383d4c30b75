import type { Matcher, MatchedBy, OsName, SourceKind } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';
import type { AppIds, InstalledApp, RunningProcess } from '../inventory/types.js';

/** A pattern in a matcher that does not compile (only possible when the policy skipped validation). */
export class MatcherError extends AppwachtError {}

/** Exact identifiers in the order they outrank each other, and the record field each one is compared with. */
const ID_FIELDS = [
  ['bundleIds', 'bundleId', 'bundleId'],
  ['appxNames', 'appxName', 'appxName'],
  ['appxFamilies', 'appxFamily', 'appxFamily'],
  ['uninstallKeys', 'uninstallKey', 'uninstallKey'],
  ['flatpakIds', 'flatpakId', 'flatpakId'],
  ['snapNames', 'snapName', 'snapName'],
  ['packages', 'packageName', 'package'],
  ['desktopIds', 'desktopId', 'desktopId'],
] as const satisfies readonly (readonly [keyof Matcher, keyof AppIds, MatchedBy])[];

const OSES: readonly OsName[] = ['windows', 'macos', 'linux'];

/** Linux keeps only the first 15 bytes of a process name (TASK_COMM_LEN 16) when the executable path is not readable. */
const LINUX_COMM_LENGTH = 15;

/**
 * Names longer than this are not run through name rules (exact ids still apply): a display name is short,
 * and a bound keeps an unlucky admin pattern from backtracking over a huge string.
 */
const MAX_NAME_LENGTH = 512;

function normaliseId(value: string): string {
  return value.trim().toLowerCase();
}

/**
 * The keys a configured identifier is indexed under. Records always carry a desktop file id with its ".desktop"
 * suffix; an admin may write it without ("org.telegram.desktop"). Whether a configured id already has the suffix
 * cannot be told from the text (that very id ends in ".desktop"), so both spellings are indexed.
 */
function indexKeys(field: keyof AppIds, value: string): string[] {
  const v = normaliseId(value);
  return field === 'desktopId' ? [v, `${v}.desktop`] : [v];
}

/** The key a process name is compared by: exact on Linux, case-insensitive on macOS, and also without ".exe" on Windows. */
function processKey(os: OsName, name: string): string {
  if (os === 'linux') return name;
  const lower = name.toLowerCase();
  return os === 'windows' && lower.endsWith('.exe') ? lower.slice(0, -4) : lower;
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

function compile(pattern: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'iu');
  } catch (err) {
    throw new MatcherError('MATCHER_INVALID', `${where}: invalid pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Back-references and named groups change meaning when patterns are joined into one alternation. */
function canCombine(pattern: string): boolean {
  return !/\\[1-9]|\\k<|\(\?<(?![=!])/.test(pattern);
}

function push<K>(map: Map<K, number[]>, key: K, index: number) {
  const list = map.get(key);
  if (!list) map.set(key, [index]);
  else if (list[list.length - 1] !== index) list.push(index);
}

interface NameEntry {
  index: number;
  name: RegExp;
  publisher?: RegExp;
  sources?: readonly SourceKind[];
}

interface OsNames {
  /** One alternation of every joinable pattern for this OS: most records fail it with a single test. */
  prefilter?: RegExp;
  combined: NameEntry[];
  separate: NameEntry[];
}

const NO_MATCH: readonly AppMatch[] = Object.freeze([]);

function hasIndex(hits: AppMatch[] | undefined, index: number): boolean {
  if (hits) for (const h of hits) if (h.index === index) return true;
  return false;
}

export interface AppMatch {
  /** Position of the matcher in the list the set was built from. */
  index: number;
  /** The strongest identifier that matched: exact ids before names. */
  matchedBy: MatchedBy;
}

/**
 * Many matchers compiled into one index, so that a record is looked at once, not once per rule:
 * one Map per identifier kind (lower-cased), one combined RegExp per OS, one Map per process-name flavour.
 * Build it once per policy; matching is pure and allocation-light.
 */
export class MatcherSet {
  readonly size: number;
  private readonly ids = new Map<keyof AppIds, Map<string, number[]>>();
  private readonly names = new Map<OsName, OsNames>();
  private readonly processes = new Map<OsName, Map<string, number[]>>();
  /** Linux only: the first 15 characters of longer process names, for names the kernel cut short. */
  private readonly truncated = new Map<string, number[]>();

  constructor(matchers: readonly Matcher[]) {
    this.size = matchers.length;
    for (const [, field] of ID_FIELDS) this.ids.set(field, new Map());
    const perOs = new Map<OsName, { entry: NameEntry; pattern: string }[]>(OSES.map((os) => [os, []]));
    for (const os of OSES) this.processes.set(os, new Map());

    matchers.forEach((m, index) => {
      for (const [key, field] of ID_FIELDS)
        for (const value of m[key] ?? []) for (const k of indexKeys(field, value)) push(this.ids.get(field)!, k, index);
      m.names?.forEach((rule, i) => {
        const where = `matcher ${index}, name rule ${i}`;
        const entry: NameEntry = { index, name: compile(rule.pattern, where) };
        if (rule.publisher !== undefined) entry.publisher = compile(rule.publisher, `${where} (publisher)`);
        if (rule.sources !== undefined) entry.sources = rule.sources;
        for (const os of rule.os ?? OSES) perOs.get(os)!.push({ entry, pattern: rule.pattern });
      });
      for (const name of m.processes ?? []) {
        for (const os of OSES) push(this.processes.get(os)!, processKey(os, name), index);
        if (name.length > LINUX_COMM_LENGTH) push(this.truncated, name.slice(0, LINUX_COMM_LENGTH), index);
      }
    });

    for (const [os, list] of perOs) {
      if (list.length === 0) continue;
      const combined = list.filter((x) => canCombine(x.pattern));
      const separate = list.filter((x) => !canCombine(x.pattern));
      this.names.set(os, {
        prefilter: combined.length
          ? compile(combined.map((x) => `(?:${x.pattern})`).join('|'), `combined names (${os})`)
          : undefined,
        combined: combined.map((x) => x.entry),
        separate: separate.map((x) => x.entry),
      });
    }
  }

  /** Every matcher that recognises this installed app, each with the strongest kind of evidence. */
  matchApp(app: InstalledApp, os: OsName): readonly AppMatch[] {
    // Hot path (thousands of records per scan): plain loops, and no allocation unless something matches.
    let hits: AppMatch[] | undefined;
    for (let f = 0; f < ID_FIELDS.length; f++) {
      const [, field, matchedBy] = ID_FIELDS[f]!;
      const value = app.ids[field];
      if (!value) continue;
      const list = this.ids.get(field)!.get(normaliseId(value));
      if (!list) continue;
      for (const index of list) if (!hasIndex(hits, index)) (hits ??= []).push({ index, matchedBy });
    }
    const names = this.names.get(os);
    const name = names && app.name ? app.name.trim() : '';
    if (names && name && name.length <= MAX_NAME_LENGTH) {
      if (names.prefilter?.test(name)) hits = this.matchNames(names.combined, app, name, hits);
      if (names.separate.length) hits = this.matchNames(names.separate, app, name, hits);
    }
    return hits ?? NO_MATCH;
  }

  private matchNames(entries: NameEntry[], app: InstalledApp, name: string, hits: AppMatch[] | undefined) {
    for (const e of entries) {
      if (hasIndex(hits, e.index) || !e.name.test(name)) continue;
      // A publisher rule needs a publisher: a record without one never passes it.
      if (e.publisher && !(app.publisher && e.publisher.test(app.publisher.trim()))) continue;
      if (e.sources && !e.sources.includes(app.source)) continue;
      (hits ??= []).push({ index: e.index, matchedBy: 'name' });
    }
    return hits;
  }

  /** Every matcher that names this running process (by its name or its executable's file name). */
  matchProcess(proc: RunningProcess, os: OsName): readonly number[] {
    const map = this.processes.get(os)!;
    let out: number[] | undefined;
    const add = (list: number[] | undefined) => {
      if (list) for (const index of list) if (!out?.includes(index)) (out ??= []).push(index);
    };
    if (proc.name) add(map.get(processKey(os, proc.name)));
    if (proc.path) add(map.get(processKey(os, basename(proc.path))));
    // Without a readable executable path, ps shows the kernel's name, cut to 15 characters.
    if (os === 'linux' && !proc.path && proc.name.length === LINUX_COMM_LENGTH) add(this.truncated.get(proc.name));
    return out ?? NO_PROCESS_MATCH;
  }
}

const NO_PROCESS_MATCH: readonly number[] = Object.freeze([]);

/** One matcher on its own: what a single custom rule or catalog entry uses. */
export interface CompiledMatcher {
  matchApp(app: InstalledApp, os: OsName): MatchedBy | undefined;
  matchProcess(proc: RunningProcess, os: OsName): boolean;
}

export function compileMatcher(matcher: Matcher): CompiledMatcher {
  const set = new MatcherSet([matcher]);
  return {
    matchApp: (app, os) => set.matchApp(app, os)[0]?.matchedBy,
    matchProcess: (proc, os) => set.matchProcess(proc, os).length > 0,
  };
}

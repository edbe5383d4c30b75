import type { OsName, Scope, SourceKind } from '../../protocol/index.js';
import type { RawInventoryShape, RawSourceResultShape } from './capture-check.js';
import type { RawOf } from './sources/raw.js';

/** The identifiers a platform gives an installed app; the matcher compares these exactly. */
export interface AppIds {
  bundleId?: string; // macOS CFBundleIdentifier
  appxName?: string; // Windows AppX Name
  appxFamily?: string; // Windows PackageFamilyName
  uninstallKey?: string; // Windows Uninstall subkey name
  flatpakId?: string;
  snapName?: string;
  packageName?: string; // dpkg / rpm
  desktopId?: string; // XDG desktop file id (file name incl. .desktop)
  executable?: string; // main executable base name, when the source names one
}

/** One installed app as a source reports it. Sources fill what they have; nothing is guessed. */
export interface InstalledApp {
  name: string;
  version?: string;
  publisher?: string;
  source: SourceKind;
  scope: Scope;
  /** The account a per-user install belongs to (home folder name, HKU SID's profile, …). */
  user?: string;
  ids: AppIds;
  /** Where it lives: bundle path, install location, .desktop path, AppImage path. */
  location?: string;
}

/**
 * A running process. `path` is the executable's full path where the OS tells it
 * (Linux: /proc/<pid>/exe, readable for own processes or as root; macOS/Windows: from ps-list).
 */
export interface RunningProcess {
  pid: number;
  name: string;
  path?: string;
  cmd?: string;
}

/** A place a source had to read to be complete but could not (a registry key, a bundle folder). */
export interface UnreadPlace {
  place: string;
  code: string;
  message: string;
}

/**
 * What parsing one source produced: records plus anything it had to skip, said in words. `problems` are single items
 * that could not be used (one bad .desktop file): the source still vouches for the rest. `unread` are places the source
 * could not look at: its records still count as evidence, but it cannot vouch that nothing else is there.
 */
export interface ParseResult {
  apps: InstalledApp[];
  problems: string[];
  unread?: UnreadPlace[];
}

/** One source's outcome in a raw inventory: its raw data, or why collect failed. */
export type RawSourceResult = RawOf<typeof RawSourceResultShape>;

/** The serialisable capture of a machine (capture-check.ts has its shape). */
export type RawInventory = RawOf<typeof RawInventoryShape>;

export interface CollectContext {
  os: OsName;
  /** Folder file-based collectors read below; "/" for the live system. */
  root: string;
  /** True when collecting the machine we run on (commands like rpm or reg may be run). */
  live: boolean;
}

/**
 * One inventory source. `collect` does the I/O and returns serialisable raw data of the source's shape. `check` is for
 * raw data read from a capture on disk, which may be anything: it checks it against that shape (loading zod on
 * demand) and applies the shape's defaults. `parse` is pure: checked or freshly collected data → records. It may be
 * async only to load a parser on first use (the macOS bundles' plist parsers, which no Linux or Windows scan should pay
 * for); it reads nothing else.
 */
export interface InventorySource<Raw = unknown> {
  id: string;
  collect(ctx: CollectContext): Promise<Raw>;
  check(raw: unknown): Promise<Raw>;
  parse(raw: Raw): ParseResult | Promise<ParseResult>;
}

/** The running-process source: same three parts, but it yields processes, not installed apps. */
export interface ProcessSource<Raw = unknown> {
  id: 'processes';
  collect(ctx: CollectContext): Promise<Raw>;
  check(raw: unknown): Promise<Raw>;
  parse(raw: Raw): { processes: RunningProcess[]; problems: string[] };
}

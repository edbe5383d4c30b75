import type { OsName, Scope, SourceKind } from '../../protocol/index.js';

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

export type RawSourceResult =
  { ok: true; ms: number; data: unknown } | { ok: false; ms: number; error: { code: string; message: string } };

/**
 * The serialisable capture of a machine: verbatim tool outputs and file contents, so that
 * a capture from a Windows laptop can be replayed (parsed and evaluated) anywhere.
 */
export interface RawInventory {
  format: 'appwacht-raw-inventory';
  version: 1;
  os: OsName;
  /** The folder file-based sources read below ("/" on a live system). */
  root: string;
  collectedAt: string;
  sources: Record<string, RawSourceResult>;
  processes?: RawSourceResult;
}

export interface CollectContext {
  os: OsName;
  /** Folder file-based collectors read below; "/" for the live system. */
  root: string;
  /** True when collecting the machine we run on (commands like rpm or reg may be run). */
  live: boolean;
}

/**
 * One inventory source: `collect` does the I/O and returns serialisable raw data;
 * `parse` is pure and must validate `raw`, which may come from a file on disk. It may be async only to load a parser on
 * first use (the macOS bundles' plist parsers, which no Linux or Windows scan should pay for); it reads nothing else.
 */
export interface InventorySource {
  id: string;
  collect(ctx: CollectContext): Promise<unknown>;
  parse(raw: unknown): ParseResult | Promise<ParseResult>;
}

/** The running-process source: same two halves, but it yields processes, not installed apps. */
export interface ProcessSource {
  id: 'processes';
  collect(ctx: CollectContext): Promise<unknown>;
  parse(raw: unknown): { processes: RunningProcess[]; problems: string[] };
}

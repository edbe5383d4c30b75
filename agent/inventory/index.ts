import type { OsName } from '../../protocol/index.js';
import { AppwachtError, describeError, errorCode } from '../errors.js';
import { currentOs } from './current-os.js';
import { assertRootFolder } from './root-folder.js';
import { processSource, type RawProcessList } from './sources/processes.js';
import type {
  CollectContext,
  InstalledApp,
  InventorySource,
  RawInventory,
  RawSourceResult,
  RunningProcess,
  UnreadPlace,
} from './types.js';
import { monotonicMs } from '../clock.js';

export type * from './types.js';

/**
 * The one place that chooses OS-specific code. Each OS's sources are imported when that OS is scanned or a capture of it
 * is parsed: a Linux scan does not load the registry or AppX code, nor a Windows scan the Linux sources.
 */
const SOURCES_BY_OS: Record<OsName, () => Promise<readonly InventorySource[]>> = {
  linux: async () => (await import('./sources.linux.js')).linuxSources,
  macos: async () => (await import('./sources.macos.js')).macosSources,
  windows: async () => (await import('./sources.windows.js')).windowsSources,
};

export { currentOs };

/**
 * The raw inventories collectRawInventory made in this process. Their data comes from our own typed collect code, so
 * parseRawInventory parses it as it is; any other (a capture read from disk) is checked first, with zod loaded then.
 * A capture written to disk and read back is a new object: it is checked.
 */
const collectedHere = new WeakSet<RawInventory>();

async function timed(collect: () => Promise<unknown>): Promise<RawSourceResult> {
  const start = monotonicMs();
  try {
    const data = await collect();
    return { ok: true, ms: Math.round(monotonicMs() - start), data };
  } catch (err) {
    return { ok: false, ms: Math.round(monotonicMs() - start), error: { code: errorCode(err), message: describeError(err) } };
  }
}

/**
 * Collects the raw inventory of a machine or of a folder tree (`root`, which must exist: UsageError otherwise).
 * Every source runs even when another fails; a failure is recorded with its reason.
 * `processes`: also list this machine's running processes; by default only when collecting the live system
 * (a folder tree has none of its own; tests of the background agent pair a tree with this machine's on purpose).
 */
export async function collectRawInventory(
  options: { os?: OsName; root?: string; processes?: boolean } = {},
): Promise<RawInventory> {
  const os = options.os ?? currentOs();
  const root = options.root ?? '/';
  const live = options.root === undefined && os === currentOs();
  if (options.root !== undefined) await assertRootFolder(options.root);
  const ctx: CollectContext = { os, root, live };
  const sources = await SOURCES_BY_OS[os]();
  const results = await Promise.all(sources.map((s) => timed(() => s.collect(ctx))));
  const raw: RawInventory = {
    format: 'appwacht-raw-inventory',
    version: 1,
    os,
    root,
    collectedAt: new Date().toISOString(),
    sources: Object.fromEntries(sources.map((s, i) => [s.id, results[i]!])),
  };
  if (options.processes ?? live)
    raw.processes = await timed(() => processSource.collect({ os: currentOs(), root: '/', live: true }));
  collectedHere.add(raw);
  return raw;
}

export class RawInventoryError extends AppwachtError {}

/** Checks the envelope of a raw inventory read from disk; each source's data is checked by its own shape when parsed. */
export async function validateRawInventory(value: unknown): Promise<RawInventory> {
  const { checkShape, RawInventoryShape } = await import('./capture-check.js');
  const result = checkShape(RawInventoryShape, value);
  if (!result.ok) throw new RawInventoryError('RAW_INVALID', `not an Appwacht raw inventory: ${result.issue}`);
  return result.data as RawInventory;
}

/** Per-source outcome: read or not, how many records, what it had to skip. */
export interface SourceReport {
  id: string;
  /** false when the source failed, or could read only part of what it looks at (then `partial`, and `count` still counts). */
  ok: boolean;
  partial?: true;
  ms: number;
  count: number;
  error?: { code: string; message: string };
  problems: string[];
}

export interface Inventory {
  os: OsName;
  collectedAt: string;
  apps: InstalledApp[];
  processes: RunningProcess[];
  sources: SourceReport[];
}

const MAX_UNREAD_MESSAGE = 1000;

/** One error for a source that was read only in part: the first place's code, every place in the message. */
function partialError(unread: readonly UnreadPlace[]): { code: string; message: string } {
  const places = unread.map((u) => `${u.place} (${u.code}: ${u.message})`).join('; ');
  const message = `${unread.length} place${unread.length === 1 ? '' : 's'} not readable: ${places}`;
  return {
    code: unread[0]!.code,
    message: message.length > MAX_UNREAD_MESSAGE ? `${message.slice(0, MAX_UNREAD_MESSAGE - 1)}…` : message,
  };
}

/**
 * Runs one parser defensively: a parser that throws marks its source failed instead of failing the scan.
 * A parser that names places it could not read marks its source failed too (partial), but keeps its records.
 */
async function parseOne<T>(
  id: string,
  result: RawSourceResult,
  parse: ((raw: unknown) => Promise<{ items: T[]; problems: string[]; unread?: UnreadPlace[] }>) | undefined,
): Promise<{ report: SourceReport; items: T[] }> {
  const failed = (error: { code: string; message: string }) => ({
    report: { id, ok: false, ms: result.ms, count: 0, error, problems: [] },
    items: [] as T[],
  });
  if (!result.ok) return failed(result.error);
  if (!parse) return failed({ code: 'UNKNOWN_SOURCE', message: `no parser for source "${id}"` });
  try {
    const { items, problems, unread = [] } = await parse(result.data);
    if (unread.length > 0) {
      const report: SourceReport = {
        id,
        ok: false,
        partial: true,
        ms: result.ms,
        count: items.length,
        error: partialError(unread),
        problems,
      };
      return { report, items };
    }
    return { report: { id, ok: true, ms: result.ms, count: items.length, problems }, items };
  } catch (err) {
    return failed({ code: errorCode(err) === 'UNKNOWN' ? 'PARSE' : errorCode(err), message: describeError(err) });
  }
}

/**
 * Pure (async only to load parsers and capture checks on first use): raw inventory → records. A source whose data cannot be parsed is
 * reported as failed; the others still count.
 */
export async function parseRawInventory(raw: RawInventory): Promise<Inventory> {
  const collected = collectedHere.has(raw);
  const apps: InstalledApp[] = [];
  const sources: SourceReport[] = [];
  const parsers = new Map((await SOURCES_BY_OS[raw.os]()).map((s) => [s.id, s]));
  for (const [id, result] of Object.entries(raw.sources)) {
    const source = parsers.get(id);
    const { report, items } = await parseOne(
      id,
      result,
      source &&
        (async (data) => {
          const r = await source.parse(collected ? data : await source.check(data));
          return { items: r.apps, problems: r.problems, ...(r.unread && { unread: r.unread }) };
        }),
    );
    sources.push(report);
    apps.push(...items);
  }
  let processes: RunningProcess[] = [];
  if (raw.processes) {
    const { report, items } = await parseOne(processSource.id, raw.processes, async (data) => {
      const r = processSource.parse(collected ? (data as RawProcessList) : await processSource.check(data));
      return { items: r.processes, problems: r.problems };
    });
    sources.push(report);
    processes = items;
  }
  return { os: raw.os, collectedAt: raw.collectedAt, apps, processes, sources };
}

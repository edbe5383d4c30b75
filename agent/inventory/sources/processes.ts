import { SourceError } from '../../errors.js';
import type { CollectContext, ProcessSource, RunningProcess } from '../types.js';
import { listProcFs, listWithPsList } from './process-list.js';
import { checkRaw, type RawOf, type Zod } from './raw.js';

export { listProcFs, listWithPsList, processName, readProcEntry } from './process-list.js';

/**
 * Running processes, on every OS. This runs every few seconds in the background loop, so it must be cheap.
 *
 * Linux reads /proc directly: ps-list spawns `ps` twice and took ~85 ms for 100 processes here (idle machine),
 * /proc a few ms, and it needs no procps. Name: the kernel's comm (the name the program was started as, so a renamed or
 * linked copy shows as what it was called); comm is cut to 15 characters, so a longer argv[0]/exe base name
 * that starts with it is preferred. Path: /proc/<pid>/exe, readable for our own processes or as root
 * (EACCES otherwise: left undefined). Kernel threads (no command line, no exe) are left out.
 *
 * macOS and Windows use ps-list (on Windows it ships a small fastlist.exe; name only, no path or cmd).
 */

const RawProcess = (zod: Zod) =>
  zod.object({
    pid: zod.number().int().min(0),
    name: zod.string(),
    cmd: zod.string().optional(),
    path: zod.string().optional(),
  });
export type RawProcess = RawOf<typeof RawProcess>;

/**
 * The process list of a capture: a malformed entry does not fail the source, it is skipped and counted. The check
 * turns it into `undefined`, which parse counts.
 */
const RawProcessList = (zod: Zod) => zod.array(RawProcess(zod).optional().catch(undefined));
export type RawProcessList = RawOf<typeof RawProcessList>;

async function collect(ctx: CollectContext): Promise<RawProcess[]> {
  try {
    if (process.platform === 'linux') {
      // /proc missing (odd containers): ps-list still works through ps.
      return await listProcFs().catch(() => listWithPsList());
    }
    return await listWithPsList();
  } catch (err) {
    throw new SourceError('PROCESS_LIST', `cannot list processes on ${ctx.os}: ${(err as Error).message}`, { cause: err });
  }
}

/** A capture's process list: not a list fails the source; malformed entries become `undefined` (parse counts them). */
async function checkProcesses(raw: unknown): Promise<RawProcessList> {
  if (!Array.isArray(raw)) throw new SourceError('RAW_INVALID', 'processes: raw data is not a list');
  return checkRaw(RawProcessList, raw, 'processes');
}

/** Pure: a process list → records; malformed entries (undefined after the check, or nameless) are skipped and counted. */
export function parseProcesses(raw: RawProcessList): { processes: RunningProcess[]; problems: string[] } {
  const processes: RunningProcess[] = [];
  let bad = 0;
  for (const item of raw) {
    if (item === undefined || item.name === '') {
      bad++;
      continue;
    }
    const { pid, name, cmd, path: exe } = item;
    processes.push({ pid, name, ...(exe ? { path: exe } : {}), ...(cmd ? { cmd } : {}) });
  }
  return { processes, problems: bad > 0 ? [`${bad} malformed process entr${bad === 1 ? 'y was' : 'ies were'} skipped`] : [] };
}

export const processSource: ProcessSource<RawProcessList> = {
  id: 'processes',
  collect,
  check: checkProcesses,
  parse: parseProcesses,
};

import { z } from 'zod';
import { SourceError } from '../../errors.js';
import type { CollectContext, ProcessSource, RunningProcess } from '../types.js';
import { listProcFs, listWithPsList } from './process-list.js';

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

const RawProcess = z.object({
  pid: z.number().int().min(0),
  name: z.string(),
  cmd: z.string().optional(),
  path: z.string().optional(),
});
export type RawProcess = z.infer<typeof RawProcess>;

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

/** Pure: validates a raw process list; malformed entries are skipped and counted, not fatal. */
export function parseProcesses(raw: unknown): { processes: RunningProcess[]; problems: string[] } {
  if (!Array.isArray(raw)) throw new SourceError('RAW_INVALID', 'processes: raw data is not a list');
  const processes: RunningProcess[] = [];
  let bad = 0;
  for (const item of raw) {
    const result = RawProcess.safeParse(item);
    if (!result.success || result.data.name === '') {
      bad++;
      continue;
    }
    const { pid, name, cmd, path: exe } = result.data;
    processes.push({ pid, name, ...(exe ? { path: exe } : {}), ...(cmd ? { cmd } : {}) });
  }
  return { processes, problems: bad > 0 ? [`${bad} malformed process entr${bad === 1 ? 'y was' : 'ies were'} skipped`] : [] };
}

export const processSource: ProcessSource = {
  id: 'processes',
  collect,
  parse: parseProcesses,
};

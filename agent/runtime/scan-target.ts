import type { OsName, Policy } from '../../protocol/index.js';
import { describeError, errorCode } from '../errors.js';
import { collectRawInventory, currentOs, parseRawInventory, type RawSourceResult } from '../inventory/index.js';
import { processSource } from '../inventory/sources/processes.js';
import { evaluate } from '../policy/evaluate.js';
import type { ScanResult } from '../scan.js';

/**
 * What the loop scans: the live system, or a folder tree (`--root`, for tests and support) whose installed apps are
 * read below it. Running processes are always the live ones, and only when `liveProcesses` says so: a folder tree has
 * no processes, and the processes of this machine belong to a tree only in tests that want exactly that.
 */
export interface ScanTarget {
  os: OsName;
  root?: string;
  liveProcesses: boolean;
}

export function liveTarget(): ScanTarget {
  return { os: currentOs(), liveProcesses: true };
}

async function collectProcesses(os: OsName): Promise<RawSourceResult> {
  const start = performance.now();
  try {
    const data = await processSource.collect({ os, root: '/', live: true });
    return { ok: true, ms: Math.round(performance.now() - start), data };
  } catch (err) {
    return {
      ok: false,
      ms: Math.round(performance.now() - start),
      error: { code: errorCode(err), message: describeError(err) },
    };
  }
}

/** Collect → parse → evaluate, as `scan()` in agent/scan.ts, for a ScanTarget. */
export async function scanTarget(target: ScanTarget, policy: Policy, now: () => Date = () => new Date()): Promise<ScanResult> {
  const live = target.root === undefined && target.os === currentOs();
  const raw = await collectRawInventory({
    os: target.os,
    ...(target.root !== undefined ? { root: target.root } : {}),
    processes: live && target.liveProcesses,
  });
  if (!live && target.liveProcesses) raw.processes = await collectProcesses(target.os);
  const inventory = parseRawInventory(raw);
  const scannedAt = now();
  return { raw, inventory, evaluation: evaluate(inventory, policy, scannedAt), policy, scannedAt };
}

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/files.js';
import { statePath } from '../state/names.js';
import type { IndexedFile } from './index-file.js';
import type { InstallFiles } from './launch.js';

/** What `appwacht status` says about updates: the latest thing that happened. */
export type UpdateEvent =
  | { what: 'up-to-date'; at: number; version: string }
  /** An offer not taken: a downgrade, no installer for this machine, a version that is not semver, given up. */
  | { what: 'refused'; at: number; version?: string; reason: string }
  | { what: 'downloaded'; at: number; version: string; installAt: number | null }
  | { what: 'installing'; at: number; version: string }
  | { what: 'installed'; at: number; version: string }
  | { what: 'failed'; at: number; version?: string; stage: 'check' | 'download' | 'install'; code: string; reason: string };

/**
 * The update client's file, `<state folder>/update.json` (state/names.ts): when the feed was last asked, the verified
 * installer waiting for the window, the install under way, how often a version failed to install, and the last event.
 */
export interface UpdateRecord {
  format: 'appwacht-update';
  version: 1;
  lastCheck: { at: number; ok: boolean } | null;
  downloaded: ({ version: string } & IndexedFile) | null;
  installing: { version: string; name: string; startedAt: number } | null;
  /**
   * The version an installer reported installed. Until the service restarts on it, the running agent is older: this
   * keeps the client from installing the same version again meanwhile.
   */
  installedVersion: string | null;
  /** Failed installs of one version: after MAX_INSTALL_ATTEMPTS it waits for a newer one. */
  attempts: { version: string; count: number } | null;
  last: UpdateEvent | null;
}

export const MAX_INSTALL_ATTEMPTS = 3;

export function emptyRecord(): UpdateRecord {
  return {
    format: 'appwacht-update',
    version: 1,
    lastCheck: null,
    downloaded: null,
    installing: null,
    installedVersion: null,
    attempts: null,
    last: null,
  };
}

/** The state folder's `updates/`: downloads, the install helper's result and log; 0700 like the folder itself. */
export async function updatesFolder(stateDir: string): Promise<string> {
  const dir = statePath(stateDir, 'updates');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function installFiles(dir: string): InstallFiles {
  return { result: join(dir, 'install-result.json'), log: join(dir, 'install.log') };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= 1000;
const WHAT = ['up-to-date', 'refused', 'downloaded', 'installing', 'installed', 'failed'];

/**
 * Checks the file by hand (status reads it too, and needs no zod): a record that is not this shape counts as none, so a
 * damaged file costs at most one early check. The names in it are checked again where they are used.
 */
export function checkRecord(v: unknown): UpdateRecord | undefined {
  if (!isObj(v) || v.format !== 'appwacht-update' || v.version !== 1) return undefined;
  const { lastCheck, downloaded, installing, installedVersion, attempts, last } = v;
  if (installedVersion !== null && !isStr(installedVersion)) return undefined;
  if (lastCheck !== null && !(isObj(lastCheck) && isNum(lastCheck.at) && typeof lastCheck.ok === 'boolean')) return undefined;
  if (
    downloaded !== null &&
    !(
      isObj(downloaded) &&
      isStr(downloaded.version) &&
      isStr(downloaded.name) &&
      isStr(downloaded.sha512) &&
      isNum(downloaded.size)
    )
  )
    return undefined;
  if (
    installing !== null &&
    !(isObj(installing) && isStr(installing.version) && isStr(installing.name) && isNum(installing.startedAt))
  )
    return undefined;
  if (attempts !== null && !(isObj(attempts) && isStr(attempts.version) && isNum(attempts.count))) return undefined;
  if (last !== null && !(isObj(last) && WHAT.includes(last.what as string) && isNum(last.at))) return undefined;
  return v as unknown as UpdateRecord;
}

export async function readRecord(stateDir: string): Promise<UpdateRecord | undefined> {
  try {
    return checkRecord(JSON.parse(await readFile(statePath(stateDir, 'update'), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Atomic, 0600; throws StateFileError (DISK_FULL, WRITE_FAILED) like every state file. */
export function writeRecord(stateDir: string, record: UpdateRecord): Promise<void> {
  return writeFileAtomic(statePath(stateDir, 'update'), JSON.stringify(record) + '\n', 0o600);
}

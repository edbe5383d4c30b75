import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import type { Lang } from '../../protocol/index.js';
import { AppwachtError, describeError } from '../errors.js';
import { ensureStateFolder } from './folder.js';
import { STATE_FILES } from './names.js';

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
  /** Random per acquisition: release() removes the lock only if it is still ours. */
  token: string;
  /** Linux: /proc/sys/kernel/random/boot_id and the process start time in clock ticks since boot. */
  bootId?: string;
  procStart?: string;
  /** Elsewhere: the boot time (now − uptime), to notice a lock left from before a reboot. */
  bootTime?: number;
}

export class InstanceLockError extends AppwachtError {
  constructor(
    code: 'ALREADY_RUNNING' | 'LOCK_FAILED',
    message: string,
    readonly holder?: LockHolder,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export interface InstanceLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
  /** For `process.on('exit')`, where nothing asynchronous runs. */
  releaseSync(): void;
}

function readLinux(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Fields 3 (state) and 22 (start time) of /proc/<pid>/stat. The command name (field 2) may contain spaces
 * and parentheses, so the split starts after the last ')'.
 */
function linuxProcStat(pid: number): { state: string; start: string } | undefined {
  const stat = readLinux(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

function describeSelf(randomBytes: (size: number) => Buffer): LockHolder {
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  if (process.platform === 'linux') {
    holder.bootId = readLinux('/proc/sys/kernel/random/boot_id')?.trim();
    holder.procStart = linuxProcStat(process.pid)?.start;
  } else {
    holder.bootTime = Date.now() - uptime() * 1000;
  }
  return holder;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive as far as we can tell.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is the holder still running? A pid alone is not enough: after a crash or power loss the pid may belong to a
 * new, unrelated process. On Linux the boot id and the process start time identify the process exactly; on
 * macOS and Windows a boot time that moved by more than 10 minutes means the lock predates a reboot.
 */
export function holderAlive(holder: LockHolder, isAlive: (pid: number) => boolean = pidAlive): boolean {
  if (holder.hostname !== hostname()) return false; // a profile copied from another machine
  if (!isAlive(holder.pid)) return false;
  if (holder.bootId !== undefined && process.platform === 'linux') {
    const bootId = readLinux('/proc/sys/kernel/random/boot_id')?.trim();
    if (bootId && bootId !== holder.bootId) return false;
    const proc = linuxProcStat(holder.pid);
    // A killed process that its parent has not reaped yet is a zombie: kill(pid, 0) still succeeds.
    if (proc?.state === 'Z' || proc?.state === 'X') return false;
    if (proc && holder.procStart && proc.start !== holder.procStart) return false;
  } else if (holder.bootTime !== undefined) {
    if (Math.abs(Date.now() - uptime() * 1000 - holder.bootTime) > 10 * 60_000) return false;
  }
  return true;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof v.pid === 'number' &&
      Number.isInteger(v.pid) &&
      v.pid > 0 &&
      typeof v.token === 'string' &&
      typeof v.hostname === 'string'
    )
      return v as LockHolder;
  } catch {
    // falls through: unreadable content is a stale lock
  }
  return undefined;
}

export function alreadyRunningMessage(holder: LockHolder, lang: Lang): string {
  return lang === 'de'
    ? `Appwacht läuft für diesen Benutzer bereits (Prozess ${holder.pid}, gestartet ${holder.startedAt}). Es darf nur eine Instanz laufen; beenden Sie die andere zuerst.`
    : `Appwacht is already running for this user (process ${holder.pid}, started ${holder.startedAt}). Only one instance may run; stop the other one first.`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the one-instance-per-user lock in the state folder, or throws InstanceLockError('ALREADY_RUNNING').
 *
 * The lock file appears atomically with its full content (written to a temp file, then hard-linked into place;
 * link fails if the lock exists), so no reader ever sees an empty lock. A lock whose holder is gone (crash,
 * SIGKILL, power loss) is stale and taken over; taking over is itself guarded by a `mkdir` so that two
 * starters racing for the same stale lock cannot both win.
 */
export async function acquireInstanceLock(
  stateDir: string,
  options: {
    lang?: Lang;
    isAlive?: (pid: number) => boolean;
    onStale?: (holder: LockHolder | undefined) => void;
    /** Another lock in the same folder (the background agent's turn lock); default the instance lock. */
    file?: string;
  } = {},
): Promise<InstanceLock> {
  const { lang = 'en' } = options;
  const path = join(stateDir, options.file ?? STATE_FILES.instanceLock);
  const breaker = `${path}.break`;
  // Loaded here: `appwacht status` reads locks (holderAlive) but never takes one, and node:crypto costs a start ~4 ms.
  const { randomBytes } = await import('node:crypto');
  const self = describeSelf(randomBytes);
  const content = JSON.stringify(self);
  // Created owner-only, or refused with StateFolderError when someone else owns it or can write into it.
  await ensureStateFolder(stateDir);

  for (let round = 0; round < 200; round++) {
    const tmp = `${path}.${self.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(tmp, path);
      return makeLock(path, self);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InstanceLockError('LOCK_FAILED', `cannot create lock ${path}: ${describeError(err)}`, undefined, {
          cause: err,
        });
    } finally {
      await unlink(tmp).catch(() => {});
    }

    // The lock exists. Who holds it?
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
      throw new InstanceLockError('LOCK_FAILED', `cannot read lock ${path}: ${describeError(err)}`, undefined, { cause: err });
    }
    const holder = parseHolder(text);
    if (holder && holderAlive(holder, options.isAlive)) {
      throw new InstanceLockError('ALREADY_RUNNING', alreadyRunningMessage(holder, lang), holder);
    }

    // Stale. Take it over under the breaker, and only if it is still the same stale lock.
    try {
      await mkdir(breaker);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InstanceLockError('LOCK_FAILED', describeError(err), undefined, { cause: err });
      // Someone else is breaking it. A breaker left by a crash mid-takeover is old: clear it.
      const age = await stat(breaker).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 10_000) await rmdir(breaker).catch(() => {});
      await sleep(20 + Math.random() * 30);
      continue;
    }
    try {
      const again = await readFile(path, 'utf8').catch(() => undefined);
      if (again === text) {
        await unlink(path);
        options.onStale?.(holder);
      }
    } finally {
      await rmdir(breaker).catch(() => {});
    }
  }
  throw new InstanceLockError('LOCK_FAILED', `could not take the lock ${path}: too much contention`);
}

/** The holder of a lock in `stateDir` if it is still running, else undefined (no lock, a stale one, or unreadable). */
export async function liveLockHolder(stateDir: string, file: string = STATE_FILES.instanceLock): Promise<LockHolder | undefined> {
  const text = await readFile(join(stateDir, file), 'utf8').catch(() => undefined);
  const holder = text === undefined ? undefined : parseHolder(text);
  return holder && holderAlive(holder) ? holder : undefined;
}

function makeLock(path: string, holder: LockHolder): InstanceLock {
  const ours = (text: string | undefined) => text !== undefined && parseHolder(text)?.token === holder.token;
  return {
    path,
    holder,
    async release() {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (ours(text)) await unlink(path).catch(() => {});
    },
    releaseSync() {
      let text: string | undefined;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return;
      }
      if (ours(text)) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

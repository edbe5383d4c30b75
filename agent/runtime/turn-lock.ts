import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { InstanceLockError, acquireInstanceLock, liveLockHolder, type InstanceLock, type LockHolder } from '../state/lock.js';
import { STATE_FILES } from '../state/names.js';

/**
 * The turn lock: whoever works on the state folder (a turn process, or the in-process agent for its whole run) holds it,
 * so that no two turns ever run at once — not even when a supervisor was SIGKILLed and its turn goes on as an orphan
 * while a new supervisor starts. The instance lock (one `appwacht run` per user) is the supervisor's; this one is the
 * turn's. Same lock file mechanics (state/lock.ts): a holder that is gone leaves a stale lock, which is taken over.
 */
export type TakeTurnLock =
  | { status: 'taken'; lock: InstanceLock }
  | { status: 'busy'; holder?: LockHolder }
  /** The disk is full: the lock file cannot be written. The caller decides whether it may go on without it. */
  | { status: 'unwritable'; error: InstanceLockError };

export async function takeTurnLock(stateDir: string): Promise<TakeTurnLock> {
  try {
    return { status: 'taken', lock: await acquireInstanceLock(stateDir, { file: STATE_FILES.turnLock }) };
  } catch (err) {
    if (!(err instanceof InstanceLockError)) throw err;
    if (err.code === 'ALREADY_RUNNING') return { status: 'busy', ...(err.holder ? { holder: err.holder } : {}) };
    const cause = (err.cause as { code?: string } | undefined)?.code;
    if (cause === 'ENOSPC' || cause === 'EDQUOT') return { status: 'unwritable', error: err };
    throw err;
  }
}

/** What the holder of the turn lock needs of it. */
export interface HeldTurnLock {
  release(): Promise<void>;
  releaseSync(): void;
}

/** Held without a file (full disk): nothing to release. */
export const UNWRITTEN_TURN_LOCK: HeldTurnLock = { release: async () => {}, releaseSync: () => {} };

/** Waits `ms` or until the stop, whichever comes first. */
const pause = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => {});

/**
 * For the in-process agent: takes the turn lock, waiting while a turn of an earlier run still holds it.
 * Undefined when `signal` aborts first. On a full disk it goes on without (nothing else can run: the instance lock is held).
 */
export async function waitForTurnLock(
  stateDir: string,
  options: { log: Logger; signal: AbortSignal; pollMs?: number },
): Promise<HeldTurnLock | undefined> {
  let said = false;
  while (!options.signal.aborted) {
    const taken = await takeTurnLock(stateDir);
    if (taken.status === 'taken') return taken.lock;
    if (taken.status === 'unwritable') {
      options.log.warn('turn lock not written (disk full); going on without it: this process holds the instance lock', {
        error: taken.error,
      });
      return UNWRITTEN_TURN_LOCK;
    }
    if (!said)
      options.log.info('a turn of an earlier run is still at work; waiting for it to finish', { pid: taken.holder?.pid });
    said = true;
    await pause(options.pollMs ?? 200, options.signal);
  }
  return undefined;
}

/** For the supervisor: waits (without taking it) until no live process holds the turn lock. False when aborted first. */
export async function waitUntilNoTurn(
  stateDir: string,
  options: { log: Logger; signal: AbortSignal; pollMs?: number; said?: boolean },
): Promise<boolean> {
  let said = options.said ?? false;
  for (;;) {
    if (options.signal.aborted) return false;
    const holder = await liveLockHolder(stateDir, STATE_FILES.turnLock);
    if (!holder) return true;
    if (!said) options.log.info('a turn of an earlier run is still at work; waiting for it to finish', { pid: holder.pid });
    said = true;
    await pause(options.pollMs ?? 200, options.signal);
  }
}

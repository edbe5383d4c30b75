import { readdirSync } from 'node:fs';
import type { OsName } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { listWithPsList, readProcEntry } from '../inventory/sources/process-list.js';
import type { RunningProcess } from '../inventory/types.js';
import { silentLogger, type Logger } from '../log.js';
import { MatcherSet } from '../policy/match.js';

// This module runs in the resident supervisor (supervisor.ts): it must stay free of zod, undici and the inventory
// sources (test/agent/runtime/supervisor-imports.test.ts checks the loaded modules).

export interface WatchEvent {
  kind: 'started' | 'exited';
  process: RunningProcess;
}

/**
 * Pure bookkeeping of the process watch: which pids were looked at, which of them are banned apps.
 *
 * Only pids not seen before are examined (a name/exe read each), so a tick on an idle machine costs one directory
 * listing. A new pid is examined a second time on the following tick: a launcher or shell forks first and exec()s the
 * real program a moment later, and the first look may have caught it before the exec.
 */
export class PidTracker {
  private readonly seen = new Set<number>();
  private readonly young = new Set<number>();
  private readonly banned = new Map<number, RunningProcess>();
  private baseline = true;

  /** Banned processes running as far as the tracker knows. */
  get running(): RunningProcess[] {
    return [...this.banned.values()];
  }

  /** The policy changed: every pid is examined again on the next tick (without reporting the ones already running). */
  reset(): void {
    this.seen.clear();
    this.young.clear();
    this.banned.clear();
    this.baseline = true;
  }

  /**
   * One tick: `pids` is every pid alive now; `examine` reads one (undefined when it is gone or unreadable);
   * `isBanned` asks the compiled policy. The first tick after start or reset is a baseline and reports nothing
   * (the scan that follows a start or a policy change sees those processes anyway).
   */
  tick(
    pids: Iterable<number>,
    examine: (pid: number) => RunningProcess | undefined,
    isBanned: (process: RunningProcess) => boolean,
  ): WatchEvent[] {
    const events: WatchEvent[] = [];
    const alive = new Set(pids);
    for (const pid of this.seen) {
      if (alive.has(pid)) continue;
      this.seen.delete(pid);
      this.young.delete(pid);
      const gone = this.banned.get(pid);
      if (gone) {
        this.banned.delete(pid);
        events.push({ kind: 'exited', process: gone });
      }
    }
    for (const pid of alive) {
      const fresh = !this.seen.has(pid);
      if (!fresh && !this.young.has(pid)) continue;
      if (fresh) {
        this.seen.add(pid);
        this.young.add(pid);
      } else {
        this.young.delete(pid);
        if (this.banned.has(pid)) continue;
      }
      const proc = examine(pid);
      if (!proc || !isBanned(proc)) continue;
      this.banned.set(pid, proc);
      if (!this.baseline) events.push({ kind: 'started', process: proc });
    }
    this.baseline = false;
    return events;
  }
}

/** Numeric entries of /proc: every pid, no per-process reads. */
export function listProcPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

function readLinuxProcess(pid: number): RunningProcess | undefined {
  const raw = readProcEntry(pid);
  if (!raw) return undefined;
  return { pid: raw.pid, name: raw.name, ...(raw.path ? { path: raw.path } : {}) };
}

export interface ProcessWatchOptions {
  os: OsName;
  /** The compiled process names of the policy in force; undefined while there is none. */
  matchers: () => MatcherSet | undefined;
  onEvent: (event: WatchEvent) => void;
  log?: Logger;
  intervalMs?: number;
  /** 'proc': Linux, new pids from /proc; 'poll': ask for the whole process list (ps-list) each tick. Default by OS. */
  mode?: 'proc' | 'poll';
  /** Injectable for tests. */
  listPids?: () => number[];
  readProcess?: (pid: number) => RunningProcess | undefined;
  listProcesses?: () => Promise<RunningProcess[]>;
}

export interface ProcessWatch {
  readonly mode: 'proc' | 'poll';
  readonly intervalMs: number;
  /** Examine everything again (the policy changed). */
  reset(): void;
  stop(): void;
  /** One tick now (tests). */
  tick(): Promise<WatchEvent[]>;
}

/** Linux lists /proc every 2 s; elsewhere the process list costs a helper process (ps, fastlist.exe), so every 10 s. */
export const DEFAULT_WATCH_MS = { proc: 2_000, poll: 10_000 } as const;

async function listViaPsList(): Promise<RunningProcess[]> {
  // ps-list's own typed output; entries without a name cannot match anything.
  return (await listWithPsList())
    .filter((p) => p.name !== '')
    .map((p) => ({ pid: p.pid, name: p.name, ...(p.path ? { path: p.path } : {}) }));
}

/**
 * The matcher the watch needs: every process name the policy's rules name, as one matcher. The turn that compiled the
 * policy hands over just these names (schedule.ts), so the watching process never loads the catalog or the policy.
 */
export function watchMatchers(processNames: readonly string[]): MatcherSet | undefined {
  return processNames.length > 0 ? new MatcherSet([{ processes: [...processNames] }]) : undefined;
}

/**
 * Notices a banned app that starts (or a watched one that exits) between scans, cheaply, and tells the loop, which then
 * runs a full evaluation. Errors in a tick are logged (once per kind of error) and the watch goes on.
 */
export function startProcessWatch(options: ProcessWatchOptions): ProcessWatch {
  const log = (options.log ?? silentLogger).child({ component: 'watch' });
  const mode = options.mode ?? (options.os === 'linux' && process.platform === 'linux' ? 'proc' : 'poll');
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH_MS[mode];
  const tracker = new PidTracker();
  const listPids = options.listPids ?? listProcPids;
  const readProcess = options.readProcess ?? readLinuxProcess;
  const listProcesses = options.listProcesses ?? listViaPsList;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastError: string | undefined;

  const isBanned = (p: RunningProcess) => {
    const set = options.matchers();
    return set !== undefined && set.matchProcess(p, options.os).length > 0;
  };

  async function tick(): Promise<WatchEvent[]> {
    let events: WatchEvent[];
    if (mode === 'proc') {
      events = tracker.tick(listPids(), readProcess, isBanned);
    } else {
      const list = await listProcesses();
      const byPid = new Map(list.map((p) => [p.pid, p]));
      events = tracker.tick(byPid.keys(), (pid) => byPid.get(pid), isBanned);
    }
    lastError = undefined;
    for (const e of events) options.onEvent(e);
    return events;
  }

  const failed = (err: unknown) => {
    const message = describeError(err);
    if (message !== lastError) log.error('process watch tick failed; going on', { error: err });
    lastError = message;
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick().then(schedule, failed), intervalMs);
  };

  log.info('process watch started', {
    mode,
    intervalMs,
    ...(mode === 'poll'
      ? { note: 'no /proc here: the whole process list is polled, so a start is noticed within one interval' }
      : {}),
  });
  // The baseline tick runs at once, so the first real tick can already report a start.
  void tick().then(schedule, failed);

  return {
    mode,
    intervalMs,
    reset: () => tracker.reset(),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    tick,
  };
}

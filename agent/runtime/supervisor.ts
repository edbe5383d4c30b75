import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Lang, OsName } from '../../protocol/index.js';
import { AppwachtError, describeError } from '../errors.js';
import { createLogger, fileSink, stderrSink, type Logger } from '../log.js';
import type { MatcherSet } from '../policy/match.js';
import { acquireInstanceLock, liveLockHolder, type InstanceLock } from '../state/lock.js';
import type { TrayChannel } from '../channel/server.js';
import { NOT_ELEVATED, runsElevated } from '../service/machine-mode.js';
import { AGENT_VERSION } from '../version.js';
import type { IntervalOverrides } from './intervals.js';
import { startProcessWatch, watchMatchers, type ProcessWatch } from './process-watch.js';
import { checkSchedule, nextWake, readSchedule, type Schedule } from './schedule.js';
import { markStateStopped } from './state-file.js';
import { TokenBucket } from './token-bucket.js';
import { waitUntilNoTurn } from './turn-lock.js';
import { type FromTurn, type HelloMessage, type ResultMessage, type ToTurn } from './turn-protocol.js';
import { STATE_FILES } from '../state/names.js';

/*
 * MEMORY: this module and everything it imports stay resident for as long as the laptop runs. A node process costs
 * ~40 MiB resident before any code of ours; zod with the protocol schemas, undici and the inventory sources added
 * ~35 MiB more when the agent was one process (BENCHMARKS.md, bench:agent). So only node builtins and small modules are
 * imported here — log, lock, the /proc watch, the matcher, the schedule — and all real work happens in short-lived turn
 * processes. test/agent/runtime/supervisor-imports.test.ts fails when zod, undici, yaml or the inventory creep in.
 */

/** A turn is killed after this long (a hung server, a hung helper): the next one starts with backoff. */
export const DEFAULT_TURN_BUDGET_MS = 5 * 60_000;
/** …or when it holds more than this (a full scan of a real laptop peaks at ~90 MiB). Linux only: read from /proc. */
export const DEFAULT_TURN_MEMORY_LIMIT_MIB = 512;
/** After a stop message, a turn has this long to finish its step before it is killed. */
const STOP_GRACE_MS = 30_000;
/**
 * Turns the process watch may ask for, as a token bucket: a burst at once (an app's start, its helpers, its exit are
 * reported within seconds), then one per `refillMs` — an app that starts and quits in a loop, or keeps spawning
 * short-lived helpers, must not keep a turn (~1 s of CPU each) running back to back: at most ~10 % of one core.
 */
export const WATCH_TURN_LIMIT = { burst: 5, refillMs: 12_000 };
/** Backoff after a failed turn: 1 s, 2 s, 4 s … up to 5 min (or the retry cap of --retry-max). */
const CRASH_BACKOFF = { baseMs: 1_000, capMs: 5 * 60_000 };

export class SupervisorError extends AppwachtError {}

export interface SupervisorOptions {
  lang: Lang;
  /** Aborted on SIGTERM/SIGINT: the running turn is told to stop, then the supervisor stops. */
  signal: AbortSignal;
  /** How to start one turn: node with this process's flags, `appwacht run … --turn`. */
  turnCommand: { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** What the process watch looks at (the turns get the same from their flags). */
  target: { os: OsName; liveProcesses: boolean };
  overrides?: IntervalOverrides;
  logFile?: string;
  /** A logger to use instead (tests); the config's log level does not apply to it. */
  log?: Logger;
  turnBudgetMs?: number;
  turnMemoryLimitMiB?: number;
  /** How many turns the process watch may ask for (default WATCH_TURN_LIMIT). */
  watchTurnLimit?: { burst: number; refillMs: number };
}

type Outcome =
  | { kind: 'result'; message: ResultMessage; ms: number; pid: number }
  | { kind: 'busy'; holderPid?: number }
  | { kind: 'refused'; error: unknown }
  | {
      kind: 'failed';
      why: 'budget' | 'memory' | 'crash';
      pid?: number;
      code: number | null;
      signal: string | null;
      hello: boolean;
      rssMiB?: number;
    };

function rssMiB(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * `appwacht run`: the resident part of the background agent, after the osquery watchdog/worker model. It holds the
 * instance lock, watches processes, and sleeps until the schedule says work is due or the watch sees a banned app start
 * or exit; then it starts one turn (turn-process.ts, a child in its process group) and waits for it. Never two turns at
 * once; a turn of an earlier run that lost its supervisor (SIGKILL) is waited for through the turn lock.
 *
 * It is a watchdog: a turn that runs past its time budget or its memory limit is killed, a turn that crashes is logged,
 * and either is retried with backoff — nothing a turn does can take the supervisor down. What the turn hands back (the
 * schedule, and the state itself when the disk is full) is kept in memory and handed to the next turn.
 *
 * The config is the turns' to resolve (it needs zod): the first turn says hello with the state folder and log level,
 * then the supervisor takes the instance lock (or throws ALREADY_RUNNING) and only then lets the turn work.
 */
export async function runSupervisor(o: SupervisorOptions): Promise<void> {
  const startedAt = new Date();
  const sink = o.logFile ? fileSink(o.logFile) : stderrSink;
  let log: Logger = o.log ?? createLogger({ level: 'info', sink, fields: { pid: process.pid } });
  const budgetMs = o.turnBudgetMs ?? DEFAULT_TURN_BUDGET_MS;
  const memoryLimitMiB = o.turnMemoryLimitMiB ?? DEFAULT_TURN_MEMORY_LIMIT_MIB;
  const crashCapMs = Math.min(CRASH_BACKOFF.capMs, o.overrides?.retryMaxMs ?? Infinity);
  const watchTurns = new TokenBucket(o.watchTurnLimit ?? WATCH_TURN_LIMIT);

  let lock: InstanceLock | undefined;
  let stateDir: string | undefined;
  let schedule: Schedule | null = null;
  let unsaved: unknown;
  let firstOfRun = true;
  let failures = 0;
  let saidWaiting = false;
  let scanRequest: string | undefined;
  let wake: (() => void) | undefined;
  let watch: ProcessWatch | undefined;
  let matchers: MatcherSet | undefined;
  let watched: string | undefined;
  let channel: TrayChannel | undefined;
  const releaseOnExit = () => lock?.releaseSync();
  process.on('exit', releaseOnExit);

  const setWatchList = (processes: string[]) => {
    const key = JSON.stringify(processes);
    if (key === watched) return;
    watched = key;
    matchers = watchMatchers(processes);
    // The new names apply to every process again; those already running are seen by the scan a policy change brings.
    watch?.reset();
  };

  /** The first hello of the run: now the state folder is known, the instance lock can be taken. Throws if it is not free. */
  const onHello = async (hello: HelloMessage): Promise<void> => {
    if (lock) return;
    if (hello.agentMode === 'machine' && !runsElevated()) throw new SupervisorError('NOT_ELEVATED', NOT_ELEVATED[o.lang]);
    if (!o.log) log = createLogger({ level: hello.logLevel, sink, fields: { pid: process.pid } });
    lock = await acquireInstanceLock(hello.stateDir, {
      lang: o.lang,
      onStale: (holder) => log.info('took over the lock of an instance that is gone', { pid: holder?.pid }),
    });
    stateDir = hello.stateDir;
    // The previous run's schedule: its watch list until the first turn is done, its backoffs for the first turn.
    const read = await readSchedule(stateDir);
    if (read.status === 'ok') {
      schedule = read.schedule;
      setWatchList(schedule.watch.processes);
    }
    if (read.status === 'invalid') log.warn('schedule file unusable; the first turn starts afresh', { reason: read.reason });
    log.info('starting', {
      version: AGENT_VERSION,
      stateDir,
      server: hello.serverUrl,
      target: o.target,
      mode: 'supervisor',
      turnBudgetMs: budgetMs,
      ...(o.overrides && Object.keys(o.overrides).length ? { intervalOverrides: o.overrides } : {}),
    });
    if (hello.agentMode === 'machine') channel = await openTrayChannel(hello.stateDir);
    if (o.target.liveProcesses)
      watch = startProcessWatch({
        os: o.target.os,
        log,
        matchers: () => matchers,
        ...(o.overrides?.watchMs !== undefined ? { intervalMs: o.overrides.watchMs } : {}),
        onEvent: (event) => {
          const { pid, name, path } = event.process;
          log.info(event.kind === 'started' ? 'banned app started' : 'banned app exited', { pid, name, path });
          scanRequest ??= `process ${event.kind}: ${name} (${pid})`;
          wake?.();
        },
      });
  };

  /** The machine service serves the employees' trays (agent/channel/); without the channel it still checks and reports. */
  const openTrayChannel = async (dir: string): Promise<TrayChannel | undefined> => {
    const { startTrayChannel, defaultChannelDir } = await import('../channel/server.js');
    try {
      return await startTrayChannel({
        dir: defaultChannelDir(),
        stateDir: dir,
        log,
        requestCheck: (why) => {
          scanRequest ??= why;
          wake?.();
        },
      });
    } catch (err) {
      log.error('tray channel not available; the agent checks and reports without it', { error: err });
      return undefined;
    }
  };

  /** Starts one turn and watches over it until it has exited. */
  const runTurn = (request: string | undefined): Promise<Outcome> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      let outcome: Outcome | undefined;
      let hello = false;
      let killed: 'budget' | 'memory' | undefined;
      let peakMiB: number | undefined;
      const child = spawn(o.turnCommand.file, o.turnCommand.args, {
        // Same process group (not detached): a kill of the group takes the turn too.
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: o.turnCommand.env ?? process.env,
      });
      const tell = (m: ToTurn) => {
        try {
          if (child.connected) child.send(m, () => {});
        } catch {
          // the turn has gone: its exit is handled below
        }
      };
      const kill = (why: 'budget' | 'memory') => {
        killed ??= why;
        child.kill('SIGKILL');
      };
      const budget = setTimeout(() => kill('budget'), budgetMs);
      const memory =
        process.platform === 'linux'
          ? setInterval(() => {
              const mib = child.pid ? rssMiB(child.pid) : undefined;
              if (mib !== undefined) peakMiB = Math.max(peakMiB ?? 0, mib);
              if (mib !== undefined && mib > memoryLimitMiB) kill('memory');
            }, 1_000)
          : undefined;
      let stopTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        tell({ type: 'stop' });
        stopTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      };
      o.signal.addEventListener('abort', onAbort, { once: true });

      child.on('message', (m: FromTurn) => {
        if (m?.type === 'hello') {
          hello = true;
          onHello(m).then(
            () => {
              if (o.signal.aborted) return tell({ type: 'stop' });
              tell({
                type: 'turn',
                stateDir: stateDir!,
                schedule,
                ...(unsaved !== undefined ? { unsaved } : {}),
                ...(request !== undefined ? { scanRequest: request } : {}),
                firstOfRun,
                supervisor: { pid: process.pid, startedAt: startedAt.toISOString() },
                budgetMs,
              });
            },
            (error: unknown) => {
              outcome ??= { kind: 'refused', error };
              tell({ type: 'stop' });
            },
          );
        } else if (m?.type === 'result') outcome ??= { kind: 'result', message: m, ms: Date.now() - t0, pid: child.pid! };
        else if (m?.type === 'busy') outcome ??= { kind: 'busy', ...(m.holderPid ? { holderPid: m.holderPid } : {}) };
      });
      let settled = false;
      const finish = (code: number | null, signal: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(budget);
        if (memory) clearInterval(memory);
        if (stopTimer) clearTimeout(stopTimer);
        o.signal.removeEventListener('abort', onAbort);
        resolve(
          outcome ?? {
            kind: 'failed',
            why: killed ?? 'crash',
            ...(child.pid ? { pid: child.pid } : {}),
            code,
            signal,
            hello,
            ...(peakMiB !== undefined ? { rssMiB: Math.round(peakMiB) } : {}),
          },
        );
      };
      // 'close', not 'exit': it comes after the IPC channel is drained, so a result sent just before exiting is in.
      child.on('close', finish);
      child.on('error', (err) => {
        if (child.pid !== undefined) return log.warn('turn process error', { turn: child.pid, error: err });
        log.error('cannot start a turn', { error: err, command: o.turnCommand.file });
        finish(null, null);
      });
    });

  /** Until `until`, the stop, or a watch hit that may start a turn now (see WATCH_TURN_LIMIT). */
  const sleep = async (until: number): Promise<void> => {
    for (;;) {
      const now = Date.now();
      if (o.signal.aborted || now >= until) return;
      if (scanRequest === undefined) await nap(until);
      else {
        const allowedAt = watchTurns.availableAt(now);
        if (now >= allowedAt) return;
        await nap(Math.min(until, allowedAt));
      }
    }
  };

  /** One wait, ended early by the watch (`wake`) or the stop. */
  const nap = (until: number): Promise<void> => {
    const ms = Math.max(0, until - Date.now());
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      // setTimeout's limit is 2^31-1 ms (~24.8 days); a longer wait simply wakes up once more.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      o.signal.addEventListener('abort', done, { once: true });
      wake = done;
    });
  };

  try {
    while (!o.signal.aborted) {
      if (stateDir && !(await waitUntilNoTurn(stateDir, { log, signal: o.signal, said: saidWaiting }))) break;
      saidWaiting = false;
      const request = scanRequest;
      scanRequest = undefined;
      if (request !== undefined) watchTurns.take();
      const outcome = await runTurn(request);
      let retryAt = Infinity;
      switch (outcome.kind) {
        case 'result': {
          const checked = checkSchedule(outcome.message.schedule);
          if (!checked.ok) throw new SupervisorError('TURN_PROTOCOL', `a turn answered with an invalid ${checked.reason}`);
          schedule = checked.schedule;
          unsaved = outcome.message.unsaved;
          firstOfRun = false;
          failures = 0;
          setWatchList(schedule.watch.processes);
          log.info('turn done', { turn: outcome.pid, ms: outcome.ms, ...outcome.message.usage });
          break;
        }
        case 'busy':
          // A turn of an earlier run (its supervisor was killed) still holds the turn lock: wait for it, then try again.
          log.info('a turn of an earlier run is still at work; waiting for it to finish', { pid: outcome.holderPid });
          saidWaiting = true;
          scanRequest ??= request;
          retryAt = Date.now() + 200;
          break;
        case 'refused':
          throw outcome.error;
        case 'failed': {
          scanRequest ??= request;
          if (!lock && !outcome.hello && outcome.code === 2)
            // The turn could not even resolve the config (invalid managed settings): it said why on stderr.
            throw new SupervisorError('START_FAILED', 'the background agent cannot start; see the message above');
          failures++;
          const wait = Math.min(crashCapMs, CRASH_BACKOFF.baseMs * 2 ** (failures - 1));
          retryAt = Date.now() + wait;
          const fields = {
            turn: outcome.pid,
            code: outcome.code,
            signal: outcome.signal,
            retryInMs: wait,
            failures,
            ...(outcome.rssMiB !== undefined ? { rssMiB: outcome.rssMiB } : {}),
          };
          if (outcome.why === 'budget') log.error('turn ran past its time budget; killed', { ...fields, budgetMs });
          else if (outcome.why === 'memory')
            log.error('turn ran away with memory; killed', { ...fields, limitMiB: memoryLimitMiB });
          else if (!o.signal.aborted) log.error('turn failed; retrying with backoff', fields);
          break;
        }
      }
      if (o.signal.aborted) break;
      // After a failure the backoff decides, not the schedule (the work that failed is still due); the watch can wake it.
      await sleep(retryAt !== Infinity ? retryAt : schedule ? nextWake(schedule) : Infinity);
    }
  } finally {
    watch?.stop();
    await channel?.close().catch(() => {});
    if (lock && stateDir) {
      // No turn runs now (ours has exited; one of an earlier run would hold the turn lock): the stop can be recorded.
      const busy = await liveLockHolder(stateDir, STATE_FILES.turnLock);
      if (!busy)
        await markStateStopped(stateDir, new Date()).catch((err: unknown) =>
          log.warn('stop not recorded in the state file', { error: describeError(err) }),
        );
      log.info('stopped', { queued: schedule?.delivery.queued ?? 0, pending: schedule?.delivery.pending ?? 0 });
      await lock.release().catch(() => {});
    }
    process.off('exit', releaseOnExit);
  }
}

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Lang, OsName } from '../../protocol/index.js';
import { AppwachtError, describeError } from '../errors.js';
import { createLogger, fileSink, stderrSink, type Logger } from '../log.js';
import { acquireInstanceLock, liveLockHolder, type InstanceLock } from '../state/lock.js';
import type { TrayChannel } from '../channel/server.js';
import { NOT_ELEVATED, runsElevated } from '../service/machine-mode.js';
import { AGENT_VERSION } from '../version.js';
import type { IntervalOverrides } from './intervals.js';
import { TurnDriver, type TurnOutcome } from './driver.js';
import { checkSchedule, readSchedule } from './schedule.js';
import { markStateStopped } from './state-file.js';
import { waitUntilNoTurn } from './turn-lock.js';
import { type FromTurn, type HelloMessage, type ResultMessage, type ToTurn } from './turn-protocol.js';
import { STATE_FILES } from '../state/names.js';

/*
 * MEMORY: this module and everything it imports stay resident for as long as the laptop runs, so it imports only the
 * modules agent/runtime/README.md lists (and says why); all real work happens in short-lived turn processes. The
 * tests resident-modules.test.ts and supervisor-imports.test.ts fail when another module creeps in.
 */

/** A turn is killed after this long (a hung server, a hung helper): the next one starts with backoff. */
export const DEFAULT_TURN_BUDGET_MS = 5 * 60_000;
/** …or when it holds more than this (a full scan of a real laptop peaks at ~90 MiB). Linux only: read from /proc. */
export const DEFAULT_TURN_MEMORY_LIMIT_MIB = 512;
/**
 * Node flags for the turn processes alone (the supervisor runs without them), put before the turn command's own.
 * MEMORY (issue 12: a scan turn ≤ 70 MiB peak RSS): a turn runs for a fraction of a second, so V8's optimizing compilers
 * cost it memory (their code and the executable pages of the node binary they touch) and gain it nothing. One turn
 * that refreshes, scans and reports against the real server (bench/turn.ts, node 24, load ~2.4, medians of 10):
 *   no flags                                 88.1 MiB peak RSS, 202 ms CPU
 *   --jitless                                78.0 MiB,          207 ms
 *   --jitless --max-semi-space-size=1        72.3 MiB,          211 ms   (young generation 1 MiB instead of growing)
 * Both are documented Node flags, also allowed in NODE_OPTIONS. --lite-mode (71.0 MiB) is not allowed there and gains
 * nothing more. --jitless also turns WebAssembly off, which undici (the transport through a proxy) needs: a turn that
 * says so in its hello (needsWasm) is started again without these flags, and so are the turns after it.
 */
export const TURN_NODE_FLAGS: readonly string[] = ['--jitless', '--max-semi-space-size=1'];
/** After a stop message, a turn has this long to finish its step before it is killed. */
const STOP_GRACE_MS = 30_000;
/** A turn of an earlier run holds the turn lock: look again this soon. */
const BUSY_RETRY_MS = 200;

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
  /** How many turns the process watch may ask for (default driver.ts WATCH_TURN_LIMIT). */
  watchTurnLimit?: { burst: number; refillMs: number };
  /** Node flags for the turns alone (default TURN_NODE_FLAGS), dropped for a turn that needs WebAssembly. */
  turnNodeFlags?: readonly string[];
}

/** How a turn process ended, as the supervisor saw it. */
type TurnExit =
  | { kind: 'result'; message: ResultMessage; ms: number; pid: number }
  | { kind: 'busy'; holderPid?: number }
  | { kind: 'refused'; error: unknown }
  /** Started with the turn flags, it said it needs WebAssembly: told to stop before its work, to be started without. */
  | { kind: 'needs-wasm' }
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
  await new Supervisor(o).run();
}

/** What runSupervisor holds between turns; one method per thing it does. */
class Supervisor {
  private readonly startedAt = new Date();
  private readonly sink: (line: string) => void;
  private log: Logger;
  private readonly budgetMs: number;
  private readonly memoryLimitMiB: number;
  private readonly driver: TurnDriver;
  /** The instance lock and the state folder, from the first turn's hello on. */
  private held: { lock: InstanceLock; stateDir: string } | undefined;
  /** The state a turn could not write (full disk), for the next turn. */
  private unsaved: unknown;
  private firstOfRun = true;
  /** "Waiting for a turn of an earlier run" was said (once per wait). */
  private saidWaiting = false;
  /** The machine service's channel to the employees' trays (agent/channel/). */
  private channel: TrayChannel | undefined;
  /** Whether the next turn gets the turn flags: not while the turns need WebAssembly (a proxy), as the last hello said. */
  private flagged = true;
  private readonly releaseOnExit = () => this.held?.lock.releaseSync();

  constructor(private readonly o: SupervisorOptions) {
    this.sink = o.logFile ? fileSink(o.logFile) : stderrSink;
    this.log = o.log ?? createLogger({ level: 'info', sink: this.sink, fields: { pid: process.pid } });
    this.budgetMs = o.turnBudgetMs ?? DEFAULT_TURN_BUDGET_MS;
    this.memoryLimitMiB = o.turnMemoryLimitMiB ?? DEFAULT_TURN_MEMORY_LIMIT_MIB;
    this.driver = new TurnDriver({
      ...(o.overrides?.retryMaxMs !== undefined ? { retryMaxMs: o.overrides.retryMaxMs } : {}),
      ...(o.watchTurnLimit ? { watchTurnLimit: o.watchTurnLimit } : {}),
    });
  }

  async run(): Promise<void> {
    process.on('exit', this.releaseOnExit);
    try {
      await this.driver.run(this.o.signal, (request) => this.turn(request));
    } finally {
      await this.stopped();
      process.off('exit', this.releaseOnExit);
    }
  }

  /** One turn, as the driver sees it. */
  private async turn(request: string | undefined): Promise<TurnOutcome> {
    const { signal } = this.o;
    if (this.held && !(await waitUntilNoTurn(this.held.stateDir, { log: this.log, signal, said: this.saidWaiting })))
      return { kind: 'stopped' };
    this.saidWaiting = false;
    const flags = this.flagged ? (this.o.turnNodeFlags ?? TURN_NODE_FLAGS) : [];
    const { turnCommand } = this.o;
    const exit = await watchTurnProcess({
      command: { ...turnCommand, args: [...flags, ...turnCommand.args] },
      budgetMs: this.budgetMs,
      memoryLimitMiB: this.memoryLimitMiB,
      signal,
      log: this.log,
      onHello: async (hello) => {
        await this.onHello(hello);
        if (signal.aborted) return { type: 'stop' };
        this.flagged = hello.needsWasm !== true;
        return hello.needsWasm && flags.length > 0 ? 'needs-wasm' : this.turnMessage(request);
      },
    });
    switch (exit.kind) {
      case 'needs-wasm':
        this.log.info('the turns go through a proxy (undici needs WebAssembly): started again without their node flags', {
          flags,
        });
        return { kind: 'wait', ms: 0 };
      case 'result':
        return this.finished(exit);
      case 'busy':
        // A turn of an earlier run (its supervisor was killed) still holds the turn lock: wait for it, then try again.
        this.log.info('a turn of an earlier run is still at work; waiting for it to finish', { pid: exit.holderPid });
        this.saidWaiting = true;
        return { kind: 'wait', ms: BUSY_RETRY_MS };
      case 'refused':
        throw exit.error;
      case 'failed':
        return this.failed(exit);
    }
  }

  /** The first hello of the run: now the state folder is known, the instance lock can be taken. Throws if it is not free. */
  private async onHello(hello: HelloMessage): Promise<void> {
    if (this.held) return;
    if (hello.agentMode === 'machine' && !runsElevated()) throw new SupervisorError('NOT_ELEVATED', NOT_ELEVATED[this.o.lang]);
    if (!this.o.log) this.log = createLogger({ level: hello.logLevel, sink: this.sink, fields: { pid: process.pid } });
    const lock = await acquireInstanceLock(hello.stateDir, {
      lang: this.o.lang,
      onStale: (holder) => this.log.info('took over the lock of an instance that is gone', { pid: holder?.pid }),
    });
    this.held = { lock, stateDir: hello.stateDir };
    // The previous run's schedule: its watch list until the first turn is done, its backoffs for the first turn.
    const read = await readSchedule(hello.stateDir);
    if (read.status === 'ok') this.driver.takeSchedule(read.schedule);
    if (read.status === 'invalid') this.log.warn('schedule file unusable; the first turn starts afresh', { reason: read.reason });
    const { overrides, target } = this.o;
    this.log.info('starting', {
      version: AGENT_VERSION,
      stateDir: hello.stateDir,
      server: hello.serverUrl,
      target,
      mode: 'supervisor',
      turnBudgetMs: this.budgetMs,
      ...(overrides && Object.keys(overrides).length ? { intervalOverrides: overrides } : {}),
    });
    if (hello.agentMode === 'machine') this.channel = await this.openTrayChannel(hello.stateDir);
    this.driver.startWatch({
      ...target,
      log: this.log,
      ...(overrides?.watchMs !== undefined ? { intervalMs: overrides.watchMs } : {}),
    });
  }

  /** The machine service serves the employees' trays (agent/channel/); without the channel it still checks and reports. */
  private async openTrayChannel(stateDir: string): Promise<TrayChannel | undefined> {
    const { startTrayChannel, defaultChannelDir } = await import('../channel/server.js');
    try {
      return await startTrayChannel({
        dir: defaultChannelDir(),
        stateDir,
        log: this.log,
        requestCheck: (why) => this.driver.requestScan(why),
      });
    } catch (err) {
      this.log.error('tray channel not available; the agent checks and reports without it', { error: err });
      return undefined;
    }
  }

  private turnMessage(request: string | undefined): ToTurn {
    if (!this.held) throw new SupervisorError('TURN_PROTOCOL', 'a turn was let work before the instance lock was taken');
    return {
      type: 'turn',
      stateDir: this.held.stateDir,
      schedule: this.driver.schedule,
      ...(this.unsaved !== undefined ? { unsaved: this.unsaved } : {}),
      ...(request !== undefined ? { scanRequest: request } : {}),
      firstOfRun: this.firstOfRun,
      supervisor: { pid: process.pid, startedAt: this.startedAt.toISOString() },
      budgetMs: this.budgetMs,
    };
  }

  private finished(exit: Extract<TurnExit, { kind: 'result' }>): TurnOutcome {
    const checked = checkSchedule(exit.message.schedule);
    if (!checked.ok) throw new SupervisorError('TURN_PROTOCOL', `a turn answered with an invalid ${checked.reason}`);
    this.unsaved = exit.message.unsaved;
    this.firstOfRun = false;
    this.log.info('turn done', { turn: exit.pid, ms: exit.ms, ...exit.message.usage });
    return { kind: 'done', schedule: checked.schedule };
  }

  private failed(exit: Extract<TurnExit, { kind: 'failed' }>): TurnOutcome {
    if (!this.held && !exit.hello && exit.code === 2)
      // The turn could not even resolve the config (invalid managed settings): it said why on stderr.
      throw new SupervisorError('START_FAILED', 'the background agent cannot start; see the message above');
    return {
      kind: 'failed',
      report: ({ inMs, failures }) => {
        const fields = {
          turn: exit.pid,
          code: exit.code,
          signal: exit.signal,
          retryInMs: inMs,
          failures,
          ...(exit.rssMiB !== undefined ? { rssMiB: exit.rssMiB } : {}),
        };
        if (exit.why === 'budget')
          this.log.error('turn ran past its time budget; killed', { ...fields, budgetMs: this.budgetMs });
        else if (exit.why === 'memory')
          this.log.error('turn ran away with memory; killed', { ...fields, limitMiB: this.memoryLimitMiB });
        else if (!this.o.signal.aborted) this.log.error('turn failed; retrying with backoff', fields);
      },
    };
  }

  /** After the last turn: the stop recorded (when no turn runs), the lock released. */
  private async stopped(): Promise<void> {
    await this.channel?.close().catch(() => {});
    if (!this.held) return;
    const { lock, stateDir } = this.held;
    // No turn runs now (ours has exited; one of an earlier run would hold the turn lock): the stop can be recorded.
    const busy = await liveLockHolder(stateDir, STATE_FILES.turnLock);
    if (!busy)
      await markStateStopped(stateDir, new Date()).catch((err: unknown) =>
        this.log.warn('stop not recorded in the state file', { error: describeError(err) }),
      );
    const schedule = this.driver.schedule;
    this.log.info('stopped', { queued: schedule?.delivery.queued ?? 0, pending: schedule?.delivery.pending ?? 0 });
    await lock.release().catch(() => {});
  }
}

/** Starts one turn process and watches over it (budget, memory, stop) until it has exited. */
function watchTurnProcess(w: {
  command: SupervisorOptions['turnCommand'];
  budgetMs: number;
  memoryLimitMiB: number;
  signal: AbortSignal;
  log: Logger;
  /**
   * The turn said hello: what to tell it (work or stop); throwing refuses it (another instance runs); 'needs-wasm': it
   * is told to stop, to be started again without the turn flags.
   */
  onHello: (hello: HelloMessage) => Promise<ToTurn | 'needs-wasm'>;
}): Promise<TurnExit> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let exit: TurnExit | undefined;
    let hello = false;
    let killed: 'budget' | 'memory' | undefined;
    let peakMiB: number | undefined;
    const child = spawn(w.command.file, w.command.args, {
      // Same process group (not detached): a kill of the group takes the turn too.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: w.command.env ?? process.env,
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
    const budget = setTimeout(() => kill('budget'), w.budgetMs);
    const memory =
      process.platform === 'linux'
        ? setInterval(() => {
            const mib = child.pid ? rssMiB(child.pid) : undefined;
            if (mib !== undefined) peakMiB = Math.max(peakMiB ?? 0, mib);
            if (mib !== undefined && mib > w.memoryLimitMiB) kill('memory');
          }, 1_000)
        : undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      tell({ type: 'stop' });
      stopTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    w.signal.addEventListener('abort', onAbort, { once: true });

    child.on('message', (m: FromTurn) => {
      if (m?.type === 'hello') {
        hello = true;
        w.onHello(m).then(
          (answer) => {
            if (answer !== 'needs-wasm') return tell(answer);
            exit ??= { kind: 'needs-wasm' };
            tell({ type: 'stop' });
          },
          (error: unknown) => {
            exit ??= { kind: 'refused', error };
            tell({ type: 'stop' });
          },
        );
      } else if (m?.type === 'result' && child.pid !== undefined)
        exit ??= { kind: 'result', message: m, ms: Date.now() - t0, pid: child.pid };
      else if (m?.type === 'busy') exit ??= { kind: 'busy', ...(m.holderPid ? { holderPid: m.holderPid } : {}) };
    });
    let settled = false;
    const finish = (code: number | null, signal: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(budget);
      if (memory) clearInterval(memory);
      if (stopTimer) clearTimeout(stopTimer);
      w.signal.removeEventListener('abort', onAbort);
      resolve(
        exit ?? {
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
      if (child.pid !== undefined) return w.log.warn('turn process error', { turn: child.pid, error: err });
      w.log.error('cannot start a turn', { error: err, command: w.command.file });
      finish(null, null);
    });
  });
}

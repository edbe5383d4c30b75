import { resolveConfig, type EffectiveConfig, type ResolveOptions } from '../config/resolve.js';
import type { ConfigKey } from '../config/schema.js';
import { UsageError, describeError } from '../errors.js';
import { createLogger, fileSink, stderrSink, type Logger } from '../log.js';
import { usesProxy } from '../transport/proxy.js';
import { AGENT_VERSION } from '../version.js';
import { openTurnOptions, type AgentWiring } from './context.js';
import { emptySchedule, writeSchedule, type Schedule } from './schedule.js';
import { RuntimeStateStore } from './state.js';
import { UNWRITTEN_TURN_LOCK, takeTurnLock, type HeldTurnLock } from './turn-lock.js';
import type { FromTurn, ToTurn, TurnMessage } from './turn-protocol.js';
import { TurnRunner } from './turn.js';

export interface TurnProcessOptions extends AgentWiring {
  /** Aborted on SIGTERM/SIGINT (the CLI). */
  signal: AbortSignal;
  cli?: Partial<Record<ConfigKey, string>>;
  logFile?: string;
  resolve?: (options: ResolveOptions) => Promise<EffectiveConfig>;
}

/** After its budget plus this, a turn whose supervisor could not kill it (the supervisor is gone) ends itself. */
const SELF_KILL_GRACE_MS = 10_000;
/** Everything done: whatever still holds the event loop (a notification helper, a socket) gets this long. */
const EXIT_GRACE_MS = 2_000;

/**
 * Which state a turn continues from, and whether committed reports in it are announced as recovered.
 *
 * - A state handed over in memory (the previous turn could not write the file: full disk) wins when it is further along
 *   than the file (`seq` counts saves, failed ones included). When the file is further along, a turn since wrote it (one
 *   the supervisor lost track of, e.g. killed after its commit) and the handed-over copy is stale: taking it would report
 *   that turn's transition a second time under a new id.
 * - From the file: its reports in `pending` were committed by a turn that did not finish (the file's save count is not
 *   the one the last finished turn handed over), or this is a new run: they are announced.
 */
export function continueFrom(input: {
  loaded: RuntimeStateStore;
  /** The save count of the state file as read; undefined when there was none (missing, corrupt, unreadable). */
  fileSeq: number | undefined;
  handed: RuntimeStateStore | undefined;
  schedule: Schedule;
  firstOfRun: boolean;
}): { store: RuntimeStateStore; announcePending: boolean } {
  const { loaded, fileSeq, handed, schedule, firstOfRun } = input;
  if (handed && (handed.state.seq ?? 0) > (fileSeq ?? -1)) return { store: handed, announcePending: firstOfRun };
  return { store: loaded, announcePending: firstOfRun || (fileSeq ?? 0) !== schedule.stateSeq };
}

/** Whether the transport will go through a proxy (undici: WebAssembly); a proxy that is no URL fails the turn anyway. */
function needsProxy(proxy: string | undefined, env: NodeJS.ProcessEnv): boolean {
  try {
    return usesProxy({ ...(proxy !== undefined ? { proxy } : {}), env });
  } catch {
    return false;
  }
}

function send(message: FromTurn): Promise<boolean> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve(false);
    try {
      process.send(message, undefined, {}, (err) => resolve(!err));
    } catch {
      resolve(false); // the channel closed meanwhile: the supervisor is gone
    }
  });
}

/**
 * `appwacht run --turn`: one turn of the background agent as a short-lived child of the supervisor (supervisor.ts;
 * the messages: turn-protocol.ts). It resolves the config and says hello, gets its work, takes the turn lock, loads the
 * state (or the one the supervisor hands over after a full disk), runs the turn (turn.ts), writes the schedule, answers
 * with it and exits. SIGTERM or a stop message end the turn after its current step, with the state saved. A turn whose
 * supervisor is gone (the channel closed) finishes its work and exits; the next supervisor waits for it.
 */
export async function runTurnProcess(options: TurnProcessOptions): Promise<void> {
  if (!process.send) throw new UsageError('"appwacht run --turn" is started by "appwacht run" itself');
  const abort = new AbortController();
  const stop = () => abort.abort();
  options.signal.addEventListener('abort', stop, { once: true });
  // The CLI's own handler runs once; a second SIGTERM (a group kill plus the supervisor's stop) must not cut a write short.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, stop);

  let work: (value: TurnMessage | undefined) => void = () => {};
  const gotWork = new Promise<TurnMessage | undefined>((resolve) => (work = resolve));
  const onMessage = (m: ToTurn) => {
    if (m?.type === 'turn') work(m);
    else if (m?.type === 'stop') {
      work(undefined);
      stop();
    }
  };
  // The supervisor is gone (killed): a turn that has its work finishes it (bounded by its own budget; the next
  // supervisor waits for its turn lock), one that has not yet got it has nothing to do.
  let log: Logger | undefined;
  let working = false;
  const onDisconnect = () => {
    work(undefined);
    if (working) log?.info('the supervisor is gone; finishing this turn alone');
  };
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);

  let lock: HeldTurnLock | undefined;
  const releaseOnExit = () => lock?.releaseSync();
  process.on('exit', releaseOnExit);
  let close: (() => Promise<void>) | undefined;
  try {
    const resolve = options.resolve ?? resolveConfig;
    const resolved = await resolve({ env: options.env, cli: options.cli ?? {}, tolerateUserErrors: true });
    const { config } = resolved;
    log = createLogger({
      level: config.logLevel,
      sink: options.logFile ? fileSink(options.logFile) : stderrSink,
      fields: { pid: process.pid },
    });
    await send({
      type: 'hello',
      stateDir: config.stateDir,
      logLevel: config.logLevel,
      serverUrl: config.serverUrl ?? null,
      agentMode: config.agentMode ?? 'user',
      needsWasm: Boolean(config.serverUrl) && needsProxy(config.proxy, options.env),
    });
    const message = await gotWork;
    if (!message || abort.signal.aborted) return;
    working = true;
    const turnLog = log.child({ supervisor: message.supervisor.pid });
    log = turnLog;
    // Said by the first turn of a run only: every turn resolves the config afresh and would repeat them.
    if (message.firstOfRun) for (const w of resolved.warnings) turnLog.warn('config', { warning: w.en });
    setTimeout(() => {
      turnLog.error('turn ran past its time budget and its supervisor did not end it; exiting', { budgetMs: message.budgetMs });
      process.exit(70);
    }, message.budgetMs + SELF_KILL_GRACE_MS).unref();

    const { stateDir } = message;
    const taken = await takeTurnLock(stateDir);
    if (taken.status === 'busy') {
      log.debug('another turn holds the turn lock; handing back', { holder: taken.holder?.pid });
      await send({ type: 'busy', ...(taken.holder ? { holderPid: taken.holder.pid } : {}) });
      return;
    }
    // Disk full: the lock file cannot be written. The supervisor started this turn alone and checked that no turn of an
    // earlier run holds the lock, so it goes on (the full disk itself is said by the state file's error).
    lock = taken.status === 'taken' ? taken.lock : UNWRITTEN_TURN_LOCK;
    if (taken.status === 'unwritable') log.debug('turn lock not written (disk full); going on', { error: taken.error });

    // A new run starts from the previous run's schedule for its backoffs only, and says its problems afresh.
    const schedule: Schedule = message.schedule
      ? message.firstOfRun
        ? { ...message.schedule, said: { unknownApps: [] } }
        : message.schedule
      : emptySchedule();
    const loaded = await RuntimeStateStore.load(stateDir, {
      log,
      agentVersion: AGENT_VERSION,
      pid: message.supervisor.pid,
      startedAt: new Date(message.supervisor.startedAt),
      continueRun: !message.firstOfRun,
    });
    let handed: RuntimeStateStore | undefined;
    if (message.unsaved !== undefined) {
      try {
        handed = RuntimeStateStore.handedOver(stateDir, message.unsaved);
      } catch (err) {
        log.error('state handed over by the supervisor is invalid; continuing from the file', { error: err });
      }
    }
    const { store, announcePending } = continueFrom({
      loaded: loaded.store,
      fileSeq: loaded.previous ? (loaded.previous.seq ?? 0) : undefined,
      handed,
      schedule,
      firstOfRun: message.firstOfRun,
    });

    const wired = await openTurnOptions({ ...config, stateDir }, store, log, options, schedule);
    close = wired.close;
    const cpu0 = process.cpuUsage();
    const result = await new TurnRunner(wired.options).run({
      schedule,
      ...(message.scanRequest !== undefined ? { scanRequest: message.scanRequest } : {}),
      firstOfRun: message.firstOfRun,
      announcePending,
      signal: abort.signal,
    });
    try {
      await writeSchedule(stateDir, result.schedule);
    } catch (err) {
      // The supervisor keeps it in memory; the file only matters after a restart. A full disk is said once already.
      if (!result.schedule.said.stateFile) log.warn('schedule file not written', { error: describeError(err) });
    }
    const cpu = process.cpuUsage(cpu0);
    const total = process.cpuUsage();
    await send({
      type: 'result',
      schedule: result.schedule,
      ...(result.stateSaved ? {} : { unsaved: store.state }),
      usage: {
        // What the turn itself cost, start-up included (process.cpuUsage() counts from the process start).
        cpuMs: Math.round((total.user + total.system) / 1000),
        workCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        maxRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
        ...(result.trigger !== undefined ? { trigger: result.trigger } : {}),
      },
    });
  } finally {
    await close?.();
    await lock?.release().catch(() => {});
    process.off('exit', releaseOnExit);
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
    if (process.connected) process.disconnect();
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  }
}

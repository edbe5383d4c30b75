import { resolveConfig, type EffectiveConfig, type ResolveOptions } from '../config/resolve.js';
import type { ConfigKey } from '../config/schema.js';
import { createLogger, fileSink, stderrSink, type Logger } from '../log.js';
import { acquireInstanceLock } from '../state/lock.js';
import { AGENT_VERSION } from '../version.js';
import { openTurnOptions, type AgentWiring } from './context.js';
import { AgentLoop } from './loop.js';
import { emptySchedule } from './schedule.js';
import { RuntimeStateStore } from './state.js';
import { waitForTurnLock, type HeldTurnLock } from './turn-lock.js';

export interface RunAgentOptions extends AgentWiring {
  signal: AbortSignal;
  /** Config values from flags. */
  cli?: Partial<Record<ConfigKey, string>>;
  /** Log file (appended); default stderr. */
  logFile?: string;
  /** A logger to use instead (tests, the Electron host); the config's log level does not apply to it. */
  log?: Logger;
  /** Injectable for tests and the Electron host. */
  resolve?: (options: ResolveOptions) => Promise<EffectiveConfig>;
  /** Called once the loop runs, with what a host may ask of it (the Electron app's "Check now"). */
  onLoop?: (loop: { requestScan(reason: string): void; readonly stateDir: string }) => void;
}

/**
 * The background agent in this process (the Electron app; `appwacht run --single-process`; tests): config → instance lock →
 * turn lock → state → turns (AgentLoop) and the process watch. `appwacht run` itself runs the same turns from a small
 * supervisor process instead (supervisor.ts), to keep what stays resident small.
 *
 * Returns when `signal` aborts, after the turn at work has finished its step, the state is saved and the locks released.
 * Throws only for what makes running pointless: invalid managed config (ConfigError) or another instance
 * (InstanceLockError ALREADY_RUNNING) — the CLI turns both into exit code 2.
 */
export async function runAgent(options: RunAgentOptions): Promise<void> {
  const resolve = options.resolve ?? resolveConfig;
  const overrides = options.overrides ?? {};
  const resolved = await resolve({ env: options.env, cli: options.cli ?? {}, tolerateUserErrors: true });
  const { config } = resolved;
  const log: Logger =
    options.log ??
    createLogger({
      level: config.logLevel,
      sink: options.logFile ? fileSink(options.logFile) : stderrSink,
      fields: { pid: process.pid },
    });
  for (const w of resolved.warnings) log.warn('config', { warning: w.en });

  const lock = await acquireInstanceLock(config.stateDir, {
    lang: options.lang,
    onStale: (holder) => log.info('took over the lock of an instance that is gone', { pid: holder?.pid }),
  });
  let turnLock: HeldTurnLock | undefined;
  const releaseOnExit = () => {
    turnLock?.releaseSync();
    lock.releaseSync();
  };
  process.on('exit', releaseOnExit);

  let close: (() => Promise<void>) | undefined;
  try {
    // A turn of an earlier `appwacht run` whose supervisor was killed may still be at work: it finishes first.
    turnLock = await waitForTurnLock(config.stateDir, { log, signal: options.signal });
    if (!turnLock) return;
    const { store } = await RuntimeStateStore.load(config.stateDir, { log, agentVersion: AGENT_VERSION });
    log.info('starting', {
      version: AGENT_VERSION,
      stateDir: config.stateDir,
      server: config.serverUrl ?? null,
      target: options.target,
      mode: 'single-process',
      ...(Object.keys(overrides).length ? { intervalOverrides: overrides } : {}),
    });
    const wired = await openTurnOptions(config, store, log, options, emptySchedule());
    close = wired.close;

    const loop = new AgentLoop({ ...wired.options, target: options.target });
    options.onLoop?.({ requestScan: (reason) => loop.requestScan(reason), stateDir: config.stateDir });
    await loop.run(options.signal);
  } finally {
    await close?.();
    await turnLock?.release().catch(() => {});
    await lock.release().catch(() => {});
    process.off('exit', releaseOnExit);
  }
}

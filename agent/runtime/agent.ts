import type { HostFacts, Lang } from '../../protocol/index.js';
import { resolveConfig, type EffectiveConfig, type ResolveOptions } from '../config/resolve.js';
import type { AgentConfig, ConfigKey } from '../config/schema.js';
import { createServerConnection } from '../enroll/enroll.js';
import { collectHostFacts } from '../enroll/host-facts.js';
import { createFileTokenStore, type TokenStore } from '../enroll/token-store.js';
import { createLogger, fileSink, stderrSink, type Logger } from '../log.js';
import type { Notifier } from '../notify/port.js';
import { createPolicyClient } from '../policy/client.js';
import { compilePolicy } from '../policy/evaluate.js';
import type { MatcherSet } from '../policy/match.js';
import { createFilePolicyStore } from '../policy/store.js';
import { acquireInstanceLock } from '../state/lock.js';
import type { HttpTransport } from '../transport/http.js';
import { AGENT_VERSION } from '../version.js';
import { enrollmentBackoff, reportBackoff, type IntervalOverrides } from './intervals.js';
import { AgentLoop, type LoopServer } from './loop.js';
import { startProcessWatch, type ProcessWatch } from './process-watch.js';
import { scanTarget, type ScanTarget } from './scan-target.js';
import { RuntimeStateStore, outboxDir, problem } from './state.js';

export interface RunAgentOptions {
  env: NodeJS.ProcessEnv;
  /** The CLI's language (flag or locale); the config's `language` wins for notifications. */
  lang: Lang;
  signal: AbortSignal;
  /** Config values from flags. */
  cli?: Partial<Record<ConfigKey, string>>;
  target: ScanTarget;
  overrides?: IntervalOverrides;
  /** false: no desktop notifications (servers, tests). */
  notifications?: boolean;
  /** Log file (appended); default stderr. */
  logFile?: string;
  /** A logger to use instead (tests, the Electron host); the config's log level does not apply to it. */
  log?: Logger;
  /** Injectable for tests and the Electron host (its Notification, net.fetch with the OS proxy and trust store, keychain). */
  resolve?: (options: ResolveOptions) => Promise<EffectiveConfig>;
  hostFacts?: () => Promise<HostFacts>;
  notifier?: Notifier;
  transport?: (config: AgentConfig) => Promise<HttpTransport>;
  tokenStore?: (stateDir: string) => TokenStore;
}

/**
 * `appwacht run`: config → instance lock → state → server connection (transport, enrollment, policy client, outbox and
 * reporter) → loop and process watch. Returns when `signal` aborts, after the loop has finished its turn, the reporter
 * has stopped, the state is saved and the lock released. Throws only for what makes running pointless: invalid managed
 * config (ConfigError) or another instance (InstanceLockError ALREADY_RUNNING) — the CLI turns both into exit code 2.
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
  const releaseOnExit = () => lock.releaseSync();
  process.on('exit', releaseOnExit);

  let transport: HttpTransport | undefined;
  let watch: ProcessWatch | undefined;
  try {
    const { store } = await RuntimeStateStore.load(config.stateDir, { log, agentVersion: AGENT_VERSION });
    log.info('starting', {
      version: AGENT_VERSION,
      stateDir: config.stateDir,
      server: config.serverUrl ?? null,
      target: options.target,
      ...(Object.keys(overrides).length ? { intervalOverrides: overrides } : {}),
    });

    let server: LoopServer | undefined;
    if (config.serverUrl) {
      try {
        if (options.transport) transport = await options.transport(config);
        else {
          // Loaded only with a server: undici is the largest module of the agent.
          const { createHttpTransport } = await import('../transport/http.js');
          transport = await createHttpTransport({ caFile: config.caFile, proxy: config.proxy, env: options.env });
        }
      } catch (err) {
        // A CA file or proxy that cannot be used is IT's to fix; the agent still checks the device and says why it is local.
        log.error('cannot talk to the server as configured; running in local mode until restarted', { error: err });
        store.state.lastError = problem(err, new Date());
      }
      if (transport) {
        const { api, enrollment } = createServerConnection({
          serverUrl: config.serverUrl,
          secret: config.enrollmentSecret,
          fetch: transport.fetch,
          store: (options.tokenStore ?? createFileTokenStore)(config.stateDir),
          hostFacts: options.hostFacts ?? (() => collectHostFacts({ env: options.env })),
          log,
          ...(enrollmentBackoff(overrides) ? { backoff: enrollmentBackoff(overrides) } : {}),
        });
        server = {
          url: config.serverUrl,
          api,
          enrollment,
          outboxDir: outboxDir(config.stateDir),
          backoff: reportBackoff(overrides),
        };
      }
    }

    const policyClient = createPolicyClient({
      publicKey: config.policyPublicKey,
      api: server?.api,
      store: createFilePolicyStore(config.stateDir),
      log,
    });

    let notify: ConstructorParameters<typeof AgentLoop>[0]['notify'];
    if (options.notifications !== false) {
      // Loaded only when used: node-notifier and its helpers are not needed by a headless agent without a desktop.
      const { NotificationService } = await import('../notify/service.js');
      const notifier = options.notifier ?? (await import('../notify/node-notifier.js')).createNodeNotifier();
      const service = new NotificationService({
        stateDir: config.stateDir,
        notifier,
        lang: () => config.language ?? options.lang,
        log,
      });
      notify = (evaluation, policy, now) => service.onEvaluation(evaluation, policy, now);
    }

    let matchers: MatcherSet | undefined;
    const loop: AgentLoop = new AgentLoop({
      log,
      store,
      policyClient,
      server,
      notify,
      overrides,
      scan: (policy) => scanTarget(options.target, policy),
      onPolicy: (inForce) => {
        matchers = compilePolicy(inForce.policy).set;
        watch?.reset();
      },
    });

    if (options.target.liveProcesses) {
      watch = startProcessWatch({
        os: options.target.os,
        log,
        matchers: () => matchers,
        ...(overrides.watchMs !== undefined ? { intervalMs: overrides.watchMs } : {}),
        onEvent: (event) => {
          const { pid, name, path } = event.process;
          log.info(event.kind === 'started' ? 'banned app started' : 'banned app exited', { pid, name, path });
          loop.requestScan(`process ${event.kind}: ${name} (${pid})`);
        },
      });
    }

    await loop.run(options.signal);
  } finally {
    watch?.stop();
    await transport?.close().catch(() => {});
    await lock.release().catch(() => {});
    process.off('exit', releaseOnExit);
  }
}

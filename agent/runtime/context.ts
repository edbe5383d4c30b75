import type { HostFacts, Lang, Policy } from '../../protocol/index.js';
import type { EvaluationSummary } from '../report/build.js';
import type { AgentConfig } from '../config/schema.js';
import { createServerConnection } from '../enroll/enroll.js';
import { collectHostFacts } from '../enroll/host-facts.js';
import { createFileTokenStore, type TokenStore } from '../enroll/token-store.js';
import { currentOs } from '../inventory/current-os.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../notify/port.js';
import { createPolicyClient } from '../policy/client.js';
import { createFilePolicyStore } from '../policy/store.js';
import { scan, type ScanTarget } from '../scan.js';
import type { HttpTransport } from '../transport/http.js';
import { enrollmentBackoff, reportBackoff, type IntervalOverrides } from './intervals.js';
import type { Schedule } from './schedule.js';
import { problem, type RuntimeStateStore } from './state.js';
import type { TurnOptions, TurnServer } from './turn.js';
import { statePath } from '../state/names.js';
import { sayOnce, sayOver } from './said.js';

/** The parts of the agent a host may swap (the Electron app: net.fetch, keychain, its Notification) and the run's flags. */
export interface AgentWiring {
  env: NodeJS.ProcessEnv;
  /** The CLI's language (flag or locale); the config's `language` wins for notifications. */
  lang: Lang;
  target: ScanTarget;
  overrides?: IntervalOverrides;
  /** false: no desktop notifications (servers, tests). */
  notifications?: boolean;
  hostFacts?: () => Promise<HostFacts>;
  notifier?: Notifier;
  transport?: (config: AgentConfig) => Promise<HttpTransport>;
  tokenStore?: (stateDir: string) => TokenStore;
  /** Told every evaluation (the Electron app's per-user mode shows it in its window, like the tray channel's view). */
  onEvaluation?: (evaluation: EvaluationSummary, policy: Policy, at: Date) => void;
}

/**
 * Wires what a turn works with from the config: transport, server connection (enrollment, continuing the backoff the
 * schedule carries), policy client, notifications, scan. Built once per process: once for the in-process agent, once per
 * turn process. `schedule.said` is updated here (an unusable transport is said once, not on every turn).
 */
export async function openTurnOptions(
  config: AgentConfig,
  store: RuntimeStateStore,
  log: Logger,
  wiring: AgentWiring,
  schedule: Schedule,
): Promise<{ options: TurnOptions; close(): Promise<void> }> {
  const overrides = wiring.overrides ?? {};
  let transport: HttpTransport | undefined;
  let server: TurnServer | undefined;
  if (config.serverUrl) {
    try {
      if (wiring.transport) transport = await wiring.transport(config);
      else {
        // Loaded only with a server: undici is the largest module of the agent.
        const { createHttpTransport } = await import('../transport/http.js');
        transport = await createHttpTransport({ caFile: config.caFile, proxy: config.proxy, env: wiring.env });
      }
      sayOver(schedule.said, 'transport', () => log.info('the server can be reached as configured again'));
    } catch (err) {
      // A CA file or proxy that cannot be used is IT's to fix; the agent still checks the device and says why it is local.
      sayOnce(schedule.said, 'transport', describeError(err), () =>
        log.error('cannot talk to the server as configured; running in local mode until that is fixed', { error: err }),
      );
      store.state.lastError = problem(err, new Date());
    }
    if (transport) {
      const backoff = enrollmentBackoff(overrides);
      const { enrollment: e } = schedule;
      const { api, enrollment } = createServerConnection({
        serverUrl: config.serverUrl,
        secret: config.enrollmentSecret,
        fetch: transport.fetch,
        store: (wiring.tokenStore ?? createFileTokenStore)(config.stateDir),
        hostFacts: wiring.hostFacts ?? (() => collectHostFacts({ env: wiring.env })),
        log,
        ...(backoff ? { backoff } : {}),
        resume: { attempts: e.attempts, ...(e.retryAt !== null ? { retryAt: new Date(e.retryAt) } : {}) },
      });
      server = {
        url: config.serverUrl,
        api,
        enrollment,
        outboxDir: statePath(config.stateDir, 'outbox'),
        stateDir: config.stateDir,
        backoff: reportBackoff(overrides),
      };
    }
  }

  const policyClient = createPolicyClient({
    publicKey: config.policyPublicKey,
    api: server?.api,
    store: createFilePolicyStore(config.stateDir),
    log,
    ...(config.minPolicyVersion !== undefined ? { minVersion: Number(config.minPolicyVersion) } : {}),
  });

  let notify: TurnOptions['notify'];
  if (config.agentMode === 'machine') {
    // root/SYSTEM has no desktop: the trays notify, from what the tray channel serves out of this file.
    const { writeTrayView } = await import('../channel/tray-view.js');
    notify = (evaluation, policy, now) => writeTrayView(config.stateDir, evaluation, policy, now);
  } else if (wiring.notifications !== false) {
    // Loaded only when used: a headless agent without a desktop needs no notifier.
    const { NotificationService } = await import('../notify/service.js');
    const notifier = wiring.notifier ?? (await desktopNotifier());
    const service = new NotificationService({
      stateDir: config.stateDir,
      notifier,
      lang: () => config.language ?? wiring.lang,
      log,
    });
    notify = (evaluation, policy, now) => service.onEvaluation(evaluation, policy, now);
  }

  if (wiring.onEvaluation) {
    const told = wiring.onEvaluation;
    const inner = notify;
    notify = async (evaluation, policy, now) => {
      told(evaluation, policy, now);
      return inner?.(evaluation, policy, now);
    };
  }

  // Only the machine service updates: it alone may replace a per-machine install (the tray's user cannot). Its code is
  // loaded when a step is due and the signed policy enables updates; every other turn pays nothing for it.
  let update: TurnOptions['update'];
  const { policyPublicKey } = config;
  if (config.agentMode === 'machine' && server && transport && policyPublicKey) {
    const wiring = {
      stateDir: config.stateDir,
      serverUrl: server.url,
      fetch: transport.fetch,
      policyPublicKey,
      ...(config.updateChannel !== undefined ? { channel: config.updateChannel } : {}),
      log,
    };
    update = async (policy, signal) => {
      if (!policy.updates?.enabled) return null;
      const { machineUpdateStep } = await import('../update/service.js');
      return machineUpdateStep(wiring, policy, signal);
    };
  }

  return {
    options: {
      log,
      store,
      policyClient,
      ...(server ? { server } : {}),
      ...(notify ? { notify } : {}),
      ...(update ? { update } : {}),
      overrides,
      scan: (policy) => scan({ ...wiring.target, policy }),
    },
    close: async () => {
      await transport?.close().catch(() => {});
    },
  };
}

/** The headless agent's notifier for this OS: notify-send on Linux, node-notifier's bundled helpers on macOS and Windows. */
async function desktopNotifier(): Promise<Notifier> {
  const os = currentOs();
  if (os === 'linux') return (await import('../notify/notify-send.js')).createNotifySend();
  return (await import('../notify/node-notifier.js')).createNodeNotifier({ os });
}

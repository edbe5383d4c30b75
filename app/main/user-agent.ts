/**
 * Per-user mode: where no machine service is installed (a laptop set up before it, a test device), this app hosts the
 * agent itself, in its main process (agent/runtime/agent.ts `runAgent`, the "in-process host" of agent/runtime/README.md)
 * with Electron's parts in its ports: net.fetch, Notification, safeStorage.
 *
 * Why not `appwacht run` in a child: the supervisor starts each turn as a Node child of process.execPath, and the
 * packaged app's RunAsNode fuse is off (so its binary cannot be used as a Node), so that child cannot start; and
 * utilityProcess has no safeStorage. The price: reporting lasts as long as this app — which is why per-user mode is the
 * weaker one (as `appwacht status` says), quitting is offered only where IT allows it, and a stopped agent shows on the
 * server as stale.
 */
import { readFile } from 'node:fs/promises';
import { CHECK_NOW_INTERVAL_MS } from '../../agent/channel/messages.js';
import { buildStateView } from '../../agent/channel/view.js';
import { outboxQueue, readDelivered, readLadder } from '../../agent/report/last-delivered.js';
import { statePath } from '../../agent/state/names.js';
import type { Policy } from '../../protocol/index.js';
import type { EvaluationSummary } from '../../agent/report/build.js';
import type { AgentLink } from './agent-link.js';

export interface HostedAgent {
  /** Starts the agent; resolves when it stops (signal aborted). Gets the hooks the link needs. */
  run(hooks: {
    onEvaluation(e: EvaluationSummary, policy: Policy, at: Date): void;
    onLoop(loop: { requestScan(reason: string): void; readonly stateDir: string }): void;
  }): Promise<void>;
}

export function userLink(
  agent: HostedAgent,
  o: { user: string; now?: () => number; onChange?: () => void },
): AgentLink & { done: Promise<void> } {
  const now = o.now ?? Date.now;
  let loop: { requestScan(reason: string): void; readonly stateDir: string } | undefined;
  let view: object | undefined;
  let lastCheck = -Infinity;
  let stopped = false;
  const done = agent
    .run({
      onEvaluation(e, policy, at) {
        // The same shape the machine agent writes to tray-view.json, so one function builds the state for both modes.
        view = {
          at: at.toISOString(),
          policyExpiresAt: policy.expiresAt ?? null,
          support: policy.organization.support,
          message: policy.message,
          gaps: e.state.gaps ?? [],
          findings: e.findings,
        };
        o.onChange?.();
      },
      onLoop: (l) => (loop = l),
    })
    .finally(() => (stopped = true));
  return {
    mode: 'user',
    done,
    async read() {
      if (!loop) return { problem: stopped ? 'the agent stopped' : 'the agent is starting' };
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(statePath(loop.stateDir, 'runtimeState'), 'utf8'));
      } catch {
        raw = undefined; // before the first turn saved it
      }
      // The account's own agent sees only what this account may see anyway: all of it is this account's.
      const state = buildStateView(
        raw,
        view,
        { user: o.user, root: true, ownsProcess: () => true },
        !stopped,
        await readLadder(loop.stateDir),
      );
      return { state };
    },
    async readLastReport() {
      if (!loop) return { problem: stopped ? 'the agent stopped' : 'the agent is starting' };
      const [delivered, queue] = await Promise.all([readDelivered(loop.stateDir), outboxQueue(loop.stateDir)]);
      const deliveredAt = delivered.deliveredAt ?? null;
      return {
        answer: delivered.known
          ? { type: 'last-report', report: delivered.report, deliveredAt, queue }
          : { type: 'last-report', report: null, unknown: delivered.reason, deliveredAt, queue },
      };
    },
    async checkNow() {
      if (!loop || stopped) return { outcome: 'unavailable', message: 'the agent is not running' };
      const since = now() - lastCheck;
      if (since < CHECK_NOW_INTERVAL_MS) return { outcome: 'rate-limited', retryAfterMs: CHECK_NOW_INTERVAL_MS - since };
      lastCheck = now();
      loop.requestScan('tray: check now');
      return { outcome: 'accepted' };
    },
    async close() {},
  };
}

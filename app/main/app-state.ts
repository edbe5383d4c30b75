/**
 * Pure: the status window's state (app/shared/bridge.ts `AppState`) from the agent's state answer. The same facts pick
 * the tray icon (tray-model.ts), so tray and window always say the same. No electron here.
 */
import { CoverageGap, LadderView, Report, SourceKind, type Lang, type OsName } from '../../protocol/index.js';
import type { LastReportMessage, StateMessage } from '../../agent/channel/messages.js';
import type { AppFinding, AppState, HostFacts, LastReportView } from '../shared/bridge.js';
import { factsFromState, unreachableFacts } from './facts.js';
import { chooseCondition } from './tray-model.js';

export interface AppStateInput {
  /** The agent's answer; undefined when the agent could not be asked (machine agent not reachable). */
  state: StateMessage | undefined;
  mode: 'machine' | 'user';
  lang: Lang;
  os: OsName;
  now: Date;
  appVersion: string;
  check: AppState['check'];
  /** systeminformation's facts (hardware.ts), collected rarely; null until then. */
  hostFacts: HostFacts | null;
  /** The machine agent's message when it could not be reached (shown as the server/agent problem). */
  problem?: string;
}

export function buildAppState(i: AppStateInput): AppState {
  const s = i.state;
  const facts = s ? factsFromState(s, i.appVersion, i.mode) : { ...unreachableFacts(i.appVersion), mode: i.mode };
  const { condition, deadline } = chooseCondition(facts, i.now.getTime());
  return {
    condition,
    lang: i.lang,
    os: i.os,
    updatedAt: i.now.toISOString(),
    user: s?.user ?? null,
    agent: { mode: i.mode, reachable: facts.reachable, version: s?.agent.version ?? null },
    server: { url: s?.server ?? null, lastContactAt: null, lastError: i.problem ?? null },
    policy: s?.policy
      ? {
          version: s.policy.version,
          organization: s.policy.organization,
          expired: s.policy.expired,
          expiresAt: s.policy.expiresAt,
          message: s.policy.message ?? null,
        }
      : null,
    support: s?.policy?.support ?? null,
    lastCheck: s?.lastCheck
      ? {
          at: s.lastCheck.at,
          status: s.lastCheck.status,
          gaps: (s.lastCheck.gaps ?? []).flatMap((g) => {
            const ok = CoverageGap.safeParse(g);
            return ok.success ? [ok.data] : [];
          }),
          deadline: deadline ?? null,
          findings: s.lastCheck.findings.map((f): AppFinding => ({
            appId: f.appId,
            name: f.name,
            action: f.action,
            deadline: f.deadline,
            evidence: f.evidence,
            // A source kind this app does not know (a newer agent) is left out rather than shown wrong.
            installs: f.installs.flatMap((x) => {
              const source = SourceKind.safeParse(x.source);
              return source.success ? [{ ...x, source: source.data }] : [];
            }),
            processes: f.processes,
            message: null,
            containerNote: null,
          })),
        }
      : null,
    ladder: ladderOf(s),
    check: i.check,
    device: { id: s?.deviceId ?? null, facts: i.hostFacts },
  };
}

/** The server's ladder as the agent kept it; one this app does not understand (a newer server) is left out. */
function ladderOf(s: StateMessage | undefined): AppState['ladder'] {
  const view = LadderView.safeParse(s?.ladder?.view);
  const receivedAt = s?.ladder?.receivedAt;
  return view.success && typeof receivedAt === 'string' ? { view: view.data, receivedAt } : null;
}

/**
 * The window's "What is reported" from the agent's last-report answer. The payload is passed on as the agent sent it
 * (not zod's copy of it), and only when it is a report. Without one, the window still learns why (too large, unreadable,
 * other accounts) and the queue; null when nothing was delivered or queued yet.
 */
export function buildLastReport(answer: LastReportMessage | undefined): LastReportView | null {
  if (!answer) return null;
  const queue = { count: answer.queue.count, oldestAt: answer.queue.oldestAt };
  if (answer.report && Report.safeParse(answer.report).success)
    return { report: answer.report as Report, deliveredAt: answer.deliveredAt, queue };
  // A payload this app cannot read as a report is, for the window, a copy it cannot read.
  const notShown = answer.report ? 'unreadable' : answer.unknown === 'none' ? undefined : answer.unknown;
  if (!notShown && queue.count === 0) return null;
  return { report: null, ...(notShown ? { notShown } : {}), deliveredAt: answer.deliveredAt, queue };
}

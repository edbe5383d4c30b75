import type { StateMessage, TrayFinding } from './messages.js';

/**
 * Pure: what one account may see of the machine agent's state. The inputs are the agent's own files (agent-state.json,
 * tray-view.json), read by the resident supervisor without zod (see supervisor.ts on memory), so every field is checked
 * by hand here and anything unexpected is left out rather than passed on.
 */
export interface Viewer {
  user: string;
  /** Root sees everything (the admin at a shell); anyone else only their own installs, machine-wide ones, own processes. */
  root: boolean;
  /** Whether a process belongs to the viewer (Linux: /proc/<pid> owner); unknown → not shown. */
  ownsProcess(pid: number): boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function findingFor(raw: unknown, viewer: Viewer): TrayFinding | undefined {
  const f = obj(raw);
  const appId = str(f?.appId);
  const name = str(f?.name);
  const action = f?.action === 'ban' || f?.action === 'warn' ? f.action : undefined;
  if (!f || !appId || !name || !action) return undefined;
  const installs: TrayFinding['installs'] = [];
  for (const i of arr(f.installs).map(obj)) {
    const scope = i?.scope === 'machine' || i?.scope === 'user' ? i.scope : undefined;
    const source = str(i?.source);
    const iname = str(i?.name);
    if (!i || !scope || !source || !iname) continue;
    const user = str(i.user);
    // A per-user install is shown to its user only; one without a user (cannot tell whose) to root only.
    if (!viewer.root && scope === 'user' && user !== viewer.user) continue;
    const location = str(i.location);
    installs.push({ source, scope, name: iname, ...(location ? { location } : {}), ...(user ? { user } : {}) });
  }
  const processes: TrayFinding['processes'] = [];
  for (const p of arr(f.processes).map(obj)) {
    const pid = num(p?.pid);
    const pname = str(p?.name);
    if (pid === undefined || !pname) continue;
    if (viewer.root || viewer.ownsProcess(pid)) processes.push({ pid, name: pname });
  }
  if (installs.length === 0 && processes.length === 0) return undefined;
  const evidence: TrayFinding['evidence'] = [];
  if (installs.length) evidence.push('installed');
  if (processes.length) evidence.push('running');
  return { appId, name, action, deadline: str(f.deadline) ?? '', evidence, installs, processes };
}

/** Only the three contact kinds, each a short string: the tray opens them (mailto:, tel:, https:) after its own check. */
function contacts(s: Obj): { email?: string; phone?: string; url?: string } {
  const out: { email?: string; phone?: string; url?: string } = {};
  for (const k of ['email', 'phone', 'url'] as const) {
    const v = str(s[k]);
    if (v && v.length <= 300) out[k] = v;
  }
  return out;
}

/**
 * Whether a report may be shown to this viewer as it was sent: root always; anyone else only when it names no other
 * account's installs or processes (a per-user install of theirs, a machine-wide one, their own processes). Nothing is cut
 * out instead: what the window shows as sent must be exactly what was sent.
 */
export function reportVisibleTo(report: Record<string, unknown>, viewer: Viewer): boolean {
  if (viewer.root) return true;
  return arr(report.findings).every((raw) => {
    const f = obj(raw);
    if (!f) return false;
    const installsOk = arr(f.installs).every(
      (i) => obj(i)?.scope === 'machine' || (obj(i)?.scope === 'user' && obj(i)?.user === viewer.user),
    );
    const processesOk = arr(f.processes).every((p) => {
      const pid = num(obj(p)?.pid);
      return pid !== undefined && viewer.ownsProcess(pid);
    });
    return installsOk && processesOk;
  });
}

export function buildStateView(
  agentState: unknown,
  trayView: unknown,
  viewer: Viewer,
  running: boolean,
  ladder: StateMessage['ladder'] = null,
  update: StateMessage['update'] = null,
): StateMessage {
  const s = obj(agentState);
  const agent = obj(s?.agent);
  const policy = obj(s?.policy);
  const enrollment = obj(s?.enrollment);
  const lastReport = obj(s?.lastReport);
  const view = obj(trayView);
  const findings = arr(view?.findings)
    .map((f) => findingFor(f, viewer))
    .filter((f): f is TrayFinding => f !== undefined);
  const at = str(view?.at);
  const support = obj(view?.support);
  const message = obj(view?.message);
  const gaps = arr(view?.gaps)
    .map(obj)
    .flatMap((g) =>
      g && str(g.code)
        ? [{ code: str(g.code)!.slice(0, 40), ...(str(g.source) ? { source: str(g.source)!.slice(0, 40) } : {}) }]
        : [],
    )
    .slice(0, 60);
  const status = findings.some((f) => f.action === 'ban')
    ? 'violation'
    : findings.length
      ? 'warning'
      : gaps.length
        ? 'unknown'
        : 'compliant';

  return {
    type: 'state',
    user: viewer.user,
    agentMode: 'machine',
    agent: {
      running,
      pid: num(agent?.pid) ?? null,
      version: str(agent?.agentVersion) ?? null,
      startedAt: str(agent?.startedAt) ?? null,
    },
    enrolled: typeof enrollment?.enrolled === 'boolean' ? enrollment.enrolled : null,
    server: str(s?.server) ?? null,
    deviceId: str(enrollment?.deviceId) ?? null,
    policy:
      policy && num(policy.version) !== undefined
        ? {
            version: num(policy.version)!,
            origin: str(policy.origin) ?? 'unknown',
            expired: policy.expired === true,
            expiresAt: str(view?.policyExpiresAt) ?? null,
            organization: str(policy.organization) ?? '',
            ...(support ? { support: contacts(support) } : {}),
            ...(message && str(message.de) !== undefined && str(message.en) !== undefined
              ? { message: { de: str(message.de)!, en: str(message.en)! } }
              : {}),
          }
        : null,
    lastCheck: at ? { at, status, findings, gaps } : null,
    lastReport: lastReport && str(lastReport.at) ? { at: str(lastReport.at)!, kind: str(lastReport.kind) ?? '' } : null,
    ladder,
    update,
  };
}

import type { Lang } from '../../../protocol/index.js';
import { resolveConfig, type EffectiveConfig, type ResolveOptions } from '../../config/resolve.js';
import { formatDate, formatDateTime } from '../../i18n.js';
import { describeGap, EMPLOYEE_HINT } from '../../policy/coverage-texts.js';
import { readAgentStatus, statusJson, type AgentStatus } from '../../runtime/status.js';
import { MODE_TEXTS, runsElevated } from '../../service/machine-mode.js';
import { UsageError } from '../../errors.js';
import type { Problem, RuntimeState } from '../../runtime/state.js';
import { describeUpdate } from '../../update/texts.js';
import { ExitCode, stringOption, type Command } from '../command.js';

const when = formatDateTime;

const T = {
  title: { de: 'Appwacht – Status', en: 'Appwacht – status' },
  noState: {
    de: (dir: string) => `Noch kein Zustand in ${dir}: der Hintergrunddienst ("appwacht run") ist hier noch nicht gelaufen.`,
    en: (dir: string) => `No state in ${dir} yet: the background agent ("appwacht run") has not run here.`,
  },
  unreadable: {
    de: (r: string) => `Die Zustandsdatei ist nicht lesbar (${r}); der Dienst legt sie beim nächsten Start neu an.`,
    en: (r: string) => `The state file cannot be read (${r}); the agent starts a fresh one on its next start.`,
  },
  agent: { de: 'Dienst', en: 'Agent' },
  running: {
    de: (pid: number, since: string) => `läuft (Prozess ${pid}, seit ${since})`,
    en: (pid: number, since: string) => `running (process ${pid}, since ${since})`,
  },
  stopped: { de: (at: string) => `läuft nicht (beendet ${at})`, en: (at: string) => `not running (stopped ${at})` },
  died: {
    de: (pid: number) => `läuft nicht (Prozess ${pid} wurde unerwartet beendet)`,
    en: (pid: number) => `not running (process ${pid} ended unexpectedly)`,
  },
  mode: { de: 'Modus', en: 'Mode' },
  local: {
    de: 'lokal – kein Server eingerichtet, es gilt die mitgelieferte Richtlinie, nichts wird gemeldet',
    en: 'local – no server configured, the bundled policy applies, nothing is reported',
  },
  enrolled: {
    de: (s: string, id: string) => `Server ${s} – angemeldet (Gerät ${id})`,
    en: (s: string, id: string) => `server ${s} – enrolled (device ${id})`,
  },
  notEnrolled: {
    de: (s: string, why: string) => `Server ${s} – NICHT angemeldet: ${why}`,
    en: (s: string, why: string) => `server ${s} – NOT enrolled: ${why}`,
  },
  policy: { de: 'Richtlinie', en: 'Policy' },
  origin: {
    de: { server: 'vom Server', cache: 'vom Server, zwischengespeichert', bundled: 'mitgeliefert – lokaler Modus' },
    en: { server: 'from the server', cache: 'from the server, cached', bundled: 'bundled – local mode' },
  },
  expired: { de: 'ABGELAUFEN', en: 'EXPIRED' },
  why: { de: 'Grund', en: 'Reason' },
  rejected: {
    de: (p: Problem, v: number) =>
      `Vom Server abgelehnt ${when(p.at, 'de')}: ${p.code} – ${p.message} (es gilt weiter Version ${v})`,
    en: (p: Problem, v: number) =>
      `Rejected from the server ${when(p.at, 'en')}: ${p.code} – ${p.message} (version ${v} stays in force)`,
  },
  result: { de: 'Ergebnis', en: 'Result' },
  noScan: { de: 'noch keine Prüfung', en: 'no check yet' },
  status: {
    de: {
      compliant: 'IN ORDNUNG',
      warning: 'HINWEIS',
      violation: 'VERSTOSS',
      unknown: 'UNBEKANNT – Gerät nicht vollständig prüfbar',
    },
    en: {
      compliant: 'COMPLIANT',
      warning: 'WARNING',
      violation: 'VIOLATION',
      unknown: 'UNKNOWN – device could not be checked completely',
    },
  },
  apps: { de: (n: number) => `${n} App${n === 1 ? '' : 's'}`, en: (n: number) => `${n} app${n === 1 ? '' : 's'}` },
  checked: { de: (at: string) => `geprüft ${at}`, en: (at: string) => `checked ${at}` },
  evidence: { de: { installed: 'installiert', running: 'läuft' }, en: { installed: 'installed', running: 'running' } },
  deadline: {
    de: (d: string, past: boolean, n: number) =>
      past ? `Frist: ${d} – seit ${n} Tag${n === 1 ? '' : 'en'} abgelaufen` : `Frist: ${d}`,
    en: (d: string, past: boolean, n: number) =>
      past ? `Deadline: ${d} – passed ${n} day${n === 1 ? '' : 's'} ago` : `Deadline: ${d}`,
  },
  failedSources: { de: 'Nicht lesbare Quellen', en: 'Sources not readable' },
  reports: { de: 'Meldungen', en: 'Reports' },
  queue: {
    de: (n: number) => `${n} warten auf Zustellung`,
    en: (n: number) => `${n} waiting for delivery`,
  },
  lastReport: {
    de: (at: string, k: string) => `letzte Meldung ${at} (${k})`,
    en: (at: string, k: string) => `last report ${at} (${k})`,
  },
  lastDelivery: { de: (at: string) => `zuletzt zugestellt ${at}`, en: (at: string) => `last delivered ${at}` },
  deliveryFailed: {
    de: (p: Problem) => `Zustellung fehlgeschlagen ${when(p.at, 'de')}: ${p.message}`,
    en: (p: Problem) => `Delivery failed ${when(p.at, 'en')}: ${p.message}`,
  },
  lastError: { de: 'Letzter Fehler', en: 'Last error' },
  update: { de: 'Aktualisierung', en: 'Update' },
  none: { de: 'keiner', en: 'none' },
} as const;

function agentLine(s: AgentStatus, st: RuntimeState, lang: Lang): string {
  if (s.running.yes) return T.running[lang](s.running.pid!, when(s.running.since!, lang));
  if (st.agent.stoppedAt) return T.stopped[lang](when(st.agent.stoppedAt, lang));
  return T.died[lang](st.agent.pid);
}

/** Why a finding's app is listed when it is a container (catalog/index.ts's containerExplanation). */
export type ExplainApp = (appId: string, lang: Lang) => string | undefined;

/**
 * The human-readable status, in the employee's (or admin's) language. `explain` comes from the catalog, which the
 * command loads only when there are findings to explain.
 */
export function formatStatus(s: AgentStatus, lang: Lang, explain: ExplainApp): string {
  const st = s.state;
  const lines: string[] = [T.title[lang], ''];
  if (!st) {
    lines.push(
      s.stateProblem === 'missing' || !s.stateProblem ? T.noState[lang](s.stateDir) : T.unreadable[lang](s.stateProblem),
    );
    return lines.join('\n') + '\n';
  }
  const label = (t: string) => `${t}:`.padEnd(lang === 'de' ? 20 : 18);
  lines.push(label(T.agent[lang]) + agentLine(s, st, lang));

  let mode: string;
  if (st.mode === 'local' || !st.server) mode = T.local[lang];
  else if (st.enrollment.enrolled) mode = T.enrolled[lang](st.server, st.enrollment.deviceId ?? '?');
  else mode = T.notEnrolled[lang](st.server, st.enrollment.message ?? st.enrollment.reason ?? '?');
  lines.push(label(T.mode[lang]) + mode);

  const p = st.policy;
  if (p) {
    lines.push(
      label(T.policy[lang]) +
        `${p.organization}, ${lang === 'de' ? 'Version' : 'version'} ${p.version} (${T.origin[lang][p.origin]})` +
        (p.expired ? ` – ${T.expired[lang]}` : ''),
    );
    if (p.reason && p.origin !== 'server') lines.push(' '.repeat(label('').length) + `${T.why[lang]}: ${p.reason}`);
    if (p.rejected) lines.push(' '.repeat(label('').length) + T.rejected[lang](p.rejected, p.version));
  }

  const scan = st.lastScan;
  if (!scan) lines.push(label(T.result[lang]) + T.noScan[lang]);
  else {
    const n = scan.findings.length;
    lines.push(
      label(T.result[lang]) +
        `${T.status[lang][scan.state.status]}${n ? ` – ${T.apps[lang](n)}` : ''} (${T.checked[lang](when(scan.at, lang))})`,
    );
    for (const f of scan.findings) {
      lines.push(
        `  ✗ ${f.name} (${f.evidence.map((e) => T.evidence[lang][e]).join(', ')})${f.action === 'warn' ? ' [warn]' : ''}`,
      );
      // A multi-service container is not a messenger itself: say why it is listed.
      const why = explain(f.appId, lang);
      if (why) lines.push(`      ${why}`);
    }
    if (scan.state.deadline)
      lines.push(
        '  ' + T.deadline[lang](formatDate(scan.state.deadline, lang), scan.state.pastDeadline, scan.state.daysPastDeadline),
      );
    for (const gap of scan.state.gaps ?? []) {
      const { what, fix } = describeGap(gap, lang);
      lines.push(`  ? ${what}`, `      ${fix}`);
    }
    if (scan.state.status === 'unknown') lines.push(`  ${EMPLOYEE_HINT[lang]}`);
    if (scan.failedSources.length)
      lines.push(`  ${T.failedSources[lang]}: ${scan.failedSources.map((f) => `${f.id} (${f.error})`).join('; ')}`);
  }

  if (st.mode === 'server') {
    const parts = [T.queue[lang](s.outbox.queued + s.outbox.pending)];
    if (st.lastReport) parts.push(T.lastReport[lang](when(st.lastReport.at, lang), st.lastReport.kind));
    if (st.lastDelivery) parts.push(T.lastDelivery[lang](when(st.lastDelivery.at, lang)));
    lines.push(label(T.reports[lang]) + parts.join('; '));
    if (st.lastDeliveryError) lines.push(' '.repeat(label('').length) + T.deliveryFailed[lang](st.lastDeliveryError));
  }
  if (s.update?.last) lines.push(label(T.update[lang]) + describeUpdate(s.update.last, lang));
  const e = st.lastError;
  lines.push(label(T.lastError[lang]) + (e ? `${when(e.at, lang)} – ${e.code}: ${e.message}` : T.none[lang]));
  return lines.join('\n') + '\n';
}

export interface StatusCommandDeps {
  resolve?: (options: ResolveOptions) => Promise<EffectiveConfig>;
}

export function createStatusCommand(deps: StatusCommandDeps = {}): Command {
  const resolve = deps.resolve ?? resolveConfig;
  return {
    name: 'status',
    help: {
      de: `Aufruf: appwacht status [--state-dir ORDNER] [--json]

Zeigt, was der Hintergrunddienst ("appwacht run") zuletzt festgestellt hat: ob er läuft, Ergebnis und Funde,
Richtlinie (Herkunft, Version), Anmeldung am Server, wartende Meldungen, letzte Zustellung, letzter Fehler.
Liest nur den Statusordner; prüft selbst nichts (dafür "appwacht scan").

  --state-dir ORDNER  Statusordner (Standard: aus der Konfiguration)
  --json              als JSON

Exit-Codes: 0 konform (oder nur Hinweise), 1 verbotene App gefunden, 2 kein Zustand oder Fehler,
3 unbekannt (das Gerät konnte zuletzt nicht vollständig geprüft werden).
`,
      en: `Usage: appwacht status [--state-dir DIR] [--json]

Shows what the background agent ("appwacht run") found last: whether it runs, result and findings, policy
(origin, version), enrollment, reports waiting, last delivery, last error.
Reads the state folder only; checks nothing itself (that is "appwacht scan").

  --state-dir DIR     state folder (default: from the configuration)
  --json              print as JSON

Exit codes: 0 compliant (or only warnings), 1 banned app found, 2 no state or error,
3 unknown (the device could not be checked completely last time).
`,
    },
    options: { 'state-dir': { type: 'string' }, json: { type: 'boolean' } },
    async run(values, ctx) {
      const stateDirFlag = stringOption(values, 'state-dir');
      const { config } = await resolve({
        env: ctx.env,
        cli: stateDirFlag !== undefined ? { stateDir: stateDirFlag } : {},
        tolerateUserErrors: true,
      });
      const mode = config.agentMode ?? 'user';
      if (mode === 'machine' && !runsElevated()) {
        // The machine agent's state is root's: an employee asks it over the tray channel for their own view.
        const { connectTray } = await import('../../channel/client.js');
        const { defaultChannelDir } = await import('../../channel/server.js');
        const { formatTrayState } = await import('../../channel/format.js');
        const tray = await connectTray(defaultChannelDir(process.platform, ctx.env));
        try {
          const state = await tray.request({ type: 'read-state' });
          if (state.type !== 'state') throw new UsageError(state.type === 'error' ? state.message : 'unexpected answer');
          ctx.out(values.json ? JSON.stringify(state, null, 2) + '\n' : formatTrayState(state, ctx.lang));
          return state.lastCheck?.status === 'violation' ? ExitCode.FOUND : ExitCode.OK;
        } finally {
          tray.close();
        }
      }
      const status = await readAgentStatus(config.stateDir);
      const explain: ExplainApp = status.state?.lastScan?.findings.length
        ? (await import('../../catalog/index.js')).containerExplanation
        : () => undefined;
      ctx.out(
        values.json
          ? JSON.stringify({ ...statusJson(status), agentMode: mode }, null, 2) + '\n'
          : formatStatus(status, ctx.lang, explain) +
              `${ctx.lang === 'de' ? 'Betriebsart' : 'Runs as'}: ${MODE_TEXTS[mode][ctx.lang]}\n`,
      );
      if (!status.state) return ExitCode.ERROR;
      const last = status.state.lastScan?.state.status;
      return last === 'violation' ? ExitCode.FOUND : last === 'unknown' ? ExitCode.UNKNOWN : ExitCode.OK;
    },
  };
}

export const statusCommand: Command = createStatusCommand();

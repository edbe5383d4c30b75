import type { Finding, Lang, Occurrence } from '../../protocol/index.js';
import { containerExplanation } from '../catalog/index.js';
import { formatDate } from '../i18n.js';
import { describeGap, EMPLOYEE_HINT } from '../policy/coverage-texts.js';
import type { SourceReport } from '../inventory/index.js';
import type { ScanResult } from '../scan.js';

/** Where the policy in force came from; shown so the employee knows what they are measured against. */
export type PolicyOrigin = 'bundled' | 'file' | 'server' | 'cache';

const T = {
  title: { de: 'Appwacht – Prüfung dieses Geräts', en: 'Appwacht – check of this device' },
  policy: {
    de: (org: string, v: number, origin: PolicyOrigin) =>
      `Richtlinie: ${org}, Version ${v} (${{ bundled: 'mitgeliefert', file: 'aus Datei', server: 'vom Server', cache: 'vom Server, zwischengespeichert' }[origin]})`,
    en: (org: string, v: number, origin: PolicyOrigin) =>
      `Policy: ${org}, version ${v} (${{ bundled: 'bundled', file: 'from file', server: 'from server', cache: 'from the server, cached' }[origin]})`,
  },
  compliant: { de: 'Ergebnis: IN ORDNUNG – keine verbotene App gefunden.', en: 'Result: COMPLIANT – no banned app found.' },
  warning: {
    de: (n: number) => `Ergebnis: HINWEIS – ${n} unerwünschte App${n === 1 ? '' : 's'} gefunden.`,
    en: (n: number) => `Result: WARNING – ${n} unwanted app${n === 1 ? '' : 's'} found.`,
  },
  violation: {
    de: (n: number) => `Ergebnis: VERSTOSS – ${n} verbotene App${n === 1 ? '' : 's'} gefunden.`,
    en: (n: number) => `Result: VIOLATION – ${n} banned app${n === 1 ? '' : 's'} found.`,
  },
  unknown: {
    de: 'Ergebnis: UNBEKANNT – dieses Gerät konnte nicht vollständig geprüft werden; „keine verbotene App gefunden“ ist hier keine Aussage.',
    en: 'Result: UNKNOWN – this device could not be checked completely; “no banned app found” means nothing here.',
  },
  notSeen: { de: 'Nicht gesehen', en: 'Not seen' },
  alsoNotSeen: {
    de: 'Außerdem nicht vollständig gesehen (der Fund oben gilt trotzdem)',
    en: 'Also not seen completely (the finding above stands regardless)',
  },
  installed: { de: 'installiert', en: 'installed' },
  running: { de: 'läuft', en: 'running' },
  deadlineAhead: { de: (d: string) => `Frist: ${d}.`, en: (d: string) => `Deadline: ${d}.` },
  deadlinePassed: {
    de: (d: string, n: number) => `Frist: ${d} – seit ${n} Tag${n === 1 ? '' : 'en'} abgelaufen.`,
    en: (d: string, n: number) => `Deadline: ${d} – passed ${n} day${n === 1 ? '' : 's'} ago.`,
  },
  whatToDo: { de: 'Was tun', en: 'What to do' },
  support: { de: 'Fragen', en: 'Questions' },
  sources: { de: 'Quellen', en: 'Sources' },
  failed: { de: 'nicht lesbar', en: 'not readable' },
  partly: { de: 'teilweise nicht lesbar', en: 'partly not readable' },
  skipped: { de: 'übersprungen', en: 'skipped' },
} as const;

function describeInstall(o: Occurrence): string {
  const parts = [o.source, o.name, o.version].filter(Boolean).join(' ');
  return o.location ? `${parts} @ ${o.location}` : parts;
}

function formatFinding(f: Finding, lang: Lang): string[] {
  const lines = [`  ✗ ${f.name}`];
  const why = containerExplanation(f.appId, lang);
  if (why) lines.push(`      ${why}`);
  for (const o of f.installs) lines.push(`      ${T.installed[lang]}: ${describeInstall(o)}${o.user ? ` (${o.user})` : ''}`);
  for (const p of f.processes) lines.push(`      ${T.running[lang]}: ${p.name} (PID ${p.pid})${p.path ? ` ${p.path}` : ''}`);
  return lines;
}

export function formatSources(sources: SourceReport[], lang: Lang): string[] {
  return sources.map((s) => {
    if (!s.ok && s.partial)
      return `  ✗ ${s.id}: ${s.count}, ${T.partly[lang]} – ${s.error?.message ?? ''} [${s.error?.code ?? ''}]`;
    if (!s.ok) return `  ✗ ${s.id}: ${T.failed[lang]} – ${s.error?.message ?? ''} [${s.error?.code ?? ''}]`;
    const problems = s.problems.length ? ` (${s.problems.length} ${T.skipped[lang]}: ${s.problems.slice(0, 2).join('; ')})` : '';
    return `  ✓ ${s.id}: ${s.count}${problems}`;
  });
}

/** The human-readable result of `appwacht scan`, in the employee's language. */
export function formatScan(result: ScanResult, origin: PolicyOrigin, lang: Lang, policyNote?: string): string {
  const { evaluation, policy } = result;
  const { state, findings } = evaluation;
  const lines = [T.title[lang], T.policy[lang](policy.organization.name, policy.version, origin)];
  if (policyNote) lines.push(`  ${policyNote}`);
  lines.push('');
  if (state.status === 'compliant') lines.push(T.compliant[lang]);
  else if (state.status === 'unknown') lines.push(T.unknown[lang]);
  else lines.push(T[state.status][lang](findings.length));
  for (const f of findings) lines.push(...formatFinding(f, lang));
  if (state.gaps?.length) {
    lines.push('', `${state.status === 'unknown' ? T.notSeen[lang] : T.alsoNotSeen[lang]}:`);
    for (const gap of state.gaps) {
      const { what, fix } = describeGap(gap, lang);
      lines.push(`  ? ${what}`, `      ${fix}`);
    }
    if (state.status === 'unknown') lines.push('', EMPLOYEE_HINT[lang]);
  }
  if (state.deadline) {
    const date = formatDate(state.deadline, lang);
    lines.push('', state.pastDeadline ? T.deadlinePassed[lang](date, state.daysPastDeadline) : T.deadlineAhead[lang](date));
  }
  if (state.status === 'warning' || state.status === 'violation') {
    const ruleMessages = new Set(
      findings.map((f) => policy.rules.find((r) => r.id === f.ruleId)?.message?.[lang]).filter(Boolean),
    );
    lines.push(`${T.whatToDo[lang]}: ${[policy.message[lang], ...ruleMessages].join(' ')}`);
  }
  if (state.status !== 'compliant') {
    const s = policy.organization.support;
    lines.push(`${T.support[lang]}: ${[s.email, s.phone, s.url].filter(Boolean).join(', ')}`);
  }
  lines.push('', `${T.sources[lang]}:`, ...formatSources(result.inventory.sources, lang));
  return lines.join('\n') + '\n';
}

/** `appwacht scan --json`: stable field names for scripts and support. */
export function scanJson(result: ScanResult, origin: PolicyOrigin, policyNote?: string) {
  const { evaluation, policy, inventory } = result;
  return {
    status: evaluation.state.status,
    state: evaluation.state,
    findings: evaluation.findings,
    sources: inventory.sources,
    policy: {
      version: policy.version,
      organization: policy.organization.name,
      origin,
      ...(policyNote ? { note: policyNote } : {}),
    },
    os: inventory.os,
    scannedAt: result.scannedAt.toISOString(),
  };
}

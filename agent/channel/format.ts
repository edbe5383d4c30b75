import type { Lang } from '../../protocol/index.js';
import { describeUpdate } from '../update/texts.js';
import type { StateMessage } from './messages.js';

const STATUS = {
  de: { compliant: 'IN ORDNUNG', warning: 'HINWEIS', violation: 'VERSTOSS', unknown: 'UNVOLLSTÄNDIG GEPRÜFT' },
  en: { compliant: 'COMPLIANT', warning: 'WARNING', violation: 'VIOLATION', unknown: 'NOT FULLY CHECKED' },
} as const;
const EVIDENCE = {
  de: { installed: 'installiert', running: 'läuft' },
  en: { installed: 'installed', running: 'running' },
} as const;

/** `appwacht status` of an employee on a device with the machine agent: what the tray channel told this account. */
export function formatTrayState(s: StateMessage, lang: Lang): string {
  const de = lang === 'de';
  const lines = [
    de ? 'Appwacht – Status (Maschinendienst)' : 'Appwacht – status (machine service)',
    '',
    `${de ? 'Benutzer' : 'User'}: ${s.user}`,
    `${de ? 'Dienst' : 'Agent'}: ${s.agent.running ? (de ? 'läuft' : 'running') : de ? 'läuft nicht' : 'not running'} (${de ? 'Version' : 'version'} ${s.agent.version ?? '?'})`,
  ];
  if (s.policy)
    lines.push(
      `${de ? 'Richtlinie' : 'Policy'}: ${s.policy.organization} v${s.policy.version}${s.policy.expired ? (de ? ' – ABGELAUFEN' : ' – EXPIRED') : ''}`,
    );
  if (!s.lastCheck) lines.push(de ? 'Ergebnis: noch keine Prüfung' : 'Result: no check yet');
  else {
    lines.push(`${de ? 'Ergebnis' : 'Result'}: ${STATUS[lang][s.lastCheck.status]} (${s.lastCheck.at})`);
    for (const f of s.lastCheck.findings)
      lines.push(`  ${f.name} – ${f.evidence.map((e) => EVIDENCE[lang][e]).join(', ')}${f.deadline ? ` – ${f.deadline}` : ''}`);
  }
  if (s.update) lines.push(`${de ? 'Aktualisierung' : 'Update'}: ${describeUpdate(s.update, lang)}`);
  return lines.join('\n') + '\n';
}

import type { Lang, Policy } from '../../protocol/index.js';
import { formatDate } from '../i18n.js';
import { describeGap, EMPLOYEE_HINT } from '../policy/coverage-texts.js';
import type { EvaluationSummary } from '../report/build.js';
import type { DesktopNotification } from './port.js';

/** Why a notification is shown: a new or different finding, the daily reminder, or "all clean again". */
export type NotificationKind = 'change' | 'reminder' | 'resolved';

const MAX_NAMES = 3;
const MAX_MESSAGE = 240;

/** "WhatsApp", "WhatsApp and Snapchat", "WhatsApp, Snapchat, Kik and 2 more". */
function appList(names: string[], lang: Lang): string {
  const and = lang === 'de' ? 'und' : 'and';
  if (names.length <= 1) return names[0] ?? '';
  if (names.length <= MAX_NAMES) return `${names.slice(0, -1).join(', ')} ${and} ${names[names.length - 1]}`;
  const more = names.length - MAX_NAMES;
  return `${names.slice(0, MAX_NAMES).join(', ')} ${and} ${more} ${lang === 'de' ? 'weitere' : 'more'}`;
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

function supportLine(policy: Policy, lang: Lang): string {
  const { name, support } = policy.organization;
  const contacts = [support.email, support.phone, support.url].filter((c): c is string => !!c);
  return `${lang === 'de' ? 'Fragen?' : 'Questions?'} ${name}: ${contacts.join(' · ')}`;
}

/** The admin's own words: the rule's message when all findings share one, else the policy's general message. */
function adminMessage(evaluation: EvaluationSummary, policy: Policy, lang: Lang): string {
  const ruleMessages = new Set(
    evaluation.findings.map((f) => policy.rules.find((r) => r.id === f.ruleId)?.message?.[lang]).filter((m): m is string => !!m),
  );
  const [only] = ruleMessages;
  return clip(ruleMessages.size === 1 && only ? only : policy.message[lang], MAX_MESSAGE);
}

/**
 * Pure: the notification text in the employee's language. Says which app, what to do and by when,
 * adds the organisation's message and whom to ask.
 */
export function composeNotification(input: {
  evaluation: EvaluationSummary;
  policy: Policy;
  lang: Lang;
  kind: NotificationKind;
}): DesktopNotification {
  const { evaluation, policy, lang, kind } = input;
  const de = lang === 'de';
  if (kind === 'resolved' || evaluation.state.status === 'compliant') {
    return {
      title: de ? 'Danke – keine verbotenen Apps mehr gefunden' : 'Thank you – no banned apps found any more',
      body: de
        ? 'Ihr Dienstgerät erfüllt die Vorgaben wieder. Sie müssen nichts weiter tun.'
        : 'Your work device meets the rules again. There is nothing more you need to do.',
      urgency: 'low',
    };
  }

  if (evaluation.state.status === 'unknown') {
    // Plainly: the device could not be checked. What was not readable and what IT can do; nothing for the employee to fix.
    const gaps = (evaluation.state.gaps ?? []).map((g) => describeGap(g, lang).what);
    return {
      title: de ? 'Ihr Dienstgerät konnte nicht geprüft werden' : 'Your work device could not be checked',
      body: [EMPLOYEE_HINT[lang], clip(gaps.join(' '), MAX_MESSAGE), supportLine(policy, lang)].filter(Boolean).join('\n'),
      urgency: 'normal',
    };
  }

  const banned = evaluation.findings.filter((f) => f.action === 'ban');
  const shown = banned.length > 0 ? banned : evaluation.findings;
  const names = [...new Set(shown.map((f) => f.name))];
  const apps = appList(names, lang);
  const running = shown.some((f) => f.evidence.includes('running'));
  const deadlineIso = evaluation.state.deadline ?? shown.map((f) => f.deadline).sort()[0];
  const deadline = deadlineIso ? formatDate(deadlineIso, lang) : undefined;
  const past = evaluation.state.pastDeadline;
  const violation = evaluation.state.status === 'violation';
  const plural = names.length > 1;

  const title = violation
    ? kind === 'reminder'
      ? de
        ? `Erinnerung: ${apps} ${plural ? 'sind' : 'ist'} auf Ihrem Dienstgerät nicht erlaubt`
        : `Reminder: ${apps} ${plural ? 'are' : 'is'} not allowed on your work device`
      : de
        ? `Nicht erlaubte App auf Ihrem Dienstgerät: ${apps}`
        : `App not allowed on your work device: ${apps}`
    : de
      ? `Hinweis: ${apps} ${plural ? 'sollten' : 'sollte'} nicht auf Ihrem Dienstgerät sein`
      : `Notice: ${apps} should not be on your work device`;

  const action = de
    ? `Bitte ${running ? 'beenden und deinstallieren' : 'deinstallieren'} Sie ${plural ? 'diese Apps' : 'die App'}`
    : `Please ${running ? 'quit and uninstall' : 'uninstall'} ${plural ? 'these apps' : 'the app'}`;
  const when = !deadline
    ? `${action}.`
    : past
      ? de
        ? `Die Frist ist am ${deadline} abgelaufen. ${action} sofort.`
        : `The deadline passed on ${deadline}. ${action} now.`
      : de
        ? `${action} bis zum ${deadline}.`
        : `${action} by ${deadline}.`;

  return {
    title,
    body: [when, adminMessage(evaluation, policy, lang), supportLine(policy, lang)].join('\n'),
    urgency: violation && past ? 'critical' : 'normal',
  };
}

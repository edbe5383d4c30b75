/**
 * The employee mails as templates the admin may change: per kind (warn, remind, block, cleared) and language (de, en),
 * a subject, a text and an HTML part.
 *
 * Engine: mustache.js, logic-less. It interprets its tokens (no eval, no `new Function`), has no helpers and no file
 * or module access; partials are refused, and every `{{name}}` must be one of VARIABLES — checked when the admin saves
 * and again before each use, so a hostile template cannot reach `constructor`, a prototype or anything but the
 * strings below. Values are HTML-escaped in the HTML part (`{{{x}}}`/`{{&x}}` are refused there), and control
 * characters are stripped from the subject (no header injection).
 */
import Mustache from 'mustache';
import type { MailKind } from '../db/schema.js';
import type { MailFacts } from '../escalation/service.js';

export const MAIL_KINDS = ['warn', 'remind', 'block', 'cleared'] as const satisfies readonly MailKind[];
export const MAIL_LANGS = ['de', 'en'] as const;
export type MailLang = (typeof MAIL_LANGS)[number];

export interface MailTemplate {
  subject: string;
  text: string;
  html: string;
}

/** What a template may name; every value is a plain string (dates already written out in the template's language). */
export const VARIABLES = {
  hostname: 'the device’s host name',
  osUser: 'the OS account that reported',
  employee: 'the employee’s mail address',
  apps: 'the banned apps found, comma-separated',
  steps: 'how to remove an app on the device’s OS',
  deadline: 'the removal deadline',
  blockAt: 'when access will be blocked',
  blockedAt: 'when access was blocked',
  support: 'the support contact (mail · phone · web), empty when the policy names none',
  organization: 'the organisation’s name',
} as const;
export type Variable = keyof typeof VARIABLES;

export class TemplateError extends Error {
  readonly code = 'TEMPLATE_INVALID';
}

const OS_STEPS = {
  windows: {
    de: 'Einstellungen → Apps → Installierte Apps, die App auswählen und „Deinstallieren“ wählen.',
    en: 'Settings → Apps → Installed apps, select the app and choose “Uninstall”.',
  },
  macos: {
    de: 'Im Finder unter „Programme“ die App in den Papierkorb ziehen und ihn leeren.',
    en: 'In Finder, open “Applications”, drag the app to the Bin and empty it.',
  },
  linux: {
    de: 'Die App mit der Softwareverwaltung (oder apt, flatpak, snap) entfernen.',
    en: 'Remove the app with the software manager (or apt, flatpak, snap).',
  },
} as const;

/** The shipped wording, as paragraphs; the text and HTML defaults are made from them. */
const DEFAULT_PARAGRAPHS: Record<MailKind, Record<MailLang, { subject: string; body: string[] }>> = {
  warn: {
    de: {
      subject: 'Verbotene App auf Ihrem Dienstgerät',
      body: [
        'auf Ihrem Dienstgerät {{hostname}} ist noch {{apps}} installiert. Die Frist zum Entfernen ist am {{deadline}} abgelaufen.',
        'Bitte entfernen Sie die App: {{steps}}',
        'Ohne Entfernen werden Mail, Kontakte und Kalender am {{blockAt}} für Sie gesperrt.',
      ],
    },
    en: {
      subject: 'Banned app on your service device',
      body: [
        '{{apps}} is still installed on your service device {{hostname}}. The deadline to remove it passed on {{deadline}}.',
        'Please remove the app: {{steps}}',
        'Otherwise your mail, contacts and calendar will be blocked on {{blockAt}}.',
      ],
    },
  },
  remind: {
    de: {
      subject: 'Erinnerung: verbotene App auf Ihrem Dienstgerät',
      body: [
        'auf Ihrem Dienstgerät {{hostname}} ist weiterhin {{apps}} installiert (Frist: {{deadline}}).',
        'Bitte entfernen Sie die App: {{steps}}',
        'Am {{blockAt}} werden Mail, Kontakte und Kalender gesperrt.',
      ],
    },
    en: {
      subject: 'Reminder: banned app on your service device',
      body: [
        '{{apps}} is still installed on your service device {{hostname}} (deadline: {{deadline}}).',
        'Please remove the app: {{steps}}',
        'Mail, contacts and calendar will be blocked on {{blockAt}}.',
      ],
    },
  },
  block: {
    de: {
      subject: 'Mail- und Kalenderzugang gesperrt',
      body: [
        'weil auf Ihrem Dienstgerät {{hostname}} weiterhin {{apps}} installiert ist, sind Mail, Kontakte und Kalender seit dem {{blockedAt}} gesperrt.',
        'Entfernen Sie die App: {{steps}} Der Zugang wird mit dem nächsten Bericht des Geräts automatisch wieder frei.',
      ],
    },
    en: {
      subject: 'Mail and calendar access blocked',
      body: [
        'Because {{apps}} is still installed on your service device {{hostname}}, your mail, contacts and calendar have been blocked since {{blockedAt}}.',
        "Remove the app: {{steps}} Access returns automatically with the device's next report.",
      ],
    },
  },
  cleared: {
    de: {
      subject: 'Zugang wieder frei',
      body: ['Ihr Dienstgerät {{hostname}} ist wieder in Ordnung. Mail, Kontakte und Kalender sind wieder freigegeben. Danke!'],
    },
    en: {
      subject: 'Access restored',
      body: ['Your service device {{hostname}} is compliant again. Mail, contacts and calendar are available again. Thank you!'],
    },
  },
};

const GREETING = { de: 'Guten Tag,', en: 'Hello,' };
const QUESTIONS = { de: 'Fragen?', en: 'Questions?' };

export function defaultTemplate(kind: MailKind, lang: MailLang): MailTemplate {
  const p = DEFAULT_PARAGRAPHS[kind][lang];
  const text =
    [GREETING[lang], ...p.body].join('\n\n') + `\n\n{{#support}}${QUESTIONS[lang]} {{support}}\n\n{{/support}}{{organization}}\n`;
  const html =
    [GREETING[lang], ...p.body].map((s) => `<p>${s}</p>`).join('\n') +
    `\n{{#support}}<p>${QUESTIONS[lang]} {{support}}</p>{{/support}}\n<p>{{organization}}</p>\n`;
  return { subject: p.subject, text, html };
}

/** Refuses what a template must not do; returns normally when it may be saved and used. */
export function checkTemplate(t: MailTemplate): void {
  check(t.subject, 'subject', false);
  check(t.text, 'text', false);
  check(t.html, 'html', true);
}

type Token = [string, string, number, number, Token[]?];

function check(source: string, part: string, html: boolean): void {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(source) as Token[];
  } catch (err) {
    throw new TemplateError(`${part}: ${(err as Error).message}`);
  }
  const walk = (list: Token[]) => {
    for (const [type, value, at, , children] of list) {
      const where = `${part} at character ${at + 1}`;
      if (type === '>') throw new TemplateError(`${where}: partials ({{> …}}) are not supported`);
      if (type === '&' && html)
        throw new TemplateError(`${where}: unescaped output ({{{…}}} or {{& …}}) is not allowed in the HTML part`);
      if ((type === 'name' || type === '&' || type === '#' || type === '^') && !Object.hasOwn(VARIABLES, value))
        throw new TemplateError(
          `${where}: unknown variable "${value.slice(0, 60)}"; known: ${Object.keys(VARIABLES).join(', ')}`,
        );
      if (children) walk(children);
    }
  };
  walk(tokens);
}

function date(iso: string | null, lang: MailLang): string {
  if (iso === null) return '–';
  return new Date(iso).toLocaleDateString(lang === 'de' ? 'de-DE' : 'en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/Berlin',
  });
}

/** The values a template sees: strings only, on an object without a prototype. */
export function templateView(f: MailFacts, lang: MailLang): Record<Variable, string> {
  const view = Object.create(null) as Record<Variable, string>;
  Object.assign(view, {
    hostname: f.hostname,
    osUser: f.osUser,
    employee: f.employee ?? '',
    apps: f.apps.length > 0 ? f.apps.join(', ') : lang === 'de' ? '(unbekannt)' : '(unknown)',
    steps: OS_STEPS[f.os][lang],
    deadline: date(f.deadline, lang),
    blockAt: date(f.blockAt, lang),
    blockedAt: date(f.blockedAt, lang),
    support: [f.support.email, f.support.phone, f.support.url].filter(Boolean).join(' · '),
    organization: f.organization,
  });
  return view;
}

const plain = (s: string) => s;

/** Renders one language; the template must have passed checkTemplate. */
export function renderTemplate(t: MailTemplate, view: Record<Variable, string>): MailTemplate {
  return {
    // Control characters (CR/LF) out of the subject: a value must never start a new header.
    subject: Mustache.render(t.subject, view, {}, { escape: plain })
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim()
      .slice(0, 250),
    text: Mustache.render(t.text, view, {}, { escape: plain }),
    html: Mustache.render(t.html, view, {}),
  };
}

/** Facts for previews: what an admin sees before saving. */
export const SAMPLE_FACTS: MailFacts = {
  kind: 'warn',
  employee: 'ben.beispiel@stadt.example',
  hostname: 'PC-AMT-0042',
  os: 'windows',
  osUser: 'KOMMUNE\\ben.beispiel',
  apps: ['WhatsApp'],
  deadline: '2026-03-01T00:00:00.000Z',
  blockAt: '2026-03-29T00:00:00.000Z',
  blockedAt: '2026-03-29T00:00:00.000Z',
  organization: 'Stadtverwaltung',
  support: { email: 'it-servicedesk@stadt.example', phone: '+49 30 1234' },
};

/**
 * The employee mails, in German and English in one message (a city's staff reads either; the agent's tray is
 * bilingual too), as text and HTML. Everything that comes from a device (app names, host name) is data, never
 * markup: HTML-escaped in the HTML part, and kept out of the subject.
 */
import type { MailFacts } from '../escalation/service.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
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

const SUBJECT = {
  warn: { de: 'Verbotene App auf Ihrem Dienstgerät', en: 'Banned app on your service device' },
  remind: { de: 'Erinnerung: verbotene App auf Ihrem Dienstgerät', en: 'Reminder: banned app on your service device' },
  block: { de: 'Mail- und Kalenderzugang gesperrt', en: 'Mail and calendar access blocked' },
  cleared: { de: 'Zugang wieder frei', en: 'Access restored' },
} as const;

function date(iso: string | null, lang: 'de' | 'en'): string {
  if (iso === null) return '–';
  return new Date(iso).toLocaleDateString(lang === 'de' ? 'de-DE' : 'en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/Berlin',
  });
}

function paragraphs(f: MailFacts, lang: 'de' | 'en'): string[] {
  const de = lang === 'de';
  const apps = f.apps.length > 0 ? f.apps.join(', ') : de ? '(unbekannt)' : '(unknown)';
  const contact = [f.support.email, f.support.phone, f.support.url].filter(Boolean).join(' · ');
  const steps = OS_STEPS[f.os][lang];
  const body: Record<MailFacts['kind'], string[]> = {
    warn: de
      ? [
          `auf Ihrem Dienstgerät ${f.hostname} ist noch ${apps} installiert. Die Frist zum Entfernen ist am ${date(f.deadline, lang)} abgelaufen.`,
          `Bitte entfernen Sie die App: ${steps}`,
          `Ohne Entfernen werden Mail, Kontakte und Kalender am ${date(f.blockAt, lang)} für Sie gesperrt.`,
        ]
      : [
          `${apps} is still installed on your service device ${f.hostname}. The deadline to remove it passed on ${date(f.deadline, lang)}.`,
          `Please remove the app: ${steps}`,
          `Otherwise your mail, contacts and calendar will be blocked on ${date(f.blockAt, lang)}.`,
        ],
    remind: de
      ? [
          `auf Ihrem Dienstgerät ${f.hostname} ist weiterhin ${apps} installiert (Frist: ${date(f.deadline, lang)}).`,
          `Bitte entfernen Sie die App: ${steps}`,
          `Am ${date(f.blockAt, lang)} werden Mail, Kontakte und Kalender gesperrt.`,
        ]
      : [
          `${apps} is still installed on your service device ${f.hostname} (deadline: ${date(f.deadline, lang)}).`,
          `Please remove the app: ${steps}`,
          `Mail, contacts and calendar will be blocked on ${date(f.blockAt, lang)}.`,
        ],
    block: de
      ? [
          `weil auf Ihrem Dienstgerät ${f.hostname} weiterhin ${apps} installiert ist, sind Mail, Kontakte und Kalender seit dem ${date(f.blockedAt, lang)} gesperrt.`,
          `Entfernen Sie die App (${steps}); der Zugang wird mit dem nächsten Bericht des Geräts automatisch wieder frei.`,
        ]
      : [
          `Because ${apps} is still installed on your service device ${f.hostname}, your mail, contacts and calendar have been blocked since ${date(f.blockedAt, lang)}.`,
          `Remove the app (${steps}); access returns automatically with the device's next report.`,
        ],
    cleared: de
      ? [`Ihr Dienstgerät ${f.hostname} ist wieder in Ordnung. Mail, Kontakte und Kalender sind wieder freigegeben. Danke!`]
      : [`Your service device ${f.hostname} is compliant again. Mail, contacts and calendar are available again. Thank you!`],
  };
  return [
    de ? 'Guten Tag,' : 'Hello,',
    ...body[f.kind],
    contact ? (de ? `Fragen? ${contact}` : `Questions? ${contact}`) : '',
    f.organization,
  ].filter((p) => p !== '');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderMail(f: MailFacts): RenderedMail {
  const de = paragraphs(f, 'de');
  const en = paragraphs(f, 'en');
  const subject = `${SUBJECT[f.kind].de} / ${SUBJECT[f.kind].en}`;
  const text = [...de, '— English —', ...en].join('\n\n') + '\n';
  const block = (lang: string, ps: string[]) => `<div lang="${lang}">${ps.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</div>`;
  const html = `<!doctype html><html><body>${block('de', de)}<hr>${block('en', en)}</body></html>`;
  return { subject, text, html };
}

/**
 * The employee mails, in German and English in one message (a city's staff reads either; the agent's tray is
 * bilingual too), as text and HTML, from the admin's templates or the shipped ones (templates.ts). Everything that
 * comes from a device (app names, host name) is data, never markup: HTML-escaped in the HTML part.
 */
import type { MailFacts } from '../escalation/service.js';
import {
  checkTemplate,
  defaultTemplate,
  MAIL_LANGS,
  renderTemplate,
  templateView,
  type MailLang,
  type MailTemplate,
} from './templates.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The admin's templates by `kind:lang`; missing ones are the shipped defaults. */
export type CustomTemplates = ReadonlyMap<string, MailTemplate>;

/**
 * A stored template that no longer passes the check (written around the API, or by an older version) is not used:
 * the shipped one goes out instead and `onBadTemplate` is told, so a mail is never lost to a template.
 */
export function renderMail(
  f: MailFacts,
  custom: CustomTemplates = new Map(),
  onBadTemplate?: (key: string, err: Error) => void,
): RenderedMail {
  const part = (lang: MailLang) => {
    const key = `${f.kind}:${lang}`;
    const mine = custom.get(key);
    if (mine) {
      try {
        checkTemplate(mine);
        return renderTemplate(mine, templateView(f, lang));
      } catch (err) {
        onBadTemplate?.(key, err as Error);
      }
    }
    return renderTemplate(defaultTemplate(f.kind, lang), templateView(f, lang));
  };
  const [de, en] = MAIL_LANGS.map(part) as [RenderedMail, RenderedMail];
  return {
    subject: `${de.subject} / ${en.subject}`,
    text: `${de.text.trimEnd()}\n\n— English —\n\n${en.text.trimEnd()}\n`,
    html: `<!doctype html><html><body><div lang="de">${de.html}</div><hr><div lang="en">${en.html}</div></body></html>`,
  };
}

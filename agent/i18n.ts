import type { Lang } from '../protocol/index.js';

/**
 * The employee's language: an explicit choice wins, then the POSIX locale variables, then the
 * OS locale as Intl reports it (Windows and macOS do not set LANG for GUI sessions). German or English.
 */
export function detectLang(explicit?: string, env: NodeJS.ProcessEnv = process.env): Lang {
  const candidates = [explicit, env.LC_ALL, env.LC_MESSAGES, env.LANG, Intl.DateTimeFormat().resolvedOptions().locale];
  for (const value of candidates) {
    if (!value || value === 'C' || value === 'POSIX' || value.startsWith('C.')) continue;
    return value.toLowerCase().startsWith('de') ? 'de' : 'en';
  }
  return 'en';
}

/** A text in both languages; functions for texts with values in them. */
export type Text<A extends unknown[] = []> = { de: (...args: A) => string; en: (...args: A) => string };

/** In the device's own time zone: the employee reads the deadline as a local date. */
export function formatDate(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'long' }).format(new Date(iso));
}

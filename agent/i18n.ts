import type { Lang } from '../protocol/index.js';

/**
 * The employee's language: an explicit choice wins, then the POSIX locale variables, then the
 * OS locale as Intl reports it (Windows and macOS do not set LANG for GUI sessions). German or English.
 */
export function detectLang(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Lang {
  // Intl is asked last and only where it can know more: its first use maps the ICU data (~7 MB resident, ~30 ms). On
  // Linux ICU takes its default locale from these same variables, so asking it would only cost the time.
  const candidates: (string | undefined | (() => string))[] = [explicit, env.LC_ALL, env.LC_MESSAGES, env.LANG];
  if (platform !== 'linux') candidates.push(() => Intl.DateTimeFormat().resolvedOptions().locale);
  for (const candidate of candidates) {
    const value = typeof candidate === 'function' ? candidate() : candidate;
    if (!value || value === 'C' || value === 'POSIX' || value.startsWith('C.')) continue;
    return value.toLowerCase().startsWith('de') ? 'de' : 'en';
  }
  return 'en';
}

/** A text in both languages; functions for texts with values in them. */
export type Text<A extends unknown[] = []> = { de: (...args: A) => string; en: (...args: A) => string };

const MONTHS_EN_GB = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sept', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/**
 * A moment as `appwacht status` shows it: date and time in the laptop's time zone, as Intl's medium style writes them
 * ("20.11.2026, 17:00:00", "20 Nov 2026, 17:00:00"), but without Intl: its first use maps ICU's locale data, ~20 ms of
 * CPU and 8 MiB for a status that shows a few times (BENCHMARKS.md, "Start-up", third pass). test/agent/i18n.test.ts
 * holds it against Intl. A time that does not parse is shown as written.
 */
export function formatDateTime(moment: Date | string | number, lang: Lang, seconds = true): string {
  const at = new Date(moment);
  if (Number.isNaN(at.getTime())) return String(moment);
  const time = `${two(at.getHours())}:${two(at.getMinutes())}${seconds ? `:${two(at.getSeconds())}` : ''}`;
  return lang === 'de'
    ? `${two(at.getDate())}.${two(at.getMonth() + 1)}.${at.getFullYear()}, ${time}`
    : `${at.getDate()} ${MONTHS_EN_GB[at.getMonth()]} ${at.getFullYear()}, ${time}`;
}

const MONTHS_LONG = {
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

/**
 * A deadline is a date in the organisation's time zone, written with its offset (…T00:00:00+02:00):
 * it is shown in that offset, so "15 September" reads the same on a laptop set to UTC. Written as Intl's long style
 * writes it ("15. September 2026", "15 September 2026"), but without Intl, for the same reason as formatDateTime: the
 * turn that notifies the employee grew by 8.5 MiB with it. test/agent/i18n.test.ts holds it against Intl. A date that
 * does not parse is shown as written.
 */
export function formatDate(iso: string, lang: Lang): string {
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  const minutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  const shifted = new Date(Date.parse(iso) + minutes * 60_000);
  if (Number.isNaN(shifted.getTime())) return iso;
  const [day, month, year] = [shifted.getUTCDate(), MONTHS_LONG[lang][shifted.getUTCMonth()], shifted.getUTCFullYear()];
  return lang === 'de' ? `${day}. ${month} ${year}` : `${day} ${month} ${year}`;
}

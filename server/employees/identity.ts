/**
 * OS users → mail identities. `KOMMUNE\ben`, `ben@corp` and `BEN` are one user, `ben`; a template such as
 * `{user}@stadt.example` makes the address, and an imported CSV overrides the template per user. A user name that
 * would not make a plain address (spaces, quotes, non-ASCII) is left unmapped for the admin instead of guessed.
 */
import { z } from 'zod';

export class IdentityError extends Error {
  constructor(
    readonly code: 'TEMPLATE_INVALID' | 'CSV_INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

const USER_PART = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const Email = z.email();

/** `KOMMUNE\Ben` → `ben`; `anna@corp` → `anna`; `mmueller` → `mmueller`. Null when nothing usable remains. */
export function normalizeOsUser(raw: string): string | null {
  let u = raw.trim();
  const slash = Math.max(u.lastIndexOf('\\'), u.lastIndexOf('/'));
  if (slash >= 0) u = u.slice(slash + 1);
  const at = u.indexOf('@');
  if (at >= 0) u = u.slice(0, at);
  u = u.toLowerCase();
  return USER_PART.test(u) ? u : null;
}

/** Checks a template once, at start-up: `{user}` exactly once, and what it makes must be an address. */
export function checkTemplate(template: string): void {
  if (template.split('{user}').length !== 2) throw new IdentityError('TEMPLATE_INVALID', 'the template must contain {user} once');
  if (!Email.safeParse(template.replace('{user}', 'probe')).success)
    throw new IdentityError('TEMPLATE_INVALID', `the template does not make a mail address: ${template}`);
}

export function mailIdentity(osUser: string, template: string | null, overrides: ReadonlyMap<string, string>): string | null {
  const user = normalizeOsUser(osUser);
  if (user === null) return null;
  const mapped = overrides.get(user);
  if (mapped !== undefined) return mapped;
  if (template === null) return null;
  const email = template.replace('{user}', user).toLowerCase();
  return Email.safeParse(email).success ? email : null;
}

/**
 * The employee a mail/groupware login names: an address as it is (lower-cased), a bare user name (or
 * `DOMAIN\user`) through the same mapping as OS users.
 */
export function loginIdentity(login: string, template: string | null, overrides: ReadonlyMap<string, string>): string | null {
  const l = login.trim().toLowerCase();
  if (l.includes('@') && !l.includes('\\')) return Email.safeParse(l).success ? l : null;
  return mailIdentity(l, template, overrides);
}

export interface CsvMapping {
  rows: { osUser: string; email: string; line: number }[];
  errors: { line: number; message: string }[];
}

/**
 * `os_user,email` per line (a header line naming them is skipped; `;` works as separator too, as Excel writes it in
 * German locales). Bad lines are reported with their number, the good ones kept. One user named twice with two
 * addresses is an error on the second line (a mistake in the file, not a choice to guess); twice with one address is
 * kept once.
 */
export function parseEmployeeCsv(text: string): CsvMapping {
  const out: CsvMapping = { rows: [], errors: [] };
  const seen = new Map<string, { line: number; email: string }>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const cells = line.split(/[;,]/).map((c) =>
      c
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .trim(),
    );
    if (i === 0 && /^os_?user$/i.test(cells[0] ?? '')) return;
    if (cells.length !== 2) return void out.errors.push({ line: n, message: 'expected two columns: os_user,email' });
    const user = normalizeOsUser(cells[0]!);
    const email = cells[1]!.toLowerCase();
    if (user === null) return void out.errors.push({ line: n, message: `not a usable user name: ${cells[0]!.slice(0, 80)}` });
    if (!Email.safeParse(email).success)
      return void out.errors.push({ line: n, message: `not a mail address: ${cells[1]!.slice(0, 80)}` });
    const first = seen.get(user);
    if (first && first.email !== email)
      return void out.errors.push({ line: n, message: `${user} is mapped twice (line ${first.line}: ${first.email})` });
    if (first) return;
    seen.set(user, { line: n, email });
    out.rows.push({ osUser: user, email, line: n });
  });
  return out;
}

import type { Localized, Report } from '../../protocol/index.js';

/**
 * The plain-language privacy statement of "What is reported": every field a report carries, what it means and how long
 * the server keeps it. Keyed by the field's path in the protocol's `Report` type (`findings[].installs[].location`), and
 * typed as a Record over exactly those paths: a field added to or removed from protocol/report.ts breaks the build here
 * until it is described, and test/app/renderer/privacy.test.ts walks the zod schema itself to check the same at run time.
 */

type Leaf = string | number | boolean | null | undefined;
/** Every leaf path of T: objects by `.`, array elements by `[].`; an array of plain values is one leaf. */
export type FieldPaths<T, P extends string = ''> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends readonly (infer E)[]
    ? NonNullable<E> extends Leaf
      ? `${P}${K}`
      : FieldPaths<NonNullable<E>, `${P}${K}[].`>
    : NonNullable<T[K]> extends Leaf
      ? `${P}${K}`
      : FieldPaths<NonNullable<T[K]>, `${P}${K}.`>;
}[keyof T & string];

export type ReportField = FieldPaths<Report>;

/**
 * How long the server keeps a field. `history`: in the device's report history, deleted after the retention period
 * (180 days unless the organisation sets another, APPWACHT_REPORT_RETENTION_DAYS) and bounded per device; `current`:
 * also kept as the device's current state until a newer report replaces it or IT deletes the device.
 */
export type Retention = 'history' | 'current';

export interface FieldText {
  what: Localized;
  retention: Retention;
}

const f = (de: string, en: string, retention: Retention = 'history'): FieldText => ({ what: { de, en }, retention });

export const REPORT_FIELDS: Record<ReportField, FieldText> = {
  reportId: f(
    'Zufällige Kennung dieses Berichts (damit eine Wiederholung nur einmal zählt)',
    'A random id of this report (so a retry counts once)',
    'current',
  ),
  kind: f('Art: Änderung oder regelmäßiges Lebenszeichen', 'Kind: a change, or the regular heartbeat'),
  scannedAt: f('Zeitpunkt der Prüfung', 'When the check ran', 'current'),
  agentVersion: f('Version von Appwacht', 'The Appwacht version', 'current'),
  policyVersion: f('Version der Richtlinie, nach der geprüft wurde', 'The version of the policy the check used', 'current'),
  'state.status': f(
    'Ergebnis: in Ordnung, Hinweis, Verstoß oder unklar',
    'Result: compliant, warning, violation or unknown',
    'current',
  ),
  'state.gaps[].code': f('Was die Prüfung nicht lesen konnte (als Code)', 'What the check could not read (as a code)'),
  'state.gaps[].source': f('Welche Quelle das war (z. B. „dpkg“)', 'Which source that was (e.g. “dpkg”)'),
  'state.deadline': f('Früheste Frist der gefundenen verbotenen Apps', 'Earliest deadline of the banned apps found', 'current'),
  'state.pastDeadline': f('Ob diese Frist verstrichen ist', 'Whether that deadline has passed', 'current'),
  'state.daysPastDeadline': f('Tage seit der Frist', 'Days since the deadline'),
  'findings[].ruleId': f('Welche Regel der Richtlinie zutraf', 'Which policy rule matched', 'current'),
  'findings[].appId': f(
    'Welche App gefunden wurde (nur Apps, nach denen die Richtlinie fragt)',
    'Which app was found (only apps the policy asks about)',
    'current',
  ),
  'findings[].name': f('Name dieser App', 'Name of that app', 'current'),
  'findings[].action': f('Verboten oder nur Hinweis', 'Banned or warning only', 'current'),
  'findings[].deadline': f('Frist für diese App', 'Deadline for that app'),
  'findings[].evidence': f('Installiert und/oder läuft', 'Installed and/or running', 'current'),
  'findings[].installs[].source': f(
    'Wo sie gefunden wurde (Store, Paket, Flatpak, AppImage …)',
    'Where it was found (Store, package, flatpak, AppImage …)',
  ),
  'findings[].installs[].scope': f('Für das ganze Gerät oder ein Konto', 'For the whole device or one account'),
  'findings[].installs[].name': f('Name, den das System der Installation gibt', 'The name the system gives the install'),
  'findings[].installs[].version': f('Version der Installation', 'Version of the install'),
  'findings[].installs[].location': f(
    'Ordner oder Datei der Installation (kann Ihren Kontonamen enthalten)',
    'Folder or file of the install (may contain your account name)',
  ),
  'findings[].installs[].user': f('Konto, dem die Installation gehört', 'The account the install belongs to'),
  'findings[].installs[].matchedBy': f('Woran sie erkannt wurde (Kennung oder Name)', 'What identified it (an id or the name)'),
  'findings[].processes[].pid': f('Prozessnummer, falls die App lief', 'Process number, if the app was running'),
  'findings[].processes[].name': f('Prozessname', 'Process name'),
  'findings[].processes[].path': f('Pfad des laufenden Programms', 'Path of the running program'),
  'sources[].id': f(
    'Welche Verzeichnisse der Programme gelesen wurden (nicht ihr Inhalt)',
    'Which app inventories were read (not their contents)',
  ),
  'sources[].ok': f('Ob das Lesen gelang', 'Whether reading them worked'),
  'sources[].error': f('Fehlermeldung, falls nicht', 'The error message, if not'),
};

/** Said once above the list: what is never reported. */
export const NEVER_REPORTED: Localized = {
  de: 'Nie gemeldet werden: die Liste Ihrer übrigen Programme, Dateien, Browserverlauf, Nachrichten oder Kontakte. Gemeldet wird nur, was die Richtlinie abfragt.',
  en: 'Never reported: the list of your other apps, files, browsing history, messages or contacts. Only what the policy asks about is reported.',
};

export const RETENTION_TEXT: Record<Retention, Localized> = {
  history: {
    de: 'im Berichtsverlauf, gelöscht nach der Aufbewahrungsfrist (180 Tage, sofern Ihre Organisation nichts anderes festlegt)',
    en: 'in the report history, deleted after the retention period (180 days unless your organisation sets another)',
  },
  current: {
    de: 'im Verlauf und als aktueller Stand des Geräts, bis ein neuer Bericht ihn ersetzt oder die IT das Gerät löscht',
    en: 'in the history, and as the device’s current state until a newer report replaces it or IT deletes the device',
  },
};

/**
 * CSV for spreadsheets, with text that employees control (hostnames, OS user names) neutralised: a cell a spreadsheet
 * would run as a formula (=, +, -, @, and the tab/CR tricks; also their full-width forms) gets a leading apostrophe,
 * the OWASP advice, and control characters become U+FFFD so no line breaks or terminal escapes get through.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const FORMULA_START = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

/** Text safe to show in a log line or a table: control characters replaced, nothing else touched. */
export function withoutControlChars(text: string): string {
  return text.replace(CONTROL, '\ufffd');
}

/** One cell: neutralised and always quoted, so commas, quotes and semicolon-locales all read it the same. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  // The formula check runs on the raw text: a leading tab or CR is itself a known trick.
  let text = FORMULA_START.test(value) ? `'${value}` : value;
  text = withoutControlChars(text);
  return `"${text.replace(/"/g, '""')}"`;
}

/** Lines end in CRLF (RFC 4180); the caller adds a UTF-8 BOM if Excel must guess the encoding right. */
export function csvLine(cells: readonly (string | number | boolean | null)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

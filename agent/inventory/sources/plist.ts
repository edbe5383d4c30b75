import { parseBuffer } from 'bplist-parser';
import { parse as parseXmlPlist } from 'plist';
import { AppwachtError } from '../../errors.js';

/**
 * An Info.plist that cannot be read. Codes: PLIST_FORMAT (neither XML nor binary),
 * PLIST_MALFORMED (the parser gave up: truncated, bad XML, corrupt offsets), PLIST_NOT_DICT (valid, but not a dictionary).
 */
export class PlistError extends AppwachtError {}

/** The Info.plist keys Appwacht reads; everything else in the dictionary is ignored. */
export interface BundleInfo {
  bundleId?: string;
  name?: string;
  version?: string;
  executable?: string;
}

const BINARY_MAGIC = 'bplist00';

function looksLikeXml(text: string): boolean {
  const start = text.trimStart();
  return start.startsWith('<?xml') || start.startsWith('<!DOCTYPE') || start.startsWith('<plist');
}

/** xmldom reports fatal errors with console.error before throwing; keep that out of the CLI's output and put it in the error. */
function withConsoleErrorsCaptured<T>(fn: () => T): T {
  const original = console.error;
  const captured: string[] = [];
  console.error = (...args: unknown[]) => void captured.push(args.map(String).join(' '));
  try {
    return fn();
  } catch (err) {
    const detail = captured.join(' ').replace(/\s+/g, ' ').trim();
    throw new PlistError('PLIST_MALFORMED', `malformed XML plist: ${err instanceof Error ? err.message : String(err)}`, {
      cause: detail ? new Error(detail) : err,
    });
  } finally {
    console.error = original;
  }
}

function decodeText(bytes: Buffer): string {
  // Xcode writes UTF-8; a UTF-16 file announces itself with a BOM.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
}

/**
 * Parses the bytes of a property list (XML with `plist`, binary `bplist00` with `bplist-parser`)
 * and returns its top-level dictionary. Throws a PlistError with a code for anything else.
 */
export function parsePlistDict(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  if (bytes.subarray(0, BINARY_MAGIC.length).toString('latin1') === BINARY_MAGIC) {
    try {
      value = parseBuffer(bytes)[0];
    } catch (err) {
      throw new PlistError('PLIST_MALFORMED', `malformed binary plist: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  } else {
    const text = decodeText(bytes);
    if (!looksLikeXml(text)) {
      throw new PlistError('PLIST_FORMAT', 'neither an XML nor a binary property list');
    }
    value = withConsoleErrorsCaptured(() => parseXmlPlist(text));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
    throw new PlistError('PLIST_NOT_DICT', 'the property list is not a dictionary');
  }
  return value as Record<string, unknown>;
}

/** A usable text value: strings as they are, numbers as written (some apps store versions as <integer> or <real>). */
function textValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Picks the identifying keys out of an Info.plist dictionary. `problems` lists keys that are present
 * but unusable (wrong type), so a strange bundle is visible instead of silently nameless.
 */
export function bundleInfoFrom(dict: Record<string, unknown>): { info: BundleInfo; problems: string[] } {
  const problems: string[] = [];
  const read = (key: string, allowNumber = false): string | undefined => {
    const value = dict[key];
    if (value === undefined) return undefined;
    const text = typeof value === 'number' && !allowNumber ? undefined : textValue(value);
    if (text === undefined && !(typeof value === 'string')) problems.push(`${key} is not a string`);
    return text;
  };
  const info: BundleInfo = {};
  const bundleId = read('CFBundleIdentifier');
  const name = read('CFBundleDisplayName') ?? read('CFBundleName');
  const version = read('CFBundleShortVersionString', true) ?? read('CFBundleVersion', true);
  const executable = read('CFBundleExecutable');
  if (bundleId) info.bundleId = bundleId;
  if (name) info.name = name;
  if (version) info.version = version;
  if (executable) info.executable = executable;
  return { info, problems };
}

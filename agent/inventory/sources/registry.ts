import path from 'node:path';
import { SourceError } from '../../errors.js';
import type { CollectContext, InstalledApp, InventorySource, ParseResult, UnreadPlace } from '../types.js';
import { checkRaw, type RawOf, type Zod } from './raw.js';
import { accountName, capture, checkIdentity, CommandCaptureShape, parseWhoami, windowsTools } from './windows-commands.js';
import type { WindowsSourceOptions, WindowsTools } from './windows-commands.js';

/**
 * Windows "Apps & features" entries: the Uninstall keys, read with `reg query <key> /s`.
 *
 * Where: HKLM (64-bit view), HKLM\SOFTWARE\WOW6432Node (32-bit installers), HKCU, and — when elevated —
 * every loaded user hive under HKEY_USERS.
 *
 * The trap: per-user installers (Squirrel: Discord, Slack, legacy WhatsApp; Inno/NSIS per-user: Telegram, Signal,
 * LINE, Zoom) write only to the installing user's hive, and an agent running as a service (SYSTEM) sees SYSTEM's
 * own, nearly empty HKCU. So an elevated agent lists HKU and reads each loaded user's hive by SID; HKCU is then read
 * only when it is not one of those (i.e. it is SYSTEM's — which still matters: software deployed "as SYSTEM" lands there).
 * Hives of users who are not logged on are not loaded and cannot be read this way.
 *
 * Encoding: reg.exe writes in the console's OEM code page (850 on German Windows), while `run` decodes UTF-8.
 * Characters outside ASCII therefore arrive as U+FFFD, or as "?" when the code page lacks them (CJK names).
 * We keep the text verbatim (the raw capture stays honest), let matching rely on ASCII identifiers first
 * (uninstall key names, publishers, paths are mostly ASCII), and report every record whose text shows such a loss
 * as a problem. (A lossless route would be `reg export`, which writes UTF-16 files — not worth a temp file per scan.)
 *
 * The 64-bit view is forced with /reg:64: a 32-bit agent would otherwise be silently redirected to WOW6432Node.
 */

const UNINSTALL = 'Microsoft\\Windows\\CurrentVersion\\Uninstall';
const PROFILE_LIST = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList';

export type Hive = 'HKLM' | 'HKCU' | 'HKU';

/** One `reg query` of an Uninstall key: where it was (hive, view, user) and what reg.exe printed. */
const RawRegistryQuery = (zod: Zod) =>
  zod.object({
    hive: zod.enum(['HKLM', 'HKCU', 'HKU']),
    /** '64' = native view, '32' = WOW6432Node (32-bit installers on 64-bit Windows). */
    view: zod.enum(['64', '32']),
    key: zod.string().min(1),
    /** The user hive's SID (HKU) or the agent's own SID (HKCU). */
    sid: zod.string().optional(),
    result: CommandCaptureShape(zod),
  });
export type RawRegistryQuery = RawOf<typeof RawRegistryQuery>;

const RawRegistry = (zod: Zod) =>
  zod.object({
    elevated: zod.boolean(),
    /** `whoami /user /groups /fo csv /nh`: who the agent runs as and whether elevated. */
    whoami: CommandCaptureShape(zod),
    /** `reg query …\ProfileList /s`: SID → profile folder, to name the user of a hive. */
    profileList: CommandCaptureShape(zod),
    /** `reg query HKU` (only when elevated): the loaded hives. */
    loadedHives: CommandCaptureShape(zod).optional(),
    queries: zod.array(RawRegistryQuery(zod)),
  });
export type RawRegistry = RawOf<typeof RawRegistry>;

// ---------------------------------------------------------------------------------------------------------------
// reg query output format (pure)

export interface RegValue {
  name: string;
  type: string;
  data: string;
}

export interface RegKey {
  path: string;
  values: RegValue[];
}

/** `    Name    REG_TYPE    Data`: four spaces around each part; names may contain single spaces ("Inno Setup: App Path"). */
const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/;
const KEY_LINE = /^HKEY_[A-Z_]+(?:\\.*)?$/;

/**
 * Undoes a dump that was saved as UTF-16 (PowerShell 5's `>` does that) and then read as 8-bit text:
 * every other character is NUL. ASCII survives; anything else was already mangled and is reported.
 */
function repairUtf16(text: string, problems: string[]): string {
  const nuls = text.split('\u0000').length - 1;
  if (nuls === 0) return text;
  if (nuls * 3 >= text.length) {
    problems.push('output looked like UTF-16 read as 8-bit text; NUL bytes removed, non-ASCII characters may be lost');
    return text.replaceAll('\u0000', '').replace(/^(?:\uFEFF|\uFFFD{1,2}|ÿþ)/, '');
  }
  problems.push(`output contains ${nuls} NUL character(s)`);
  return text.replaceAll('\u0000', '');
}

/** Parses the text `reg query … /s` prints into keys and their values. Never throws; oddities become problems. */
export function parseRegQuery(text: string): { keys: RegKey[]; problems: string[] } {
  const problems: string[] = [];
  let body = repairUtf16(text, problems).replace(/^\uFEFF/, '');
  if (body.trim() === '') return { keys: [], problems: ['reg printed nothing'] };
  if (!/\r?\n$/.test(body)) {
    // reg.exe always ends with a line break; a capture cut mid-line would otherwise yield a shortened value.
    const cut = body.lastIndexOf('\n');
    problems.push(`output ends mid-line (truncated?); dropped the partial line "${body.slice(cut + 1, cut + 61)}"`);
    body = body.slice(0, cut + 1);
  }
  const keys: RegKey[] = [];
  let current: RegKey | undefined;
  const unrecognised: string[] = [];
  for (const line of body.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    if (KEY_LINE.test(line)) {
      current = { path: line.trimEnd(), values: [] };
      keys.push(current);
      continue;
    }
    const m = VALUE_LINE.exec(line);
    if (m && current) current.values.push({ name: m[1]!, type: m[2]!, data: m[3] ?? '' });
    else unrecognised.push(line);
  }
  if (unrecognised.length > 0) {
    // reg.exe's "End of search: N match(es) found." (localised) lands here too; it is harmless but still said.
    problems.push(`${unrecognised.length} unrecognised line(s), e.g. "${unrecognised[0]!.trim().slice(0, 60)}"`);
  }
  if (keys.length === 0) problems.push('no registry keys in the output (not reg query output?)');
  return { keys, problems };
}

const HIVE_NAMES: Record<string, string> = { HKLM: 'HKEY_LOCAL_MACHINE', HKCU: 'HKEY_CURRENT_USER', HKU: 'HKEY_USERS' };

/** reg.exe prints full hive names; queries are written with the short ones. */
export function expandHive(key: string): string {
  const [head, ...rest] = key.split('\\');
  return [HIVE_NAMES[head!.toUpperCase()] ?? head!, ...rest].join('\\');
}

/**
 * reg.exe's "key not found" (exit 1, like "access denied"), in English and German; the OEM code page may mangle
 * umlauts, so only ASCII words are matched. Anything else that fails a query is a place we could not read.
 */
const KEY_NOT_FOUND = /unable to find the specified registry key|nicht gefunden/i;

const WELL_KNOWN_SERVICE_SIDS = new Set(['S-1-5-18', 'S-1-5-19', 'S-1-5-20']);

/** `reg query HKU` → the SIDs of loaded user hives (no .DEFAULT, no *_Classes, no LocalSystem/LocalService/NetworkService). */
export function userHivesFrom(text: string): string[] {
  const sids: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^HKEY_USERS\\(S-1-\d+(?:-\d+)+)\s*$/i.exec(line);
    if (m && !WELL_KNOWN_SERVICE_SIDS.has(m[1]!.toUpperCase())) sids.push(m[1]!.toUpperCase());
  }
  return sids;
}

/** ProfileList → SID → user name (last part of ProfileImagePath). Backup entries ("<SID>.bak") are ignored. */
export function profilesFrom(text: string): Map<string, string> {
  const profiles = new Map<string, string>();
  for (const key of parseRegQuery(text).keys) {
    const sid = /\\(S-1-\d+(?:-\d+)+)$/i.exec(key.path)?.[1];
    const image = key.values.find((v) => v.name.toLowerCase() === 'profileimagepath')?.data.trim();
    if (sid && image) profiles.set(sid.toUpperCase(), path.win32.basename(image.replace(/\\+$/, '')));
  }
  return profiles;
}

// ---------------------------------------------------------------------------------------------------------------
// Uninstall entries → records (pure)

function valueMap(key: RegKey): Map<string, RegValue> {
  return new Map(key.values.map((v) => [v.name.toLowerCase(), v]));
}

function text(values: Map<string, RegValue>, name: string): string | undefined {
  const v = values.get(name.toLowerCase());
  if (!v || !/^REG_(?:EXPAND_)?SZ$/.test(v.type)) return undefined;
  return v.data.trim() || undefined;
}

/** DWORDs print as 0x…; some installers write flags as strings ("1"). */
function flag(values: Map<string, RegValue>, name: string): number | undefined {
  const v = values.get(name.toLowerCase());
  if (!v) return undefined;
  const n = Number(v.data.trim());
  return Number.isFinite(n) ? n : undefined;
}

const ABSOLUTE_WINDOWS_PATH = /^(?:[A-Za-z]:\\|\\\\|%[A-Za-z_()0-9]+%\\)/;

/**
 * The file path at the start of a command or icon reference: `"C:\x\y.exe" --arg`, `C:\x\y.exe,0`,
 * `C:\Program Files\x\uninst.exe /S`. Only absolute paths count (MsiExec.exe /X{…} names no location).
 */
export function leadingPath(command: string): string | undefined {
  const s = command.trim();
  let candidate: string | undefined;
  if (s.startsWith('"')) candidate = s.slice(1, s.indexOf('"', 1) > 0 ? s.indexOf('"', 1) : undefined);
  else candidate = /^(.+?\.(?:exe|ico|dll))(?=$|[\s,])/i.exec(s)?.[1] ?? s.replace(/,-?\d+$/, '');
  candidate = candidate.trim();
  return ABSOLUTE_WINDOWS_PATH.test(candidate) ? candidate : undefined;
}

/** Executables that DisplayIcon often names but that are not the app: uninstallers, setups, updaters, Office's C2R service. */
const NOT_THE_APP = /^(?:unins\d*|.*uninst.*|.*setup|update|msiexec|officeclicktorun)\.exe$/i;

/** The app's own executable, when DisplayIcon names one (not an uninstaller, not an MSI icon cache file). */
function executableFrom(displayIcon: string | undefined): string | undefined {
  const file = displayIcon && leadingPath(displayIcon);
  if (!file || !/\.exe$/i.test(file) || /\\Windows\\Installer\\/i.test(file)) return undefined;
  const base = path.win32.basename(file);
  return NOT_THE_APP.test(base) ? undefined : base;
}

function locationFrom(values: Map<string, RegValue>): string | undefined {
  const install = text(values, 'InstallLocation')?.replace(/^"(.*)"$/, '$1');
  if (install) return install.length > 3 ? install.replace(/\\+$/, '') : install;
  for (const name of ['DisplayIcon', 'UninstallString']) {
    const file = text(values, name);
    const found = file && leadingPath(file);
    if (found && /\.\w+$/.test(found)) return path.win32.dirname(found);
  }
  return undefined;
}

/** Signs that reg.exe's code page could not carry a character (see the encoding note at the top). */
function lostCharacters(...texts: Array<string | undefined>): boolean {
  return texts.some((t) => t !== undefined && (t.includes('\uFFFD') || /\?{2,}/.test(t)));
}

export interface UninstallContext {
  hive: Hive;
  queriedKey: string;
  user?: string;
}

/**
 * Turns the keys of one Uninstall query into records. Skipped by design: subkeys deeper than one level,
 * SystemComponent=1 (hidden from Apps & features), entries without DisplayName, and updates (ParentKeyName set).
 */
export function uninstallEntries(keys: RegKey[], ctx: UninstallContext): ParseResult {
  const apps: InstalledApp[] = [];
  const problems: string[] = [];
  const prefix = `${expandHive(ctx.queriedKey)}\\`.toLowerCase();
  for (const key of keys) {
    if (!key.path.toLowerCase().startsWith(prefix)) {
      if (key.path.toLowerCase() !== prefix.slice(0, -1)) problems.push(`${key.path}: outside the queried key`);
      continue;
    }
    const subkey = key.path.slice(prefix.length);
    if (subkey === '' || subkey.includes('\\')) continue;
    const values = valueMap(key);
    const name = text(values, 'DisplayName');
    if (!name || flag(values, 'SystemComponent') === 1 || text(values, 'ParentKeyName')) continue;
    const app: InstalledApp = {
      name,
      source: 'registry',
      scope: ctx.hive === 'HKLM' ? 'machine' : 'user',
      ids: { uninstallKey: subkey },
    };
    const version = text(values, 'DisplayVersion');
    const publisher = text(values, 'Publisher');
    const location = locationFrom(values);
    const executable = executableFrom(text(values, 'DisplayIcon'));
    if (version) app.version = version;
    if (publisher) app.publisher = publisher;
    if (ctx.user !== undefined && app.scope === 'user') app.user = ctx.user;
    if (executable) app.ids.executable = executable;
    if (location) app.location = location;
    if (lostCharacters(name, publisher)) {
      problems.push(`${key.path}: non-ASCII characters lost to the console code page ("${name}")`);
    }
    apps.push(app);
  }
  return { apps, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// The source: collect (commands) and parse (pure)

function uninstallKey(hive: Hive, view: '64' | '32', sid?: string): string {
  if (hive === 'HKLM') return view === '32' ? `HKLM\\SOFTWARE\\WOW6432Node\\${UNINSTALL}` : `HKLM\\SOFTWARE\\${UNINSTALL}`;
  if (hive === 'HKU') return `HKU\\${sid}\\Software\\${UNINSTALL}`;
  return `HKCU\\Software\\${UNINSTALL}`;
}

/** reg arguments for one query; /reg:64 pins the 64-bit view whatever the agent's own bitness. */
export function regQueryArgs(key: string, recursive = true): string[] {
  return ['query', key, ...(recursive ? ['/s'] : []), '/reg:64'];
}

async function collectRegistry(tools: WindowsTools, ctx: CollectContext): Promise<RawRegistry> {
  if (!ctx.live) {
    throw new SourceError(
      'NOT_LIVE',
      'the Windows registry can only be read on the machine itself; replay a capture with --from',
    );
  }
  const { whoami, identity } = await checkIdentity(tools);
  const elevated = identity.elevated === true;
  const query = (key: string, recursive = true) => capture(tools.run(tools.reg, regQueryArgs(key, recursive)));
  const [profileList, loadedHives] = await Promise.all([query(PROFILE_LIST), elevated ? query('HKU', false) : undefined]);
  const userSids = loadedHives?.ok ? userHivesFrom(loadedHives.output) : [];

  const targets: Array<Omit<RawRegistryQuery, 'result'>> = [
    { hive: 'HKLM', view: '64', key: uninstallKey('HKLM', '64') },
    { hive: 'HKLM', view: '32', key: uninstallKey('HKLM', '32') },
  ];
  // HKCU is the same hive as HKU\<own SID>; read it separately only when it is not among the user hives (SYSTEM's).
  if (!identity.sid || !userSids.includes(identity.sid.toUpperCase())) {
    targets.push({ hive: 'HKCU', view: '64', key: uninstallKey('HKCU', '64'), ...(identity.sid && { sid: identity.sid }) });
  }
  for (const sid of userSids) targets.push({ hive: 'HKU', view: '64', key: uninstallKey('HKU', '64', sid), sid });

  const results = await Promise.all(targets.map((t) => query(t.key)));
  return {
    elevated,
    whoami,
    profileList,
    ...(loadedHives && { loadedHives }),
    queries: targets.map((t, i) => ({ ...t, result: results[i]! })),
  };
}

/** Pure half: the verbatim outputs → records, with the user of each hive named from ProfileList. */
export function parseRegistry(data: RawRegistry): ParseResult {
  const problems: string[] = [];
  const unread: UnreadPlace[] = [];
  const apps: InstalledApp[] = [];
  if (!data.whoami.ok)
    problems.push(`whoami failed (${data.whoami.error.code}): ${data.whoami.error.message}; assumed not elevated`);
  if (!data.elevated)
    problems.push('not elevated: only the current user’s hive (HKCU) was read, other users’ per-user installs are not visible');
  // Elevated, the other users' hives are part of what this source promises to read; not being able to list them is a gap.
  if (data.loadedHives && !data.loadedHives.ok) unread.push({ place: 'HKU (other users’ hives)', ...data.loadedHives.error });
  if (!data.profileList.ok) problems.push(`reading ProfileList failed: ${data.profileList.error.message}`);
  const profiles = data.profileList.ok ? profilesFrom(data.profileList.output) : new Map<string, string>();
  const account = data.whoami.ok ? accountName(parseWhoami(data.whoami.output)) : undefined;

  let readable = 0;
  let recognised = 0;
  for (const q of data.queries) {
    if (!q.result.ok) {
      // A per-user hive without an Uninstall key (nobody ever installed per-user) is empty, not unreadable.
      if (KEY_NOT_FOUND.test(q.result.error.message)) problems.push(`${q.key}: no such key (nothing installed there)`);
      else unread.push({ place: q.key, ...q.result.error });
      continue;
    }
    readable++;
    const parsed = parseRegQuery(q.result.output);
    if (parsed.keys.length > 0) recognised++;
    for (const p of parsed.problems) problems.push(`${q.key}: ${p}`);
    const user = hiveUser(q, profiles, account);
    const entries = uninstallEntries(parsed.keys, { hive: q.hive, queriedKey: q.key, ...(user !== undefined && { user }) });
    apps.push(...entries.apps);
    problems.push(...entries.problems);
  }
  if (data.queries.length === 0) throw new SourceError('REG_NO_QUERIES', 'the capture holds no Uninstall key query');
  if (readable === 0 && unread.length > 0) {
    const first = unread[0]!;
    throw new SourceError('REG_UNREADABLE', `no Uninstall key could be queried: ${first.place}: ${first.code}: ${first.message}`);
  }
  if (readable > 0 && recognised === 0) {
    throw new SourceError('REG_GARBAGE', 'none of the reg query outputs contained a registry key');
  }
  return { apps, problems, ...(unread.length > 0 && { unread }) };
}

/**
 * Who a hive belongs to: the profile folder name from ProfileList, like the rest of Windows shows it. For the agent's
 * own HKCU under a service account, whoami's account name ("system") says more than ProfileList's "systemprofile".
 */
function hiveUser(q: { hive: Hive; sid?: string }, profiles: Map<string, string>, account?: string): string | undefined {
  if (q.hive === 'HKLM') return undefined;
  const sid = q.sid?.toUpperCase();
  if (q.hive === 'HKCU' && (!sid || WELL_KNOWN_SERVICE_SIDS.has(sid))) return account;
  const profile = sid ? profiles.get(sid) : undefined;
  return q.hive === 'HKU' ? (profile ?? sid) : (profile ?? account);
}

export function createRegistrySource(options: WindowsSourceOptions = {}): InventorySource<RawRegistry> {
  const tools = windowsTools(options);
  return {
    id: 'registry',
    collect: (ctx) => collectRegistry(tools, ctx),
    check: (raw) => checkRaw(RawRegistry, raw, 'registry'),
    parse: parseRegistry,
  };
}

export const registrySource = createRegistrySource();

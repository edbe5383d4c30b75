import path from 'node:path';

/**
 * Pure parsing of XDG Desktop Entry files (Desktop Entry Specification 1.5): the key file syntax, the
 * [Desktop Entry] group, localized keys, and the Exec quoting rules. Used by the desktop-entry source and
 * by the flatpak and snap sources for display names.
 */

export interface DesktopEntry {
  /** Keys of the [Desktop Entry] group, values unescaped (Name, Exec, Type, X-Flatpak, …). */
  keys: Record<string, string>;
  /** Localized Name values by locale ("de", "de_DE", "pt_BR"). */
  localizedNames: Record<string, string>;
  type?: string;
  name?: string;
  exec?: string;
  tryExec?: string;
  /** Hidden=true: the entry is deleted (a user's way of removing a system entry). */
  hidden: boolean;
  /** NoDisplay=true: installed, but not shown in menus (helpers, URL handlers). */
  noDisplay: boolean;
}

export type DesktopParse = { ok: true; entry: DesktopEntry; warnings: string[] } | { ok: false; error: string };

/** The general escapes of string values: \s \n \t \r \\ (an unknown escape keeps its backslash). */
export function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, (all, c: string) => {
    switch (c) {
      case 's':
        return ' ';
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '\\':
        return '\\';
      default:
        return all;
    }
  });
}

export type KeyFile = { ok: true; groups: Map<string, Map<string, string>>; warnings: string[] } | { ok: false; error: string };

/**
 * The key file syntax shared by .desktop files and flatpak's metadata: [Group] headers, Key=Value lines
 * (blanks around "=" ignored, values unescaped), # comments. Keys before the first group are an error, as in GLib.
 */
export function parseKeyFile(text: string): KeyFile {
  if (text.includes('\u0000')) return { ok: false, error: 'contains NUL bytes (binary file?)' };
  const warnings: string[] = [];
  const groups = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      const match = /^\[([^[\]]+)\]$/.exec(line);
      if (!match) return { ok: false, error: `line ${i + 1}: malformed group header` };
      const name = match[1]!;
      // The spec forbids duplicate groups; GLib rejects the file. We keep the first and say so.
      if (groups.has(name)) {
        warnings.push(`line ${i + 1}: duplicate group [${name}] ignored`);
        current = new Map();
        continue;
      }
      current = new Map();
      groups.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      warnings.push(`line ${i + 1}: not a key=value line, ignored`);
      continue;
    }
    if (!current) return { ok: false, error: `line ${i + 1}: key outside any group (no [group] header before it)` };
    current.set(line.slice(0, eq).trim(), unescapeValue(line.slice(eq + 1).trim()));
  }
  return { ok: true, groups, warnings };
}

export function parseDesktopEntry(text: string): DesktopParse {
  const file = parseKeyFile(text);
  if (!file.ok) return file;
  const { groups, warnings } = file;
  const main = groups.get('Desktop Entry');
  if (!main) return { ok: false, error: 'no [Desktop Entry] group' };

  const keys = Object.fromEntries(main);
  const localizedNames: Record<string, string> = {};
  for (const [key, value] of main) {
    const m = /^Name\[([^\]]+)\]$/.exec(key);
    if (m) localizedNames[m[1]!] = value;
  }
  const bool = (key: string) => {
    const v = main.get(key);
    if (v === undefined) return false;
    if (v === 'true') return true;
    if (v !== 'false') warnings.push(`${key}=${v} is not a boolean, read as false`);
    return false;
  };
  return {
    ok: true,
    warnings,
    entry: {
      keys,
      localizedNames,
      type: main.get('Type'),
      name: main.get('Name'),
      exec: main.get('Exec'),
      tryExec: main.get('TryExec'),
      hidden: bool('Hidden'),
      noDisplay: bool('NoDisplay'),
    },
  };
}

/**
 * The Name for a locale, with the spec's fallback order: lang_COUNTRY@MODIFIER, lang_COUNTRY,
 * lang@MODIFIER, lang, then the unlocalized Name.
 */
export function localizedName(entry: DesktopEntry, locale: string): string | undefined {
  const m = /^([a-zA-Z]+)(?:_([a-zA-Z]+))?(?:\.[^@]*)?(?:@(.+))?$/.exec(locale);
  if (!m) return entry.name;
  const [, lang, country, modifier] = m;
  const tries = [
    country && modifier ? `${lang}_${country}@${modifier}` : undefined,
    country ? `${lang}_${country}` : undefined,
    modifier ? `${lang}@${modifier}` : undefined,
    lang,
  ];
  for (const t of tries) if (t && entry.localizedNames[t] !== undefined) return entry.localizedNames[t];
  return entry.name;
}

/**
 * Splits an Exec value into arguments per the spec: arguments separated by spaces, double quotes around
 * a whole argument, and inside quotes \" \` \$ \\ escaped. Field codes (%f %U …) are dropped, %% is a
 * percent sign. Returns the arguments and whether the quoting was broken (then the split is best effort).
 */
export function splitExec(exec: string): { args: string[]; malformed: boolean } {
  const args: string[] = [];
  let current = '';
  let started = false;
  let quoted = false;
  for (let i = 0; i < exec.length; i++) {
    const c = exec[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < exec.length && '"`$\\'.includes(exec[i + 1]!)) current += exec[++i];
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') {
      quoted = true;
      started = true;
    } else if (c === ' ' || c === '\t') {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) args.push(current);
  const expanded = args
    .filter((a) => !/^%[fFuUdDnNickvm]$/.test(a))
    .map((a) => a.replace(/%(%|[fFuUdDnNickvm])/g, (_all, c: string) => (c === '%' ? '%' : '')));
  return { args: expanded, malformed: quoted };
}

/** Splits a `sh -c` string on blanks, honouring '…' and "…". Approximate, and only used to find the program. */
function splitShell(command: string): string[] {
  const args: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|((?:[^\s'"\\;&|]|\\.)+)|([;&|]+)/g;
  let current = '';
  let started = false;
  let last = 0;
  for (let m = re.exec(command); m; m = re.exec(command)) {
    const gap = command.slice(last, m.index);
    if (/\s/.test(gap) && started) {
      args.push(current);
      current = '';
      started = false;
    }
    last = re.lastIndex;
    if (m[4] !== undefined) break; // the first command of a list is the one that names the program
    current += m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!.replace(/\\(.)/g, '$1');
    started = true;
  }
  if (started) args.push(current);
  return args;
}

/** What an Exec line says about the program it starts. */
export interface ExecInfo {
  /** The program as written after looking through wrappers ("/usr/bin/telegram-desktop"). */
  program?: string;
  /** Its base name ("telegram-desktop"); for `flatpak run` the --command, if any. */
  executable?: string;
  flatpakId?: string;
  snapName?: string;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh']);
const WINE = new Set(['wine', 'wine64', 'wine-stable', 'wine-development']);
// `env` options that take a separate value argument.
const ENV_WITH_VALUE = new Set(['-u', '--unset', '-C', '--chdir', '-S', '--split-string']);

/**
 * Looks through the usual launch wrappers to the real program: `env VAR=… prog`, `sh -c "exec prog …"`,
 * `flatpak run [options] <app-id>` (→ flatpakId), `/snap/bin/<snap>[.<app>]` and `snap run <snap>` (→ snapName).
 */
export function analyzeExec(exec: string): ExecInfo {
  let args = splitExec(exec).args;
  for (let depth = 0; depth < 4 && args.length > 0; depth++) {
    const program = args[0]!;
    const base = path.posix.basename(program);
    if (base === 'env') {
      let i = 1;
      for (; i < args.length; i++) {
        const a = args[i]!;
        if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) continue;
        if (a === '-S' || a === '--split-string') {
          // env -S "prog args": the string is the rest of the command line
          args = [...splitShell(args[i + 1] ?? ''), ...args.slice(i + 2)];
          i = -1;
          break;
        }
        if (ENV_WITH_VALUE.has(a)) {
          i++;
          continue;
        }
        if (a.startsWith('-')) continue;
        break;
      }
      if (i !== -1) args = args.slice(i);
      continue;
    }
    if (SHELLS.has(base)) {
      const c = args.indexOf('-c');
      if (c > 0 && args[c + 1] !== undefined) {
        args = splitShell(args[c + 1]!);
        if (args[0] === 'exec') args = args.slice(1);
        continue;
      }
      return { program, executable: base };
    }
    if (base === 'flatpak') return analyzeFlatpakRun(program, args.slice(1));
    if (WINE.has(base)) {
      // Windows apps under Wine (LINE, WeChat have no Linux client): the .exe is the program that matters.
      const exe = args.slice(1).find((a) => !a.startsWith('-') && a !== 'start' && a !== '/unix');
      return exe ? { program: exe, executable: exe.split(/[\\/]+/).pop() || exe } : { program, executable: base };
    }
    if (base === 'snap' && args[1] === 'run') {
      const name = args.slice(2).find((a) => !a.startsWith('-'));
      return name ? { program, executable: name, snapName: name.split('.')[0] } : { program, executable: base };
    }
    const snapBin = /^\/snap\/bin\/([^/]+)$/.exec(program);
    if (snapBin) return { program, executable: base, snapName: snapBin[1]!.split('.')[0] };
    return { program, executable: base || undefined };
  }
  return {};
}

// `flatpak run` options that may take their value as the next argument (GLib accepts "--opt value").
const FLATPAK_WITH_VALUE = new Set([
  '--arch',
  '--branch',
  '--command',
  '--commit',
  '--cwd',
  '--runtime',
  '--runtime-version',
  '--runtime-commit',
  '--env',
  '--filesystem',
  '--nofilesystem',
  '--socket',
  '--nosocket',
  '--share',
  '--unshare',
  '--device',
  '--nodevice',
  '--talk-name',
  '--own-name',
  '--persist',
  '--app-path',
  '--usr-path',
]);

function analyzeFlatpakRun(program: string, rest: string[]): ExecInfo {
  const run = rest.indexOf('run');
  if (run === -1) return { program, executable: 'flatpak' };
  let command: string | undefined;
  for (let i = run + 1; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.startsWith('--command=')) command = a.slice('--command='.length);
    else if (a === '--command') command = rest[++i];
    else if (FLATPAK_WITH_VALUE.has(a)) i++;
    else if (a.startsWith('-')) continue;
    else {
      // app id, optionally with /arch/branch
      const flatpakId = a.split('/')[0]!;
      return { program, flatpakId, ...(command ? { executable: path.posix.basename(command) } : {}) };
    }
  }
  return { program, executable: 'flatpak' };
}

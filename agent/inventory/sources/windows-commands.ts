import path from 'node:path';
import { describeError, errorCode } from '../../errors.js';
import { run } from '../exec.js';
import type { RunOptions } from '../exec.js';
import type { RawOf, Zod } from './raw.js';

/**
 * Shared plumbing of the Windows sources: the injectable command runner, absolute tool paths,
 * a "capture" wrapper that keeps a failed command as data, and the elevation check.
 */

/** Same contract as `run` from exec.ts; injectable so tests can stand in for reg.exe and PowerShell, which do not exist here. */
export type Runner = (file: string, args: readonly string[], options?: RunOptions) => Promise<string>;

export interface WindowsSourceOptions {
  run?: Runner;
  /** %SystemRoot%; tools are called by absolute path so a planted reg.exe earlier in PATH is never run (the agent may run as SYSTEM). */
  systemRoot?: string;
}

export interface WindowsTools {
  run: Runner;
  reg: string;
  whoami: string;
  powershell: string;
}

export function windowsTools(options: WindowsSourceOptions = {}): WindowsTools {
  const root = options.systemRoot ?? process.env.SystemRoot ?? 'C:\\Windows';
  const system32 = path.win32.join(root, 'System32');
  return {
    run: options.run ?? run,
    reg: path.win32.join(system32, 'reg.exe'),
    whoami: path.win32.join(system32, 'whoami.exe'),
    powershell: path.win32.join(system32, 'WindowsPowerShell', 'v1.0', 'powershell.exe'),
  };
}

/** A command's outcome as serialisable data: its verbatim stdout, or why it failed. */
export const CommandCaptureShape = (zod: Zod) =>
  zod.discriminatedUnion('ok', [
    zod.object({ ok: zod.literal(true), output: zod.string() }),
    zod.object({ ok: zod.literal(false), error: zod.object({ code: zod.string(), message: zod.string() }) }),
  ]);
export type CommandCapture = RawOf<typeof CommandCaptureShape>;

export async function capture(pending: Promise<string>): Promise<CommandCapture> {
  try {
    return { ok: true, output: await pending };
  } catch (err) {
    return { ok: false, error: { code: errorCode(err), message: describeError(err) } };
  }
}

/** whoami arguments: the account and its groups as CSV without headers (SIDs are the same in every UI language). */
export const WHOAMI_ARGS = ['/user', '/groups', '/fo', 'csv', '/nh'] as const;

export interface WindowsIdentity {
  account?: string;
  sid?: string;
  /** undefined when whoami's output carries no mandatory label. */
  elevated?: boolean;
}

function csvFields(line: string): string[] {
  const fields: string[] = [];
  const re = /"((?:[^"]|"")*)"(?:,|$)/g;
  for (const m of line.matchAll(re)) fields.push(m[1]!.replace(/""/g, '"'));
  return fields;
}

const SID = /^S-1-\d+(?:-\d+)+$/;

/**
 * Reads `whoami /user /groups /fo csv /nh`. Elevated means a High (S-1-16-12288) or System (S-1-16-16384)
 * mandatory label: only such a token can read other users' hives. Membership in Administrators alone is not
 * elevation (UAC gives an admin a filtered Medium token). Group names are localised; only whole SID fields count.
 */
export function parseWhoami(text: string): WindowsIdentity {
  const identity: WindowsIdentity = {};
  for (const line of text.split(/\r?\n/)) {
    const fields = csvFields(line.trim());
    if (fields.length === 2 && identity.sid === undefined && SID.test(fields[1]!)) {
      identity.account = fields[0];
      identity.sid = fields[1];
    } else if (/^S-1-16-\d+$/.test(fields[2] ?? '')) {
      identity.elevated = fields[2] === 'S-1-16-12288' || fields[2] === 'S-1-16-16384';
    }
  }
  return identity;
}

/** Runs whoami once; a failure is kept (the caller then proceeds as not elevated and says so). */
/** The account's name without its domain ("nt authority\\system" → "system"), as records name users. */
export function accountName(identity: WindowsIdentity): string | undefined {
  return identity.account?.split('\\').pop() || undefined;
}

export async function checkIdentity(tools: WindowsTools): Promise<{ whoami: CommandCapture; identity: WindowsIdentity }> {
  const whoami = await capture(tools.run(tools.whoami, WHOAMI_ARGS, { timeoutMs: 15_000 }));
  return { whoami, identity: whoami.ok ? parseWhoami(whoami.output) : {} };
}

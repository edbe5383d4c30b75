import path from 'node:path';
import { z } from 'zod';
import { AppwachtError, SourceError } from '../../errors.js';
import type { CollectContext, InstalledApp, InventorySource, ParseResult } from '../types.js';
import { checkRaw, type RawOf, type Zod } from './raw.js';
import { accountName, capture, checkIdentity, CommandCaptureShape, parseWhoami, windowsTools } from './windows-commands.js';
import type { WindowsSourceOptions, WindowsTools } from './windows-commands.js';

/**
 * Microsoft Store / MSIX packages via Windows PowerShell's Get-AppxPackage (WhatsApp Desktop has been a Store
 * package since 2023; Telegram and Messenger ship Store builds too).
 *
 * - Elevated: `Get-AppxPackage -AllUsers`, with the users each package is installed for, plus
 *   `Get-AppxProvisionedPackage -Online` (packages every new user gets: scope machine). Not elevated: the current user only.
 * - powershell.exe (5.1) on purpose: Get-AppxPackage under PowerShell 7 fails on some builds ("not supported on this platform").
 * - Output is forced to UTF-8 ([Console]::OutputEncoding), else PowerShell writes the OEM code page and non-ASCII names break.
 * - The scripts contain no double quotes, which Windows command-line quoting would have to escape for powershell.exe.
 * - Store display names come from each package's manifest and are often `ms-resource:` references; reading every
 *   manifest costs seconds, so the package Name (e.g. 5319275A.WhatsAppDesktop) is the record's name. A capture that
 *   carries a DisplayName field is honoured.
 */

export const POWERSHELL_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command'] as const;

const PREAMBLE = `$ErrorActionPreference = 'Stop'; [Console]::OutputEncoding = [System.Text.Encoding]::UTF8`;

/** The Get-AppxPackage pipeline, selected to the fields the parser reads. */
export function packagesScript(allUsers: boolean): string {
  const users = allUsers
    ? `, @{n='Users';e={@($_.PackageUserInformation | Where-Object { $_.InstallState.ToString() -eq 'Installed' } | ForEach-Object { $_.UserSecurityId.Username })}}`
    : '';
  return (
    `${PREAMBLE}; Get-AppxPackage${allUsers ? ' -AllUsers' : ''} | Select-Object Name, PackageFullName, PackageFamilyName, ` +
    `@{n='Version';e={$_.Version.ToString()}}, Publisher, PublisherId, InstallLocation, IsFramework, IsResourcePackage, ` +
    `IsBundle, NonRemovable, @{n='SignatureKind';e={$_.SignatureKind.ToString()}}${users} | ConvertTo-Json -Compress`
  );
}

export const PROVISIONED_SCRIPT =
  `${PREAMBLE}; Get-AppxProvisionedPackage -Online | Select-Object DisplayName, PackageName, ` +
  `@{n='Version';e={$_.Version.ToString()}}, PublisherId, InstallLocation | ConvertTo-Json -Compress`;

const RawAppx = (zod: Zod) =>
  zod.object({
    elevated: zod.boolean(),
    whoami: CommandCaptureShape(zod),
    /** Get-AppxPackage's JSON, verbatim. */
    packages: zod.string(),
    /** Get-AppxProvisionedPackage's JSON, verbatim (elevated only). */
    provisioned: CommandCaptureShape(zod).optional(),
  });
export type RawAppx = RawOf<typeof RawAppx>;

async function collectAppx(tools: WindowsTools, ctx: CollectContext): Promise<RawAppx> {
  if (!ctx.live) {
    throw new SourceError('NOT_LIVE', 'Store packages can only be listed on the machine itself; replay a capture with --from');
  }
  const { whoami, identity } = await checkIdentity(tools);
  const elevated = identity.elevated === true;
  const ps = (script: string) => tools.run(tools.powershell, [...POWERSHELL_ARGS, script], { timeoutMs: 120_000 });
  // Without the package list the source has nothing: let that failure fail the source. Provisioned is extra.
  const [packages, provisioned] = await Promise.all([
    ps(packagesScript(elevated)),
    elevated ? capture(ps(PROVISIONED_SCRIPT)) : undefined,
  ]);
  return { elevated, whoami, packages, ...(provisioned && { provisioned }) };
}

/**
 * Parses ConvertTo-Json output into a list: one object when there was a single package (the ConvertTo-Json quirk),
 * an array otherwise, nothing at all when there was none. Throws APPX_JSON / APPX_SHAPE for anything else.
 */
export function jsonList(text: string): unknown[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new AppwachtError('APPX_JSON', `not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return [value];
  throw new AppwachtError(
    'APPX_SHAPE',
    `expected a package object or a list of them, got ${value === null ? 'null' : typeof value}`,
  );
}

// PowerShell's JSON is untrusted input on every scan, live ones too: checked with zod, which this Windows-only module
// imports (the index loads it only for Windows scans and captures).
const optionalText = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined));
const optionalFlag = z
  .union([z.boolean(), z.null()])
  .optional()
  .transform((v) => v === true);
/** System.Version serialises as an object when a capture skipped the ToString(). */
const versionText = z
  .union([z.string(), z.null(), z.looseObject({ Major: z.number(), Minor: z.number(), Build: z.number(), Revision: z.number() })])
  .optional()
  .transform((v) => (v && typeof v === 'object' ? `${v.Major}.${v.Minor}.${v.Build}.${v.Revision}` : v || undefined));

const PackageSchema = z.object({
  Name: z.string().min(1),
  PackageFullName: optionalText,
  PackageFamilyName: optionalText,
  Version: versionText,
  Publisher: optionalText,
  PublisherId: optionalText,
  InstallLocation: optionalText,
  IsFramework: optionalFlag,
  IsResourcePackage: optionalFlag,
  DisplayName: optionalText,
  // ConvertTo-Json writes a one-element list as a plain string.
  Users: z
    .union([z.string(), z.array(z.string()), z.null()])
    .optional()
    .transform((v) => (v == null ? [] : Array.isArray(v) ? v : [v])),
});

const ProvisionedSchema = z.object({
  DisplayName: z.string().min(1),
  PackageName: optionalText,
  Version: versionText,
  PublisherId: optionalText,
  InstallLocation: optionalText,
});

function userName(account: string): string {
  return account.split('\\').pop() || account;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(item)'}: ${issue?.message}`;
}

/** Get-AppxPackage objects → records. Frameworks (VCLibs, .NET) and resource packages are not apps and are skipped. */
export function appxPackages(items: unknown[], problems: string[], currentUser?: string): InstalledApp[] {
  const apps: InstalledApp[] = [];
  items.forEach((item, i) => {
    const checked = PackageSchema.safeParse(item);
    if (!checked.success) {
      problems.push(`package #${i + 1}: ${describeIssue(checked.error)}`);
      return;
    }
    const p = checked.data;
    if (p.IsFramework || p.IsResourcePackage) return;
    const family = p.PackageFamilyName ?? (p.PublisherId ? `${p.Name}_${p.PublisherId}` : undefined);
    const base: InstalledApp = {
      name: p.DisplayName && !p.DisplayName.startsWith('ms-resource:') ? p.DisplayName : p.Name,
      source: 'appx',
      scope: 'user',
      ids: { appxName: p.Name, ...(family && { appxFamily: family }) },
      ...(p.Version && { version: p.Version }),
      ...(p.Publisher && { publisher: p.Publisher }),
      ...(p.InstallLocation && { location: p.InstallLocation }),
    };
    // Without -AllUsers there is no Users field: the packages are the current user's.
    if (p.Users.length === 0) apps.push(currentUser === undefined ? base : { ...base, user: currentUser });
    for (const account of p.Users) apps.push({ ...base, user: userName(account) });
  });
  return apps;
}

/** Get-AppxProvisionedPackage objects → machine-scope records. Its DisplayName is the package Name. */
export function provisionedPackages(items: unknown[], problems: string[]): InstalledApp[] {
  const apps: InstalledApp[] = [];
  items.forEach((item, i) => {
    const checked = ProvisionedSchema.safeParse(item);
    if (!checked.success) {
      problems.push(`provisioned package #${i + 1}: ${describeIssue(checked.error)}`);
      return;
    }
    const p = checked.data;
    const manifest = p.InstallLocation;
    apps.push({
      name: p.DisplayName,
      source: 'appx',
      scope: 'machine',
      ids: { appxName: p.DisplayName, ...(p.PublisherId && { appxFamily: `${p.DisplayName}_${p.PublisherId}` }) },
      ...(p.Version && { version: p.Version }),
      ...(manifest && { location: /appxmanifest\.xml$/i.test(manifest) ? path.win32.dirname(manifest) : manifest }),
    });
  });
  return apps;
}

/** Pure half. Unusable package JSON fails the source (APPX_JSON/APPX_SHAPE); single bad entries become problems. */
export function parseAppx(data: RawAppx): ParseResult {
  const problems: string[] = [];
  if (!data.elevated) problems.push('not elevated: only the current user’s Store packages were listed');
  const items = jsonList(data.packages);
  if (items.length === 0) problems.push('Get-AppxPackage listed no packages');
  const currentUser = !data.elevated && data.whoami.ok ? accountName(parseWhoami(data.whoami.output)) : undefined;
  const apps = appxPackages(items, problems, currentUser);
  if (data.provisioned?.ok === false) {
    problems.push(`Get-AppxProvisionedPackage failed (${data.provisioned.error.code}): ${data.provisioned.error.message}`);
  } else if (data.provisioned?.ok) {
    try {
      apps.push(...provisionedPackages(jsonList(data.provisioned.output), problems));
    } catch (err) {
      problems.push(`provisioned packages unreadable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { apps, problems };
}

export function createAppxSource(options: WindowsSourceOptions = {}): InventorySource<RawAppx> {
  const tools = windowsTools(options);
  return {
    id: 'appx',
    collect: (ctx) => collectAppx(tools, ctx),
    check: (raw) => checkRaw(RawAppx, raw, 'appx'),
    parse: parseAppx,
  };
}

export const appxSource = createAppxSource();

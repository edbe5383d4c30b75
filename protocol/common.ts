import { z } from 'zod';
import { OS_NAMES } from './os.js';

/** The three desktop platforms Appwacht runs on; node's `process.platform` maps onto them in one place. */
export const OsName = z.enum(OS_NAMES);
export type OsName = z.infer<typeof OsName>;

/** Where an installed-app record came from. `process` is used for running-process evidence. */
export const SourceKind = z.enum([
  'registry', // Windows Uninstall keys (HKLM, WOW6432Node, HKCU/HKU)
  'appx', // Windows Store / MSIX packages (Get-AppxPackage)
  'bundle', // macOS .app bundles (Info.plist)
  'dpkg',
  'rpm',
  'flatpak',
  'snap',
  'desktop-entry', // XDG .desktop files
  'appimage',
  'process',
]);
export type SourceKind = z.infer<typeof SourceKind>;

/** Installed for the whole machine or for one user (per-user installers, ~/Applications, HKCU). */
export const Scope = z.enum(['machine', 'user']);
export type Scope = z.infer<typeof Scope>;

export const IsoDateTime = z.iso.datetime({ offset: true });

/** Text an employee or admin reads: always both languages. */
export const Localized = z.strictObject({
  de: z.string().min(1).max(2000),
  en: z.string().min(1).max(2000),
});
export type Localized = z.infer<typeof Localized>;
export const Lang = z.enum(['de', 'en']);
export type Lang = z.infer<typeof Lang>;

/** A short identifier: catalog app ids, rule ids. */
export const Slug = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ - (max 64)');

/** PostgreSQL's `integer` (int4): numbers stored in such a column are bounded here, or the database answers with an error. */
export const INT4_MAX = 2_147_483_647;

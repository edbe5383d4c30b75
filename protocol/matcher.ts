import { z } from 'zod';
import { OsName, SourceKind } from './common.js';

/** A regular expression given as a string; must compile and is always applied whole (anchored, case-insensitive). */
export const AnchoredPattern = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => {
    try {
      new RegExp(`^(?:${p})$`, 'iu');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

const Ids = z.array(z.string().min(1).max(200)).max(50).optional();

/**
 * How an app is recognised. Exact identifiers are compared case-insensitively and whole;
 * `names` rules are anchored regexes on the display name (optionally with the publisher),
 * so "Signal" can never match "SignalRGB". `processes` are executable base names.
 * The same shape serves the built-in catalog and an admin's custom rule.
 */
export const Matcher = z.strictObject({
  bundleIds: Ids, // macOS CFBundleIdentifier
  appxNames: Ids, // Windows AppX package Name, e.g. 5319275A.WhatsAppDesktop
  appxFamilies: Ids, // Windows PackageFamilyName, e.g. 5319275A.WhatsAppDesktop_cv1g1gvanyjgm
  uninstallKeys: Ids, // Windows Uninstall subkey name (Squirrel: app name; MSI: ProductCode)
  flatpakIds: Ids,
  snapNames: Ids,
  packages: Ids, // dpkg / rpm package names
  desktopIds: Ids, // XDG desktop file id, e.g. org.telegram.desktop.desktop
  names: z
    .array(
      z.strictObject({
        pattern: AnchoredPattern,
        publisher: AnchoredPattern.optional(),
        os: z.array(OsName).optional(),
        /** Only records from these sources, e.g. ['appimage'] for a name that is generic elsewhere. */
        sources: z.array(SourceKind).optional(),
      }),
    )
    .max(50)
    .optional(),
  processes: Ids, // executable base names, e.g. WhatsApp.exe, Telegram
});
export type Matcher = z.infer<typeof Matcher>;

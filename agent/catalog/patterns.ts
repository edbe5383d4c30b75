/**
 * Building blocks for anchored name rules. Every rule is applied as `^(?:pattern)$` with flags `iu`,
 * so these only describe what may follow a product name; they never turn a rule into a substring search.
 */

/**
 * What installers append to a product name: electron-builder writes "Signal 7.40.0", Inno Setup's default is
 * "Skype version 8.150", MSI builds say "Skype™ 7.18", some add an architecture: "Telegram Desktop 4.14.9 (x64)".
 * A version must start with a digit, so "Signal Hound" or "WireGuard" can never pass as a suffix.
 */
export const VERSION_SUFFIX = String.raw`(?:,?\s+(?:version\s+|v)?\d+(?:\.\d+)*(?:-[0-9a-z]+(?:\.[0-9a-z]+)*)?)?(?:\s+\((?:x64|x86|arm64|64-bit|32-bit|user|per-user|machine)\))?`;

/** A product name (itself a regex, e.g. `Signal(?: Beta)?`) with an optional version/architecture suffix. */
export function versioned(base: string): string {
  return `(?:${base})${VERSION_SUFFIX}`;
}

/** Escapes a literal for use inside a pattern. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Publisher that Chromium-based browsers write for an installed web app (PWA): Chromium registers it under
 * HKCU\…\Uninstall with DisplayName = the app's name and Publisher = the browser's install sub-directory
 * ("Google\Chrome", "Chromium"). Edge is a Chromium build and is assumed to follow its own folder name.
 */
export const WEB_APP_PUBLISHER = String.raw`Google\\Chrome(?: Beta| Dev| SxS)?|Chromium|Microsoft\\Edge(?: Beta| Dev| SxS)?`;
export const WEB_APP_SOURCE =
  'Chromium chrome/browser/win/uninstallation_via_os_settings.cc + web_app_uninstallation_via_os_settings_registration_win.cc (publisher = GetChromeInstallSubDirectory()); Edge value unverified';

/** Where the "iPhone/iPad app on an Apple-silicon Mac" bundle ids come from. */
export const IOS_APP_SOURCE = 'public GitHub code: several iOS app tables (bundle id ↔ app name), repositories not recorded';
export const IOS_APP_UNVERIFIED =
  'iOS bundle id; Apple-silicon Macs can run iPhone/iPad apps under that id, but whether the vendor allows it on the Mac was not established';

import type { RuleClients, SourceKind } from '../../protocol/index.js';
/**
 * A group of identifiers with the place they were seen. Every identifier in the catalog carries
 * its source, so a reviewer can check it and a false positive can be traced to where it came from.
 * Source strings follow the reference file's format: `github:OWNER/REPO:PATH@COMMIT`, a URL,
 * or a plain description ("Debian 12 archive", "public GitHub code (repository not recorded)").
 */
export interface Sourced {
  values: readonly string[];
  source: string;
  /** What these identifiers are (a Beta channel, a Store build, an unofficial client …). */
  note?: string;
  /** Set when no first-hand source confirms the identifier: why it is used anyway. */
  unverified?: string;
  /**
   * Set when these identifiers belong to a client the service's vendor does not make (a wrapper, fork or unofficial
   * client): that client's name. Absent means the vendor's own app. A rule with `clients: 'official'` skips these.
   */
  thirdParty?: string;
}

/**
 * An anchored name rule: `pattern` must match the whole display name (`^(?:pattern)$`, flags `iu`);
 * when `publisher` is given, the record's publisher must match it whole as well (a record without a
 * publisher then never matches). Use it for generic words such as "Signal", "LINE" or "Element".
 */
export interface NameRule {
  pattern: string;
  publisher?: string;
  /** Only records from these sources (e.g. AppImages, which carry nothing but a file name). */
  sources?: readonly SourceKind[];
  source: string;
  note?: string;
  unverified?: string;
  /** As on `Sourced`: the third-party client this rule recognises; absent means the vendor's own app. */
  thirdParty?: string;
}

export interface WindowsSignature {
  /** AppX/MSIX package Name (Get-AppxPackage .Name). */
  appxNames?: Sourced[];
  /** AppX PackageFamilyName (Name + publisher hash). */
  appxFamilies?: Sourced[];
  /** Uninstall subkey names (Squirrel: app name; Inno: {GUID}_is1; MSI/NSIS: product code or GUID). */
  uninstallKeys?: Sourced[];
  names?: NameRule[];
  /** Executable file names as Windows lists them (`Telegram.exe`); `.exe` is optional when matching. */
  processes?: Sourced[];
}

export interface MacosSignature {
  /** CFBundleIdentifier of the .app bundle. */
  bundleIds?: Sourced[];
  names?: NameRule[];
  /** CFBundleExecutable / process names. */
  processes?: Sourced[];
}

export interface LinuxSignature {
  flatpakIds?: Sourced[];
  snapNames?: Sourced[];
  /** dpkg or rpm package names. */
  packages?: Sourced[];
  /** XDG desktop file ids, including the `.desktop` suffix. */
  desktopIds?: Sourced[];
  names?: NameRule[];
  /** Executable names; the kernel cuts process names to 15 characters, which the matcher allows for. */
  processes?: Sourced[];
}

/**
 * - `official`: the vendor ships a desktop client on at least one OS.
 * - `discontinued`: the vendor stopped its desktop clients; leftovers are still worth finding.
 * - `none`: there never was a desktop client; only traces (web-app wrappers, iPad/Android apps, unofficial clients) can be found.
 */
export type DesktopClient = 'official' | 'discontinued' | 'none';

/** Which clients of a service a rule covers: every client (the default) or the vendor's own app only. */
export type ClientScope = RuleClients;

/**
 * An app that hosts other services (WhatsApp, Telegram, Messenger …) as tabs in one window. What runs inside is
 * invisible to an app inventory, so the container itself is the only thing that can be found.
 */
export interface ContainerInfo {
  /** Catalog ids of the services it is known to host. */
  hosts: readonly string[];
  /** Why it matters, for the employee (status window) and the admin (mails), in both languages. */
  why: { de: string; en: string };
}

export interface CatalogApp {
  /** Stable slug used by policy rules (`app: "whatsapp"`). */
  id: string;
  name: string;
  vendor: string;
  desktopClient: DesktopClient;
  /** One or two sentences: which clients exist where, and what we can and cannot see. */
  status: string;
  windows?: WindowsSignature;
  macos?: MacosSignature;
  linux?: LinuxSignature;
  /** Known products that look alike but are not this app (documentation; the tests hold the real table). */
  notThis?: readonly string[];
  /** Set for a multi-service container (Ferdium, Franz, Rambox …): not a messenger itself, and banned by no default. */
  container?: ContainerInfo;
}

import type { OsName } from '../../protocol/index.js';
import type { InstallerKind } from './decide.js';

/** How to run one installer silently: a program and its arguments (never a shell string), extra environment. */
export interface InstallCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

/** The OS's part of installing an update (one file per OS; chosen in installerPort below, the one place). */
export interface InstallerPort {
  /**
   * The formats that may replace this install, best first: a deb install takes a deb, an MSI install an MSI (an NSIS
   * installer over it would register Appwacht twice). Empty: not installed by a package (a development checkout), so
   * there is nothing an update could replace.
   */
  kinds(): Promise<InstallerKind[]>;
  command(kind: InstallerKind, installer: string): InstallCommand;
  /**
   * The command line that starts the install helper outside the service (launch.ts), when the OS needs more than a
   * detached process: systemd would stop a helper in the service's own cgroup together with the service, and the
   * unit's ProtectSystem=full would keep it from writing /usr.
   */
  outsideService?(argv: string[], env: Record<string, string>): Promise<string[]>;
}

export async function installerPort(os: OsName): Promise<InstallerPort> {
  switch (os) {
    case 'linux':
      return (await import('./installer.linux.js')).linuxInstaller;
    case 'windows':
      return (await import('./installer.windows.js')).windowsInstaller;
    case 'macos':
      return (await import('./installer.macos.js')).macosInstaller;
  }
}

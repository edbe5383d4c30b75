import { join } from 'node:path';
import type { Lang, OsName } from '../../protocol/index.js';

/**
 * The two ways the reporting agent runs (issue 14). machine: a system service (systemd unit, LaunchDaemon, Windows
 * service; build/) as root/SYSTEM — it reads every account's apps and keeps the device credential where no employee can
 * read it; employees' trays talk to it over the tray channel (agent/channel/). user: in the employee's own account, for
 * development and unmanaged machines — weaker, because the employee owns the token and the state and can stop it.
 * Chosen by `appwacht run --system` (what the service definitions run) or by IT's managed setting AgentMode.
 */
export type AgentMode = 'machine' | 'user';

/** The machine agent's state folder, readable by root/SYSTEM only. */
export function machineStateDir(os: OsName, env: NodeJS.ProcessEnv = process.env): string {
  switch (os) {
    case 'linux':
      return '/var/lib/appwacht';
    case 'macos':
      return '/Library/Application Support/Appwacht';
    case 'windows':
      // The installer gives this folder an ACL of SYSTEM and Administrators only (build/windows/appwacht-service.xml).
      return join(env.ProgramData ?? 'C:\\ProgramData', 'Appwacht');
  }
}

/** POSIX: root. Windows: not checked here — the service runs as SYSTEM by its definition (build/windows). */
export function runsElevated(platform: NodeJS.Platform = process.platform, euid = process.geteuid?.()): boolean {
  return platform === 'win32' || euid === 0;
}

export const MODE_TEXTS: Record<AgentMode, Record<Lang, string>> = {
  machine: {
    de: 'Maschinendienst (root/SYSTEM): Geräte-Token und Zustand sind für Mitarbeiter nicht zugänglich',
    en: 'machine service (root/SYSTEM): the device token and state are out of employees’ reach',
  },
  user: {
    de: 'pro Benutzer – schwächer: dieses Konto besitzt Geräte-Token und Zustand und kann den Dienst beenden; auf verwalteten Geräten den Maschinendienst installieren ("appwacht run --system")',
    en: 'per user – weaker: this account owns the device token and state and can stop the agent; on managed devices install the machine service ("appwacht run --system")',
  },
};

export const NOT_ELEVATED: Record<Lang, string> = {
  de: 'Der Maschinendienst ("appwacht run --system", Einstellung AgentMode=machine) muss als root bzw. SYSTEM laufen; als Mitarbeiter zeigt "appwacht status" seinen Zustand.',
  en: 'The machine service ("appwacht run --system", setting AgentMode=machine) must run as root or SYSTEM; as an employee, "appwacht status" shows its state.',
};

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { HostFacts, type OsName } from '../../protocol/index.js';
import { run as defaultRun } from '../inventory/exec.js';
import { currentOs } from '../inventory/current-os.js';
import { windowsTools, type Runner } from '../inventory/sources/windows-commands.js';
import { currentOsUser } from '../os-user.js';
import { AGENT_VERSION } from '../version.js';
import { readLinuxMachineId, readLinuxOsVersion } from './platform.linux.js';
import { readMacosMachineId, readMacosOsVersion } from './platform.macos.js';
import { readWindowsMachineId, readWindowsOsVersion } from './platform.windows.js';

export interface HostFactsOptions {
  os?: OsName;
  /** Linux: folder below which /etc/machine-id and os-release are read (tests). */
  root?: string;
  /** macOS ioreg/sw_vers, Windows reg.exe: injectable because those tools exist only there. */
  run?: Runner;
  env?: NodeJS.ProcessEnv;
}

/**
 * SHA-256 (hex) of the platform id: the server can tell machines apart and recognise a re-enrolling one, but never
 * learns the id itself (MachineGuid and IOPlatformUUID are used by other software to track a device). Lower-cased first,
 * so the same id in another letter case is the same machine.
 */
export function hashMachineId(raw: string): string {
  return createHash('sha256').update(raw.trim().toLowerCase(), 'utf8').digest('hex');
}

/** The one place that picks the OS-specific readers. */
async function platformFacts(os: OsName, options: HostFactsOptions): Promise<{ machineId: string; osVersion: string }> {
  const run = options.run ?? defaultRun;
  switch (os) {
    case 'linux':
      return { machineId: await readLinuxMachineId(options.root), osVersion: await readLinuxOsVersion(options.root) };
    case 'macos':
      // The version is informative only; a failing sw_vers must not block enrollment, so it is named as unknown.
      return {
        machineId: await readMacosMachineId(run),
        osVersion: await readMacosOsVersion(run).catch(() => 'macOS (version unknown)'),
      };
    case 'windows':
      return {
        machineId: await readWindowsMachineId(windowsTools({ run, systemRoot: (options.env ?? process.env).SystemRoot })),
        osVersion: readWindowsOsVersion(),
      };
  }
}

/** What the agent tells the server about this machine when it enrolls (protocol HostFacts), validated before it leaves. */
export async function collectHostFacts(options: HostFactsOptions = {}): Promise<HostFacts> {
  const os = options.os ?? currentOs();
  const { machineId, osVersion } = await platformFacts(os, options);
  return HostFacts.parse({
    hostname: hostname().slice(0, 255) || 'unknown',
    os,
    osVersion: osVersion.slice(0, 100),
    osUser: currentOsUser(options.env ?? process.env).slice(0, 256),
    agentVersion: AGENT_VERSION.slice(0, 50),
    machineId: hashMachineId(machineId),
  });
}

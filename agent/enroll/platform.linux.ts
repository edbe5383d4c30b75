import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { EnrollError } from './errors.js';

/**
 * systemd's /etc/machine-id (32 hex digits, created at install); older or non-systemd systems keep D-Bus's copy.
 * Not the DMI product UUID: that needs root and is identical on cloned VMs far more often.
 */
const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];

export async function readLinuxMachineId(root = '/'): Promise<string> {
  for (const file of MACHINE_ID_FILES) {
    try {
      const id = (await readFile(join(root, file), 'utf8')).trim();
      if (/^[0-9a-f]{32}$/i.test(id)) return id;
    } catch {
      // try the next one; none found is reported below
    }
  }
  throw new EnrollError('MACHINE_ID_MISSING', `no machine id in ${MACHINE_ID_FILES.join(' or ')} (32 hex digits expected)`);
}

/** PRETTY_NAME from os-release ("Debian GNU/Linux 12 (bookworm)"), else the kernel release. */
export function parseOsRelease(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith('PRETTY_NAME='));
  return (
    line
      ?.slice('PRETTY_NAME='.length)
      .trim()
      .replace(/^"(.*)"$/, '$1') || undefined
  );
}

export async function readLinuxOsVersion(root = '/'): Promise<string> {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const pretty = parseOsRelease(await readFile(join(root, file), 'utf8'));
      if (pretty) return pretty;
    } catch {
      // next
    }
  }
  return `Linux ${release()}`;
}

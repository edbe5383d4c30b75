import type { run } from '../inventory/exec.js';
import { EnrollError } from './errors.js';

type Runner = typeof run;

/** `ioreg -rd1 -c IOPlatformExpertDevice` → the hardware UUID line: `"IOPlatformUUID" = "564D…"`. */
export function parseIoregPlatformUuid(text: string): string | undefined {
  return /"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"/.exec(text)?.[1];
}

export async function readMacosMachineId(run: Runner): Promise<string> {
  const out = await run('/usr/sbin/ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], { timeoutMs: 15_000 });
  const uuid = parseIoregPlatformUuid(out);
  if (!uuid) throw new EnrollError('MACHINE_ID_MISSING', 'ioreg printed no IOPlatformUUID');
  return uuid;
}

export async function readMacosOsVersion(run: Runner): Promise<string> {
  const version = (await run('/usr/bin/sw_vers', ['-productVersion'], { timeoutMs: 15_000 })).trim();
  return version ? `macOS ${version}` : 'macOS';
}
